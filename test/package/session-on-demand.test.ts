/**
 * `session: true` from the built files (run `npm run build` first): the ESM and CommonJS builds
 * load the session code from a chunk of its own when a socket first connects (a dynamic import(),
 * a lazy require()) and open a session with a real attachSessions server; the main entries do not
 * carry that code, and the UMD file, which cannot load chunks, carries it inline.
 */
import { existsSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import type { AddressInfo } from 'node:net'
import { join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { WebSocketServer } from 'ws'
import { attachSessions, type SessionServer } from '../../src/index.server.js'
import { waitFor } from '../support/wait.js'

const DIST = resolve(import.meta.dirname, '../../dist')
/** A line of the session code itself (session-socket.ts), not of the loader. */
const SESSION_CODE = 'the session connection is not open'

let wss: WebSocketServer
let sessions: SessionServer
let url: string

beforeAll(async () => {
  if (!existsSync(join(DIST, 'index.mjs'))) throw new Error('dist/ is missing: run `npm run build` first')
  wss = new WebSocketServer({ host: '127.0.0.1', port: 0 })
  await new Promise((ready) => wss.once('listening', ready))
  sessions = attachSessions(wss)
  sessions.on('session', (session) => session.on('message', (data) => session.send(`echo ${String(data)}`)))
  url = `ws://127.0.0.1:${(wss.address() as AddressInfo).port}`
})

afterAll(async () => {
  sessions?.close()
  await new Promise((done) => wss?.close(done))
})

type CreateSocket = typeof import('../../src/index.node.js').createSocket

const builds: Array<[string, () => Promise<CreateSocket>]> = [
  ['index.mjs (ESM)', async () => ((await import(pathToFileURL(join(DIST, 'index.mjs')).href)) as { createSocket: CreateSocket }).createSocket],
  ['index.cjs (CommonJS)', async () => (createRequire(import.meta.url)(join(DIST, 'index.cjs')) as { createSocket: CreateSocket }).createSocket],
  ['index.prod.mjs (production)', async () => ((await import(pathToFileURL(join(DIST, 'index.prod.mjs')).href)) as { createSocket: CreateSocket }).createSocket],
]

describe.each(builds)('%s', (_name, load) => {
  it('session: true opens a lifeline.v1 session and echoes', async () => {
    const createSocket = await load()
    const socket = createSocket({ url, session: true })
    try {
      const opens: unknown[] = []
      const got: unknown[] = []
      socket.on('open', (info) => void opens.push(info))
      socket.on('message', (data) => void got.push(data))
      socket.send('hi')
      await waitFor(() => got.length === 1, 5_000, 'the echo')
      expect(opens).toEqual([expect.objectContaining({ resumed: false, session: true })])
      expect(got).toEqual(['echo hi'])
    } finally {
      socket.close()
    }
  })
})

describe('where the session code is', () => {
  /** A dist file with the local chunks it imports statically (not those it loads with import()). */
  function staticGraph(file: string, seen = new Set<string>()): string {
    if (seen.has(file)) return ''
    seen.add(file)
    const source = readFileSync(join(DIST, file), 'utf8')
    let all = source
    for (const match of source.matchAll(/\bfrom\s*["']\.\/([^"']+)["']|\bimport\s*["']\.\/([^"']+)["']/g)) all += staticGraph(match[1] ?? match[2]!, seen)
    return all
  }

  it.each(['browser.mjs', 'browser.prod.mjs', 'worker.mjs', 'index.mjs'])('%s loads it with import(), never statically', (file) => {
    const graph = staticGraph(file)
    expect(graph).not.toContain(SESSION_CODE)
    expect(graph).toMatch(/\bimport\("\.\/option-[\w-]+\.mjs"\)/)
  })

  it.each(['lifeline.umd.cjs', 'lifeline.umd.min.cjs'])('%s carries it inline (a <script> cannot load a chunk)', (file) => {
    const source = readFileSync(join(DIST, file), 'utf8')
    expect(source).toContain(SESSION_CODE)
    expect(source).not.toMatch(/\bimport\(/)
  })
})
