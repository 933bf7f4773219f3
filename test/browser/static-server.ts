/**
 * A static HTTP server on 127.0.0.1 (random port) for the browser tests of the optional entries:
 * GET /<prefix>/<file> from the directory mapped to that prefix, nothing else, never cached.
 */
import { existsSync, readFileSync } from 'node:fs'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { extname, resolve, sep } from 'node:path'

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.map': 'application/json',
}

export interface StaticServer {
  /** http://127.0.0.1:port */
  readonly origin: string
  close(): Promise<void>
}

export async function serveStatic(dirs: Record<string, string>): Promise<StaticServer> {
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname)
    const [, top, ...rest] = path.split('/')
    const base = top === undefined ? undefined : dirs[top]
    const file = base && rest.length > 0 ? resolve(base, ...rest) : undefined
    if (!base || !file || !file.startsWith(base + sep) || !existsSync(file) || !TYPES[extname(file)]) return void res.writeHead(404).end()
    res.writeHead(200, { 'content-type': TYPES[extname(file)]!, 'cache-control': 'no-store' }).end(readFileSync(file))
  })
  server.keepAliveTimeout = 100
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done))
  return {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise((done) => {
        server.closeAllConnections()
        server.close(() => done())
      }),
  }
}
