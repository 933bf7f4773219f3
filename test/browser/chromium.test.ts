/**
 * lifeline-ws in a real browser: Debian's Chromium (/usr/bin/chromium, never a downloaded one)
 * driven by playwright-core, against a real `ws` server on 127.0.0.1, through the userspace fault
 * proxy where the link must go silent. Run `npm run build` first (`npm test` does).
 *
 * Pages (test/browser/pages/, served with dist/ from a local HTTP server):
 *   esm.html    imports the ESM build, dist/browser.mjs, unbundled
 *   umd.html    loads dist/lifeline.umd.cjs with <script> (the global `Lifeline`)
 *   worker.html runs a dedicated worker: classic (importScripts of the UMD file) or a module
 *               worker importing dist/worker.mjs
 * All of them load harness.js, which runs commands from this file and reports every event of the
 * socket back through a binding, timestamped here on arrival.
 *
 * For each page: echo; an abrupt server drop (TCP destroyed, no close frame) with numbered sends
 * queued meanwhile, which the server must then receive exactly in order; a silent link (the proxy
 * forwards nothing) noticed by the message-mode heartbeat within 1.5 s, and a reconnect once it
 * heals; offline (Chromium's network emulation fires the window's 'offline'/'online' events, checked
 * below) → 'backoff' and no attempt until 'online' → open; close() → no connection ever again.
 * Each worker: echo, abrupt drop, queued sends in order, reconnect, close.
 */
import { existsSync, readFileSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { extname, join, resolve, sep } from 'node:path'
import { chromium, type BrowserContext, type Page } from 'playwright-core'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import type { WebSocket } from 'ws'
import { createFaultProxy, type FaultProxy } from '../support/fault-proxy.mjs'
import { closeAllServers, startWsServer, type TestWsServer } from '../support/servers.js'
import { waitFor, WaitTimeout } from '../support/wait.js'
import { CHROMIUM, CHROMIUM_ARGS, requireChromium } from '../support/chromium.js'

const ROOT = resolve(import.meta.dirname, '../..')
const DIST = join(ROOT, 'dist')
const PAGES = join(import.meta.dirname, 'pages')

/** The message-mode heartbeat every browser socket uses: browsers cannot send ping frames. */
const HEARTBEAT = { mode: 'message', message: 'ping', interval: 500, timeout: 500 } as const
/** A silent link must be noticed within this (interval + timeout + timer slack). */
const SILENCE_DETECTION_BUDGET_MS = 1_500
/** After close(): how long nothing may reach the server (longer than any backoff delay used here). */
const AFTER_CLOSE_WATCH_MS = 1_500

// ── the browser side, as seen from here ──────────────────────────────────────────────────────────

/** What harness.js reports: one event of the socket (or of the harness) as a plain object. */
interface Reported {
  kind: string
  state?: string
  next?: string
  prev?: string
  reason?: string
  data?: unknown
  code?: string | number
  message?: string
  ok?: boolean[] | boolean
  queued?: number
  exports?: string[]
  [key: string]: unknown
}
interface Entry extends Reported {
  /** performance.now() in this process when the report arrived. */
  t: number
}

/** One socket living in a page or a worker, its reports, and bounded waits on them. */
class Client {
  readonly log: Entry[] = []
  private readonly wakers = new Set<() => void>()

  constructor(
    readonly name: string,
    readonly page: Page,
  ) {}

  report(event: Reported): void {
    this.log.push({ ...event, t: performance.now() })
    for (const wake of [...this.wakers]) wake()
  }

  /** Run a harness command in the page (a worker gets it by postMessage). */
  async command(cmd: Record<string, unknown>): Promise<void> {
    await this.page.evaluate((c) => (window as unknown as { command: (c: unknown) => void }).command(c), cmd)
  }

  /** The first entry at index >= from matching `match`, now or within `timeoutMs`; a 'fatal' report fails at once. */
  waitFor(what: string, match: (e: Entry) => boolean, timeoutMs: number, from = 0): Promise<Entry> {
    return new Promise((done, fail) => {
      const check = (): boolean => {
        for (let i = from; i < this.log.length; i++) {
          const e = this.log[i]!
          if (e.kind === 'fatal') {
            finish()
            fail(new Error(`${this.name}: the page reported: ${e.message}\n  ${this.dump()}`))
            return true
          }
          if (match(e)) {
            finish()
            done(e)
            return true
          }
        }
        return false
      }
      const finish = (): void => {
        clearTimeout(timer)
        this.wakers.delete(wake)
      }
      const wake = (): void => void check()
      const timer = setTimeout(() => {
        finish()
        fail(new WaitTimeout(`${this.name}: timed out after ${timeoutMs} ms waiting for ${what}; events so far:\n  ${this.dump()}`))
      }, timeoutMs)
      this.wakers.add(wake)
      check()
    })
  }

  /** Wait for the state `next` (after index `from`). */
  waitForState(next: string, timeoutMs: number, from = 0): Promise<Entry> {
    return this.waitFor(`state '${next}'`, (e) => e.kind === 'state' && e.next === next, timeoutMs, from)
  }

  /** The 'state' path from index `from`: ['open', 'backoff', ...]. */
  states(from = 0): string[] {
    return this.log.slice(from).filter((e) => e.kind === 'state').map((e) => e.next!)
  }

  /** Messages the socket emitted from index `from`. */
  messages(from = 0): unknown[] {
    return this.log.slice(from).filter((e) => e.kind === 'message').map((e) => e.data)
  }

  dump(): string {
    const t0 = this.log[0]?.t ?? 0
    return this.log
      .map(({ t, kind, state: _state, ...rest }) => {
        const detail = Object.entries(rest)
          .filter(([k]) => k !== 'exports')
          .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
          .join(' ')
        return `+${Math.round(t - t0)}ms ${kind} ${detail}`
      })
      .join('\n  ')
  }
}

// ── servers and the browser ──────────────────────────────────────────────────────────────────────

let http: Server
let origin: string
let context: BrowserContext
let userDataDir: string
const proxies = new Set<FaultProxy>()
const clients: Client[] = []

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.cjs': 'text/javascript; charset=utf-8',
  '.map': 'application/json',
}

/** GET /dist/<file> from dist/, /pages/<file> from test/browser/pages/; nothing else. */
function serveStatic(url: string | undefined): { status: number; type?: string; body?: Buffer } {
  const path = decodeURIComponent(new URL(url ?? '/', 'http://x').pathname)
  const [, top, ...rest] = path.split('/')
  const base = top === 'dist' ? DIST : top === 'pages' ? PAGES : undefined
  if (!base || rest.length === 0) return { status: 404 }
  const file = resolve(base, ...rest)
  if (!file.startsWith(base + sep) || !existsSync(file) || !TYPES[extname(file)]) return { status: 404 }
  return { status: 200, type: TYPES[extname(file)]!, body: readFileSync(file) }
}

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} is missing: install Debian's chromium (apt-get install chromium); no browser is downloaded`)
  }
  for (const file of ['browser.mjs', 'worker.mjs', 'lifeline.umd.cjs']) {
    if (!existsSync(join(DIST, file))) throw new Error(`dist/${file} is missing: run \`npm run build\` first`)
  }
  http = createServer((req, res) => {
    const { status, type, body } = serveStatic(req.url)
    if (status !== 200) return void res.writeHead(status).end()
    res.writeHead(200, { 'content-type': type!, 'cache-control': 'no-store' }).end(body)
  })
  await new Promise<void>((done) => http.listen(0, '127.0.0.1', done))
  origin = `http://127.0.0.1:${(http.address() as AddressInfo).port}`

  requireChromium()
  userDataDir = await mkdtemp(join(tmpdir(), 'lifeline-chromium-'))
  context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    timeout: 20_000,
  })
  console.log(`[chromium] ${CHROMIUM} ${context.browser()?.version() ?? '(version unknown)'}`)
}, 30_000)

afterEach(async () => {
  await context?.setOffline(false)
  for (const client of clients.splice(0)) await client.page.close().catch(() => {})
  await Promise.all([...proxies].map((p) => p.close()))
  proxies.clear()
  await closeAllServers()
})

afterAll(async () => {
  await context?.close()
  if (http) await new Promise((done) => http.close(done))
  if (userDataDir) await rm(userDataDir, { recursive: true, force: true })
})

/** A `ws` server that echoes, answers the text 'ping' with 'pong', and records what it receives. */
function heartbeatServer(): Promise<TestWsServer> {
  return startWsServer({ onMessage: (ws: WebSocket, data) => ws.send(data === 'ping' ? 'pong' : data) })
}

async function startProxy(port: number): Promise<FaultProxy> {
  const proxy = createFaultProxy({ target: { host: '127.0.0.1', port } })
  proxies.add(proxy)
  await proxy.start()
  return proxy
}

/** Open a page whose reports land in a new Client; resolves once its harness has loaded. */
async function openClient(name: string, path: string): Promise<Client> {
  const page = await context.newPage()
  const client = new Client(name, page)
  clients.push(client)
  page.on('pageerror', (error) => client.report({ kind: 'fatal', message: `page error: ${error.message}` }))
  await page.exposeBinding('__report', (_source, event: Reported) => client.report(event))
  await page.goto(`${origin}${path}`)
  const loaded = await client.waitFor('the harness to load', (e) => e.kind === 'loaded', 10_000)
  expect(loaded.exports, `${name}: the build's exports`).toEqual(expect.arrayContaining(['createSocket', 'LifelineError']))
  return client
}

/** What the server received, heartbeat pings left out. */
function payload(server: TestWsServer): unknown[] {
  return server.received.filter((m) => m !== 'ping')
}

const numbered = (prefix: string, n: number): string[] => Array.from({ length: n }, (_, i) => `${prefix}-${i + 1}`)

/**
 * Echo, then an abrupt server drop with `queued` numbered sends queued while the link is down; the
 * socket must reconnect and the server receive them exactly in order (after the echo).
 */
async function echoDropQueueReconnect(client: Client, server: TestWsServer, prefix: string): Promise<void> {
  await client.waitForState('open', 5_000)
  let mark = client.log.length
  await client.command({ op: 'send', data: ['echo-1'] })
  await client.waitFor("the echo of 'echo-1'", (e) => e.kind === 'message' && e.data === 'echo-1', 3_000, mark)

  const sends = numbered(prefix, 5)
  await client.command({ op: 'send-when-down', data: sends })
  const connectionsBefore = server.connectionCount
  mark = client.log.length
  server.killConnections() // TCP destroyed, no close frame
  const queued = await client.waitFor('the numbered sends, queued while down', (e) => e.kind === 'queued', 3_000, mark)
  expect(queued.ok, `${client.name}: send() while down`).toEqual(sends.map(() => true))
  expect(queued.queued, `${client.name}: messages waiting in the queue`).toBe(sends.length)
  expect(queued.state).not.toBe('open')
  const close = await client.waitFor("'close' of the dropped socket", (e) => e.kind === 'close', 3_000, mark)
  expect(close.code, `${client.name}: a dropped TCP connection is a 1006`).toBe(1006)

  await client.waitForState('open', 5_000, mark)
  expect(client.states(mark), `${client.name}: the path through the drop`).toEqual(['backoff', 'connecting', 'open'])
  await waitFor(() => payload(server).length >= 1 + sends.length, 3_000, `${client.name}: the queued sends at the server`, {
    describe: () => `received=${JSON.stringify(payload(server))}`,
  })
  expect(payload(server), `${client.name}: what the server received, in order`).toEqual(['echo-1', ...sends])
  expect(server.connectionCount, `${client.name}: exactly one reconnect`).toBe(connectionsBefore + 1)
  // and the echoes of the queued sends come back, in order
  await waitFor(() => client.messages(mark).length >= sends.length, 3_000, `${client.name}: the echoes of the queued sends`, {
    describe: () => `messages=${JSON.stringify(client.messages(mark))}`,
  })
  expect(client.messages(mark)).toEqual(sends)
}

/** close(): 'closed' at once, then nothing reaches the server for AFTER_CLOSE_WATCH_MS. */
async function closeAndStayClosed(client: Client, server: TestWsServer, proxy?: FaultProxy): Promise<void> {
  const mark = client.log.length
  await client.command({ op: 'close' })
  const closed = await client.waitFor("'closed-by-user'", (e) => e.kind === 'closed-by-user', 3_000, mark)
  expect(closed.state).toBe('closed')
  const connections = server.connectionCount
  const accepted = proxy?.stats.accepted
  // a bounded watch for something that must NOT happen: a reconnect after close()
  await new Promise((done) => setTimeout(done, AFTER_CLOSE_WATCH_MS))
  expect(server.connectionCount, `${client.name}: a connection reached the server after close()`).toBe(connections)
  if (proxy) expect(proxy.stats.accepted, `${client.name}: a TCP connection after close()`).toBe(accepted)
  expect(client.states(mark), `${client.name}: states after close()`).toEqual(['closed'])
  expect(client.log.slice(mark).filter((e) => e.kind === 'fatal')).toEqual([])
}

describe.sequential('lifeline-ws in Chromium', () => {
  it("this Chromium's network emulation fires the window's 'offline' and 'online' events", async () => {
    // setOffline() below is only a real test of the 'offline' path if the page hears it
    const page = await context.newPage()
    try {
      await page.goto(`${origin}/pages/umd.html`)
      await page.evaluate(() => {
        const w = window as unknown as { seen: string[] }
        w.seen = []
        addEventListener('offline', () => w.seen.push(`offline:${navigator.onLine}`))
        addEventListener('online', () => w.seen.push(`online:${navigator.onLine}`))
      })
      await context.setOffline(true)
      await page.waitForFunction(() => (window as unknown as { seen: string[] }).seen.length === 1, undefined, { timeout: 3_000 })
      await context.setOffline(false)
      await page.waitForFunction(() => (window as unknown as { seen: string[] }).seen.length === 2, undefined, { timeout: 3_000 })
      expect(await page.evaluate(() => (window as unknown as { seen: string[] }).seen)).toEqual(['offline:false', 'online:true'])
    } finally {
      await page.close()
    }
  })

  describe.each([
    { name: 'ESM page (dist/browser.mjs)', path: '/pages/esm.html' },
    { name: 'UMD page (<script src=dist/lifeline.umd.cjs>)', path: '/pages/umd.html' },
  ])('$name', ({ name, path }) => {
    it('echo; abrupt drop with queued sends in order; silent link noticed by the heartbeat; offline/online; no reconnect after close()', async () => {
      const server = await heartbeatServer()
      const proxy = await startProxy(server.port)
      const client = await openClient(name, path)
      await client.command({
        op: 'create',
        options: {
          url: `ws://127.0.0.1:${proxy.port}/`,
          heartbeat: HEARTBEAT,
          // an attempt made while the link is silent hangs in the HTTP upgrade: give up on it soon
          connectTimeout: 1_000,
          backoff: { initialDelay: 200, maxDelay: 400 },
        },
      })

      // 1. echo, abrupt drop, queued sends in order, reconnect
      await echoDropQueueReconnect(client, server, 'queued')

      // 2. the heartbeat is running: the server is pinged with the message and answers 'pong'
      await waitFor(() => server.received.includes('ping'), 3_000, `${name}: a heartbeat 'ping' message at the server`)
      expect(client.messages(), "'pong' answers are never emitted as messages").not.toContain('pong')

      // 3. a silent link: the proxy forwards nothing either way and both TCP connections stay open
      let mark = client.log.length
      const silencedAt = performance.now()
      proxy.silence()
      const left = await client.waitFor("the socket to leave 'open' on a silent link", (e) => e.kind === 'state' && e.prev === 'open', 3_000, mark)
      const detectedMs = Math.round(left.t - silencedAt)
      console.log(`[chromium] ${name}: silent link noticed in ${detectedMs} ms (heartbeat ${HEARTBEAT.interval} + ${HEARTBEAT.timeout} ms)`)
      expect(left.reason).toBe('heartbeat timeout')
      expect(left.next).toBe('backoff')
      expect(detectedMs, `${name}: silent-link detection time`).toBeLessThanOrEqual(SILENCE_DETECTION_BUDGET_MS)
      const error = client.log.slice(mark).find((e) => e.kind === 'error')
      expect(error?.code).toBe('HEARTBEAT_TIMEOUT')
      const healedAt = performance.now()
      proxy.heal()
      const reopened = await client.waitFor("'open' after the link healed", (e) => e.kind === 'state' && e.next === 'open', 6_000, mark)
      console.log(`[chromium] ${name}: open again ${Math.round(reopened.t - healedAt)} ms after the link healed`)

      // 4. offline: the socket is closed at once and waits in 'backoff' without trying; online: back
      mark = client.log.length
      const connectionsBefore = server.connectionCount
      await context.setOffline(true)
      const offline = await client.waitForState('backoff', 3_000, mark)
      expect(offline.reason).toBe('offline')
      const offlineMark = client.log.length
      // a bounded watch: no attempt while offline (the retry timer is not even armed)
      await new Promise((done) => setTimeout(done, 500))
      expect(client.states(offlineMark), `${name}: states while offline`).toEqual([])
      expect(server.connectionCount).toBe(connectionsBefore)
      await context.setOffline(false)
      await client.waitForState('open', 4_000, offlineMark)
      expect(client.states(mark), `${name}: the path through offline/online`).toEqual(['backoff', 'connecting', 'open'])
      expect(server.connectionCount).toBe(connectionsBefore + 1)

      // 5. close(): final, never reconnects
      await closeAndStayClosed(client, server, proxy)
      // issue 14: a message written to a connection that died before a ping confirmed it (the kill,
      // the silence) is reported 'unconfirmed'; nothing is dropped for any other reason
      expect(
        client.log.filter((e) => e.kind === 'giveup' || (e.kind === 'drop' && e.reason !== 'unconfirmed')),
        `${name}: nothing dropped but unconfirmed writes, no giveup`,
      ).toEqual([])
    })
  })

  // Issue 14 in a browser: the app-level heartbeat's answers confirm what was written before each
  // ping; what was written into a silent link is reported ('report') or written again on the next
  // connection ('resend'), never lost silently.
  describe.each(['report', 'resend'] as const)("delivery: '%s' (ESM page)", (delivery) => {
    it('messages written into a silenced link are reported or resent once it heals', async () => {
      const server = await heartbeatServer()
      const proxy = await startProxy(server.port)
      const client = await openClient(`esm ${delivery}`, '/pages/esm.html')
      await client.command({
        op: 'create',
        options: { url: `ws://127.0.0.1:${proxy.port}/`, heartbeat: HEARTBEAT, delivery, connectTimeout: 1_000, backoff: { initialDelay: 200, maxDelay: 400 } },
      })
      await client.waitForState('open', 5_000)
      let mark = client.log.length
      await client.command({ op: 'send', data: ['kept-1'] })
      await client.waitFor("the echo of 'kept-1'", (e) => e.kind === 'message' && e.data === 'kept-1', 3_000, mark)

      mark = client.log.length
      proxy.silence()
      const lost = numbered('lost', 3)
      await client.command({ op: 'send', data: lost })
      await client.waitFor("the socket to leave 'open' on the silent link", (e) => e.kind === 'state' && e.prev === 'open', 3_000, mark)
      // (kept-1 too, when the silence came before the pong that confirms it: that is a race here)
      const drops = client.log.slice(mark).filter((e) => e.kind === 'drop' && String(e.data).startsWith('lost'))
      proxy.heal()
      await client.waitFor("'open' after the link healed", (e) => e.kind === 'state' && e.next === 'open', 6_000, mark)
      if (delivery === 'report') {
        // each reported, in send order, before the socket left 'open'
        expect(drops.map((e) => [e.data, e.reason])).toEqual(lost.map((data) => [data, 'unconfirmed']))
        expect(payload(server)).not.toContain('lost-1')
      } else {
        expect(drops).toEqual([])
        await waitFor(() => lost.every((m) => payload(server).includes(m)), 3_000, 'the resent messages at the server', {
          describe: () => JSON.stringify(payload(server)),
        })
        expect(payload(server).filter((m) => typeof m === 'string' && m.startsWith('lost'))).toEqual(lost)
      }
      await closeAndStayClosed(client, server, proxy)
    })
  })

  describe.each([
    { name: 'classic worker (importScripts dist/lifeline.umd.cjs)', worker: 'classic', exportsFrom: 'dist/lifeline.umd.cjs (importScripts)' },
    { name: "module worker (type: 'module', dist/worker.mjs)", worker: 'module', exportsFrom: 'dist/worker.mjs' },
  ])('$name', ({ name, worker, exportsFrom }) => {
    it('echo; abrupt drop with queued sends in order; reconnect; close', async () => {
      const server = await heartbeatServer()
      const client = await openClient(name, `/pages/worker.html?worker=${worker}`)
      expect(client.log.find((e) => e.kind === 'loaded')?.build).toBe(exportsFrom)
      await client.command({
        op: 'create',
        options: { url: server.url, heartbeat: HEARTBEAT, connectTimeout: 2_000, backoff: { initialDelay: 100, maxDelay: 200 } },
      })
      await echoDropQueueReconnect(client, server, 'worker')
      await closeAndStayClosed(client, server)
    })
  })
})
