/**
 * A local https + ws server with a self-signed certificate (made with openssl for the test file):
 * `useSelfSignedTls()` registers the hooks that make the certificate once for the file, and returns
 * `start()` (the wss:// URL of a new server, which says 'hello over TLS' on connection), `cert()`
 * (to pass as wsOptions.ca) and `closeAll()`, which the file's afterEach awaits before it checks
 * that no TCP handle is left.
 */
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import https from 'node:https'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Duplex } from 'node:stream'
import { afterAll, beforeAll } from 'vitest'
import { WebSocketServer } from 'ws'

export function useSelfSignedTls(): { start(): Promise<string>; cert(): Buffer; closeAll(): Promise<void> } {
  let dir: string | undefined
  let cert: Buffer
  let key: Buffer
  const closers = new Set<() => Promise<void>>()

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'lifeline-tls-'))
    execFileSync(
      'openssl',
      [
        'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
        '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-days', '2',
        '-subj', '/CN=lifeline-ws test', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost',
      ],
      { stdio: 'pipe' },
    )
    cert = readFileSync(join(dir, 'cert.pem'))
    key = readFileSync(join(dir, 'key.pem'))
  })
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true })
  })
  async function closeAll(): Promise<void> {
    const all = [...closers]
    closers.clear()
    await Promise.all(all.map((close) => close()))
  }

  async function start(): Promise<string> {
    const sockets = new Set<Duplex>()
    const server = https.createServer({ cert, key })
    server.on('connection', (s) => {
      sockets.add(s)
      s.on('close', () => sockets.delete(s))
    })
    server.on('tlsClientError', () => {}) // the refused handshakes
    const wss = new WebSocketServer({ server })
    wss.on('connection', (ws) => {
      ws.on('error', () => {})
      ws.send('hello over TLS')
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    closers.add(async () => {
      for (const ws of wss.clients) ws.terminate()
      const gone = [...sockets].map((s) => new Promise((resolve) => s.once('close', resolve)))
      for (const s of sockets) s.destroy()
      await Promise.all(gone)
      await new Promise<void>((resolve) => wss.close(() => server.close(() => setImmediate(() => setImmediate(resolve)))))
    })
    return `wss://127.0.0.1:${(server.address() as AddressInfo).port}/`
  }

  return { start, cert: () => cert, closeAll }
}
