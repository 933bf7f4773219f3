/**
 * Issue 18 in Chromium (Debian's, never a downloaded one): the back/forward cache, a module worker
 * that sees offline, and a send() into a link whose heartbeat timer is held back.
 *
 * The browser runs without the flags playwright adds that would make these untestable:
 * --disable-back-forward-cache and the background-throttling ones. The pages are served cacheable
 * (a `no-store` document is never put in the back/forward cache).
 *
 * Throttled timers: headless Chromium never hides a page (visibilityState stays 'visible' after
 * Browser.setWindowBounds minimized, a background Target.createTarget, focus emulation), so its
 * once-a-minute wake-ups cannot be reached, and Emulation.setVirtualTimePolicy stops Date.now
 * along with the timers. So the page hands the socket a timer port (the public `timer` option)
 * whose callbacks run only at wake-ups the test grants, while the clocks run on: the timer is late
 * exactly as a throttled one is, the WebSocket and the dead link (a silenced proxy) are real.
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
import { CHROMIUM, CHROMIUM_ARGS, requireChromium } from '../support/chromium.js'
import { closeAllServers, startWsServer, type TestWsServer } from '../support/servers.js'
import { waitFor } from '../support/wait.js'

const ROOT = resolve(import.meta.dirname, '../..')
const DIRS: Record<string, string> = { dist: join(ROOT, 'dist'), pages: join(import.meta.dirname, 'pages') }
const TYPES: Record<string, string> = { '.html': 'text/html; charset=utf-8', '.mjs': 'text/javascript; charset=utf-8', '.js': 'text/javascript; charset=utf-8' }
const HEARTBEAT = { mode: 'message', message: 'ping', interval: 500, timeout: 500 } as const

type Reported = Record<string, unknown> & { kind: string }
let http: Server
let origin: string
let context: BrowserContext
let userDataDir: string
const proxies: FaultProxy[] = []

beforeAll(async () => {
  requireChromium()
  if (!existsSync(join(DIRS.dist!, 'browser.mjs'))) throw new Error('dist/ is missing: run `npm run build` first')
  http = createServer((req, res) => {
    const [, top, ...rest] = new URL(req.url ?? '/', 'http://x').pathname.split('/')
    const base = top === undefined ? undefined : DIRS[top]
    const file = base && rest.length > 0 ? resolve(base, ...rest) : undefined
    if (!base || !file || !file.startsWith(base + sep) || !existsSync(file) || !TYPES[extname(file)]) return void res.writeHead(404).end()
    res.writeHead(200, { 'content-type': TYPES[extname(file)]! }).end(readFileSync(file))
  })
  await new Promise<void>((done) => http.listen(0, '127.0.0.1', done))
  origin = `http://127.0.0.1:${(http.address() as AddressInfo).port}`
  userDataDir = await mkdtemp(join(tmpdir(), 'lifeline-lifecycle-'))
  context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    ignoreDefaultArgs: ['--disable-back-forward-cache', '--disable-background-timer-throttling', '--disable-renderer-backgrounding', '--disable-backgrounding-occluded-windows'],
    timeout: 20_000,
  })
}, 30_000)

afterEach(async () => {
  await context?.setOffline(false)
  for (const page of context?.pages() ?? []) await page.close().catch(() => {})
  await Promise.all(proxies.splice(0).map((p) => p.close()))
  await closeAllServers()
})

afterAll(async () => {
  await context?.close()
  if (http) await new Promise((done) => http.close(done))
  if (userDataDir) await rm(userDataDir, { recursive: true, force: true })
})

/** A page whose reports land in `log` (the binding survives navigations). */
async function open(path: string): Promise<{ page: Page; log: Reported[]; next(what: string, match: (e: Reported) => boolean, from?: number): Promise<Reported> }> {
  const page = await context.newPage()
  const log: Reported[] = []
  const cdp = await context.newCDPSession(page) // before the first navigation, or its events are missed
  await cdp.send('Page.enable')
  // why a page was not restored from the back/forward cache, for the failure message
  cdp.on('Page.backForwardCacheNotUsed', (e) => void log.push({ kind: 'bfcache-not-used', reasons: e.notRestoredExplanations.map((r) => r.reason) }))
  page.on('pageerror', (error) => log.push({ kind: 'fatal', message: error.message }))
  await page.exposeBinding('__report', (_source, event: Reported) => void log.push(event))
  await page.goto(`${origin}${path}`)
  const next = async (what: string, match: (e: Reported) => boolean, from = 0): Promise<Reported> => {
    await waitFor(() => log.slice(from).some(match), 8_000, what, { describe: () => JSON.stringify(log) })
    return log.slice(from).find(match)!
  }
  await next('the page to load', (e) => e.kind === 'loaded')
  return { page, log, next }
}

function echoServer(): Promise<TestWsServer> {
  return startWsServer({ onMessage: (ws: WebSocket, data) => ws.send(data === 'ping' ? 'pong' : data) })
}
const payload = (server: TestWsServer): unknown[] => server.received.filter((m) => m !== 'ping')

describe.sequential('issue 18 in Chromium', () => {
  it('bfcache: a page without a socket is restored from the cache (the control)', async () => {
    const { page, log, next } = await open('/pages/lifecycle/plain.html')
    await next('the first pageshow', (e) => e.kind === 'pageshow')
    const away = log.length
    await page.goto(`${origin}/pages/lifecycle/other.html`)
    await page.goBack({ waitUntil: 'commit' })
    await next('pageshow after going back', (e) => e.kind === 'pageshow', away)
    expect(log.filter((e) => e.kind === 'pageshow' || e.kind === 'bfcache-not-used')).toEqual([
      { kind: 'pageshow', persisted: false },
      { kind: 'pageshow', persisted: true },
    ])
  })

  // Chromium 156 lets a page with an open WebSocket into the cache but fails the socket ("Page
  // entered Back-Forward Cache", 1001 at the server): without the release on pagehide the restored
  // page writes into it, gets a 1006, and loses those sends as 'unconfirmed'.
  it('bfcache: the socket is released on pagehide, the page restored from the cache, and the queue flushed in order on one new connection', async () => {
    const server = await echoServer()
    const { page, log, next } = await open('/pages/lifecycle/socket.html')
    await page.evaluate(({ url, heartbeat }) => (window as any).create({ url, heartbeat }), { url: server.url, heartbeat: HEARTBEAT })
    await next('open', (e) => e.kind === 'state' && e.next === 'open')
    await page.evaluate(() => (window as any).sendConfirmed('before-1'))

    const away = log.length
    await page.goto(`${origin}/pages/lifecycle/other.html`)
    await page.goBack({ waitUntil: 'commit' })
    const shown = await next('pageshow after going back', (e) => e.kind === 'pageshow', away)
    expect(shown.persisted, `restored from the back/forward cache ${JSON.stringify(log.filter((e) => e.kind === 'bfcache-not-used'))}`).toBe(true)
    await waitFor(() => payload(server).length === 4, 5_000, 'the queued messages at the server', { describe: () => JSON.stringify(payload(server)) })
    expect(payload(server)).toEqual(['before-1', 'hide-1', 'hide-2', 'show-1'])
    expect(server.connectionCount, 'one reconnect, no storm').toBe(2)
    const events: Reported[] = await page.evaluate(() => (window as any).events)
    expect(events.filter((e) => e.kind === 'sent').map((e) => [e.data, e.before])).toEqual([
      ['before-1', 'open'],
      ['hide-1', 'backoff'],
      ['hide-2', 'backoff'],
      ['show-1', 'connecting'],
    ])
    expect(events.filter((e) => e.kind === 'state').map((e) => e.reason)).toEqual(['connect', 'open', 'page frozen', 'page resumed', 'open'])
    expect([...events, ...log].filter((e) => e.kind === 'drop' || e.kind === 'fatal')).toEqual([])
  })

  it("a module worker sees offline through navigator.onLine (no event fires there), and 'online' again", async () => {
    const server = await echoServer()
    const { page, log, next } = await open('/pages/lifecycle/worker.html')
    await page.evaluate(({ url, heartbeat }) => (window as any).create({ url, heartbeat, backoff: { initialDelay: 100, maxDelay: 200 } }), { url: server.url, heartbeat: HEARTBEAT })
    await next('open', (e) => e.kind === 'state' && e.next === 'open')
    const mark = log.length
    await context.setOffline(true)
    const offline = await next("'backoff' after offline", (e) => e.kind === 'state' && e.next === 'backoff', mark)
    expect(offline.reason).toBe('offline')
    await context.setOffline(false)
    await next("'open' after online", (e) => e.kind === 'state' && e.next === 'open', mark)
  })

  it('a send() after the heartbeat deadline, its timer held back as a throttled one is, is not written into the dead link', async () => {
    const server = await echoServer()
    const proxy = createFaultProxy({ target: { host: '127.0.0.1', port: server.port } })
    proxies.push(proxy)
    await proxy.start()
    const { page, log, next } = await open('/pages/lifecycle/socket.html')
    const url = `ws://127.0.0.1:${proxy.port}/`
    await page.evaluate(({ u, heartbeat }) => (window as any).create({ url: u, heartbeat, backoff: { initialDelay: 100, maxDelay: 100 } }, true), { u: url, heartbeat: HEARTBEAT })
    await page.evaluate(() => (window as any).timers.wake()) // the first attempt's tick
    await next('open', (e) => e.kind === 'state' && e.next === 'open')
    proxy.silence()
    // the heartbeat timer's wake-up: its ping goes into the silence
    await page.waitForFunction(() => (window as any).timers.overdue(), undefined, { timeout: 3_000 })
    const discarded = proxy.stats.up.discarded
    await page.evaluate(() => (window as any).timers.wake())
    await waitFor(() => proxy.stats.up.discarded > discarded, 3_000, 'the ping, discarded by the silent proxy')
    // the ping's deadline passes; its timer is held back (no wake-up granted)
    await page.waitForFunction(() => (window as any).timers.overdue(), undefined, { timeout: 3_000 })
    await page.evaluate(() => (window as any).send('after-deadline'))
    const sent = await next('the send report', (e) => e.kind === 'sent' && e.data === 'after-deadline')
    expect([sent.before, sent.after], 'the send found the link dead').toEqual(['open', 'backoff'])
    expect(log.find((e) => e.kind === 'state' && e.prev === 'open')?.reason).toBe('heartbeat timeout')
    proxy.heal()
    await page.evaluate(() => (window as any).timers.release())
    await waitFor(() => payload(server).includes('after-deadline'), 5_000, 'after-deadline at the server', { describe: () => JSON.stringify(payload(server)) })
    expect(payload(server)).toEqual(['after-deadline'])
    expect(server.connectionCount).toBe(2)
  })
})
