/**
 * A lifeline.v1 session in Chromium (/usr/bin/chromium via playwright-core): a page, and a module
 * worker, with `session: session()` and default options otherwise, against a real `ws` server with
 * attachSessions behind the fault proxy. The server leads the heartbeat (the page answers its PINGs
 * with no app code); a silenced link is noticed by the page from the server's silence, and the
 * session resumes with nothing lost or repeated either way. Run `npm run build` first.
 */
import { existsSync, readFileSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { extname, join, resolve, sep } from 'node:path'
import { chromium, type BrowserContext } from 'playwright-core'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { WebSocketServer } from 'ws'
import { attachSessions, type Session } from '../../src/index.server.js'
import { CHROMIUM, CHROMIUM_ARGS, requireChromium } from '../support/chromium.js'
import { createFaultProxy, type FaultProxy } from '../support/fault-proxy.mjs'
import { waitFor } from '../support/wait.js'

const ROOT = resolve(import.meta.dirname, '../..')
const DIRS: Record<string, string> = { dist: join(ROOT, 'dist'), pages: join(import.meta.dirname, 'pages') }
const TYPES: Record<string, string> = { '.html': 'text/html; charset=utf-8', '.mjs': 'text/javascript; charset=utf-8', '.map': 'application/json' }

let http: Server
let origin: string
let context: BrowserContext
let userDataDir: string
const cleanups: Array<() => unknown> = []

beforeAll(async () => {
  requireChromium()
  if (!existsSync(join(DIRS.dist!, 'session.mjs'))) throw new Error('dist/session.mjs is missing: run `npm run build` first')
  http = createServer((req, res) => {
    const [, top, ...rest] = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname).split('/')
    const base = DIRS[top ?? '']
    const file = base && rest.length > 0 ? resolve(base, ...rest) : ''
    if (!base || !file.startsWith(base + sep) || !existsSync(file) || !TYPES[extname(file)]) return void res.writeHead(404).end()
    res.writeHead(200, { 'content-type': TYPES[extname(file)]!, 'cache-control': 'no-store' }).end(readFileSync(file))
  })
  await new Promise<void>((done) => http.listen(0, '127.0.0.1', done))
  origin = `http://127.0.0.1:${(http.address() as AddressInfo).port}`
  userDataDir = await mkdtemp(join(tmpdir(), 'lifeline-chromium-'))
  context = await chromium.launchPersistentContext(userDataDir, { executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, timeout: 20_000 })
}, 30_000)

afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup()
  await context?.close()
  if (http) await new Promise((done) => http.close(done))
  if (userDataDir) await rm(userDataDir, { recursive: true, force: true })
})

it.each([
  ['a page', 'session.html'],
  ['a module worker', 'session-worker.html'],
])('%s with a session notices a silenced link by the server-led heartbeat and resumes with nothing lost either way', async (_name, file) => {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 })
  await new Promise((done) => wss.once('listening', done))
  const sessions = attachSessions(wss, { heartbeat: { interval: 500, timeout: 300 } })
  cleanups.push(() => new Promise((done) => wss.close(done)), () => sessions.close())
  let current: Session | undefined
  const serverGot: unknown[] = []
  sessions.on('session', (s) => {
    current = s
    s.on('message', (data) => void serverGot.push(data))
  })
  const proxy: FaultProxy = createFaultProxy({ target: { port: (wss.address() as AddressInfo).port } })
  await proxy.start()
  cleanups.push(() => proxy.close())

  const page = await context.newPage()
  const log: Array<Record<string, unknown>> = []
  await page.exposeBinding('__report', (_source, event: Record<string, unknown>) => void log.push(event))
  await page.goto(`${origin}/pages/${file}`)
  const describe = (): string => JSON.stringify(log.slice(-12))
  await waitFor(() => log.some((e) => e.kind === 'loaded'), 10_000, 'the page to load', { describe })
  const command = (cmd: Record<string, unknown>): Promise<void> => page.evaluate((c) => (window as unknown as { command(c: unknown): void }).command(c), cmd)
  const of = (kind: string) => log.filter((e) => e.kind === kind)
  const numbered = (prefix: string, from: number, to: number): string[] => Array.from({ length: to - from + 1 }, (_, i) => `${prefix}-${from + i}`)

  await command({ op: 'create', url: `ws://127.0.0.1:${proxy.port}` })
  await waitFor(() => of('open').length === 1, 5_000, 'open', { describe })
  expect(of('open')[0]).toMatchObject({ resumed: false, session: true })
  await command({ op: 'send', data: numbered('c', 1, 5) })
  for (const text of numbered('s', 1, 5)) current!.send(text)
  await waitFor(() => serverGot.length === 5 && of('message').length === 5, 5_000, 'the first messages both ways', { describe })

  // the link goes silent (half-open); both sides keep sending into it
  proxy.silence()
  const silencedAt = Date.now()
  await command({ op: 'send', data: numbered('c', 6, 10) })
  for (const text of numbered('s', 6, 10)) current!.send(text)
  await waitFor(() => of('error').some((e) => String(e.message).includes('nothing from the server')), 5_000, 'the page to notice the silence', { describe })
  // the server's interval + timeout (800 ms) and timer slack: the page needs no heartbeat option of its own
  expect(Date.now() - silencedAt).toBeLessThan(2_500)
  proxy.heal()

  await waitFor(() => of('open').length === 2, 10_000, 'the resume', { describe })
  expect(of('open')[1]).toMatchObject({ resumed: true, session: true })
  await waitFor(() => serverGot.length === 10 && of('message').length === 10, 5_000, 'everything both ways', { describe })
  expect(serverGot).toEqual(numbered('c', 1, 10))
  expect(of('message').map((e) => e.data)).toEqual(numbered('s', 1, 10))
  expect(of('drop')).toEqual([])
  await command({ op: 'close' })
  await page.close()
}, 40_000)
