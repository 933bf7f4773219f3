/**
 * lifeline-ws/tabs in real Chromium (Debian's /usr/bin/chromium via playwright-core): pages of one
 * origin in one browser profile share Web Locks and BroadcastChannel, against a real `ws` server on
 * 127.0.0.1 that counts connections and how many are open at once. Run `npm run build` first.
 *
 * - three pages: one connection, one leader; a server push reaches all three; sends from every page
 *   arrive exactly once, in order per page
 * - the leader page closes: another page leads within the bound, and what the followers sent while
 *   no page led arrives, once, in order
 * - a leader that keeps its lock but answers nothing (frozen, or its main thread stuck): a follower
 *   steals the lock after the probe and takeoverTimeout; back, the old leader steps down and its
 *   connection closes
 * - close() in the leader tab: it is closed, another page leads; a follower's sendAsync resolves
 * - sharedWorker: a SharedWorker holds the connection for every page; without SharedWorker the
 *   pages elect a leader instead
 * - no BroadcastChannel, or no Web Locks: every page falls back to a socket of its own and says so
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { chromium, type BrowserContext, type Page } from 'playwright-core'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import type { WebSocket } from 'ws'
import { CHROMIUM, CHROMIUM_ARGS, requireChromium } from '../support/chromium.js'
import { closeAllServers, startWsServer, type TestWsServer } from '../support/servers.js'
import { waitFor } from '../support/wait.js'
import { serveStatic, type StaticServer } from './static-server.js'

const ROOT = resolve(import.meta.dirname, '../..')
/** takeoverTimeout the pages use: a frozen leader is replaced within PROBE (1 s) + 1.5 × this + slack. */
const TAKEOVER_MS = 1_000
const FROZEN_LEADER_BOUND_MS = 1_000 + 1.5 * TAKEOVER_MS + 1_500
/** A closed leader page releases its lock at once: the next page leads and connects within this. */
const CLOSED_LEADER_BOUND_MS = 2_000

let web: StaticServer
let context: BrowserContext
let userDataDir: string
const pages: Page[] = []

beforeAll(async () => {
  requireChromium()
  web = await serveStatic({ dist: join(ROOT, 'dist'), tabs: join(import.meta.dirname, 'tabs') })
  userDataDir = await mkdtemp(join(tmpdir(), 'lifeline-tabs-'))
  context = await chromium.launchPersistentContext(userDataDir, { executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, timeout: 20_000 })
}, 30_000)

afterEach(async () => {
  for (const page of pages.splice(0)) await page.close().catch(() => {})
  await closeAllServers()
})

afterAll(async () => {
  await context?.close()
  await web?.close()
  if (userDataDir) await rm(userDataDir, { recursive: true, force: true })
})

/**
 * A `ws` server that also tracks how many connections are open at once, and the most ever. A
 * connection ends when its close frame arrives (or its TCP connection closes, if that is first):
 * a leader closes its socket before it lets go of the lock, but the TCP teardown after the close
 * handshake may finish a few ms after the next leader's upgrade. `ws` reports the close frame only
 * through its receiver's 'conclude' event (internal, stable across ws 8).
 */
async function countingServer(): Promise<TestWsServer & { open: () => number; maxOpen: () => number }> {
  let open = 0
  let maxOpen = 0
  const server = await startWsServer({
    onMessage: () => {},
    onConnection: (ws: WebSocket) => {
      maxOpen = Math.max(maxOpen, ++open)
      let ended = false
      const end = (): void => {
        if (!ended) open--
        ended = true
      }
      ;(ws as unknown as { _receiver: { on(event: 'conclude', listener: () => void): void } })._receiver.on('conclude', end)
      ws.on('close', end)
    },
  })
  return Object.assign(server, { open: () => open, maxOpen: () => maxOpen })
}

async function openTab(server: TestWsServer, extra = ''): Promise<Page> {
  const page = await context.newPage()
  pages.push(page)
  page.on('pageerror', (error) => console.error(`[page error] ${error.message}`))
  await page.goto(`${web.origin}/tabs/tabs.html?ws=${encodeURIComponent(server.url)}&takeover=${TAKEOVER_MS}${extra}`)
  await page.waitForFunction(() => (window as any).ready === true, undefined, { timeout: 10_000 })
  return page
}

const role = (page: Page): Promise<string> => page.evaluate(() => (window as any).socket.role)
const state = (page: Page): Promise<string> => page.evaluate(() => (window as any).socket.state)
const received = (page: Page): Promise<unknown[]> => page.evaluate(() => (window as any).received)
const send = (page: Page, data: string[]): Promise<boolean[]> =>
  page.evaluate((all) => all.map((d) => (window as any).socket.send(d) as boolean), data)

/** Poll every page until `check` holds for all of them (bounded). */
async function untilAll(tabs: Page[], what: string, check: (page: Page) => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const results = await Promise.all(tabs.map(check))
    if (results.every(Boolean)) return
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; per page: ${results}`)
    await new Promise((done) => setTimeout(done, 25))
  }
}

async function roles(tabs: Page[]): Promise<string[]> {
  return Promise.all(tabs.map(role))
}

const numbered = (prefix: string, n: number): string[] => Array.from({ length: n }, (_, i) => `${prefix}-${i + 1}`)

/** What the server received from the tab `prefix`, in arrival order. */
const from = (server: TestWsServer, prefix: string): unknown[] => server.received.filter((m) => typeof m === 'string' && m.startsWith(`${prefix}-`))

describe.sequential('lifeline-ws/tabs in Chromium', () => {
  it('three pages share one connection: one leader, a push reaches all three, every send arrives once and in order', async () => {
    const server = await countingServer()
    const tabs = [await openTab(server), await openTab(server), await openTab(server)]
    await untilAll(tabs, "every page in state 'open'", async (p) => (await state(p)) === 'open', 5_000)
    expect((await roles(tabs)).sort()).toEqual(['follower', 'follower', 'leader'])
    expect(server.connectionCount).toBe(1)

    for (const ws of server.clients) ws.send('to-everyone')
    await untilAll(tabs, 'the push on every page', async (p) => (await received(p)).includes('to-everyone'), 3_000)

    const names = ['a', 'b', 'c']
    for (const [i, page] of tabs.entries()) expect(await send(page, numbered(names[i]!, 20))).toEqual(Array(20).fill(true))
    await server.waitForReceived(60, 5_000)
    for (const name of names) expect(from(server, name), `what page ${name} sent`).toEqual(numbered(name, 20))
    expect(server.received).toHaveLength(60)
    // followers see the leader's stats: its one connection and the 60 messages it wrote
    const stats = await tabs[1]!.evaluate(() => (window as any).socket.stats())
    expect(stats.opens).toBe(1)
    expect(server.connectionCount).toBe(1)
    expect(server.maxOpen()).toBe(1)
  })

  it('closing the leader page: another page leads within the bound; what was sent in between arrives once, in order', async () => {
    const server = await countingServer()
    const tabs = [await openTab(server), await openTab(server), await openTab(server)]
    await untilAll(tabs, "every page 'open'", async (p) => (await state(p)) === 'open', 5_000)
    const leaderAt = (await roles(tabs)).indexOf('leader')
    const [leader] = tabs.splice(leaderAt, 1)
    const started = Date.now()
    await leader!.close()
    // sent while the old leader is gone and before (or while) a new one takes over
    expect(await send(tabs[0]!, numbered('x', 10))).toEqual(Array(10).fill(true))
    expect(await send(tabs[1]!, numbered('y', 10))).toEqual(Array(10).fill(true))
    // a follower may still mirror the old leader's 'open' for a moment: wait for a new leader too
    await untilAll(tabs, 'a new leader, open', async (p) => (await state(p)) === 'open' && (await roles(tabs)).includes('leader'), CLOSED_LEADER_BOUND_MS)
    expect((await roles(tabs)).sort()).toEqual(['follower', 'leader'])
    console.log(`[tabs] a new leader was open ${Date.now() - started} ms after the leader page closed`)
    await server.waitForReceived(20, 3_000)
    expect(from(server, 'x')).toEqual(numbered('x', 10))
    expect(from(server, 'y')).toEqual(numbered('y', 10))
    expect(server.connectionCount).toBe(2)
    expect(server.maxOpen(), 'connections open at once').toBe(1)
  })

  it('a leader that stops answering but keeps its lock (frozen, or its main thread stuck) is replaced; back, it steps down', async () => {
    const server = await countingServer()
    const tabs = [await openTab(server), await openTab(server)]
    await untilAll(tabs, "both pages 'open'", async (p) => (await state(p)) === 'open', 5_000)
    const leaderAt = (await roles(tabs)).indexOf('leader')
    const leader = tabs[leaderAt]!
    const follower = tabs[1 - leaderAt]!
    // CDP's Page.setWebLifecycleState('frozen') does not freeze a page of headless Chromium (it kept
    // answering here), so the leader's main thread is kept busy instead: the same to every other
    // tab, a lock holder that answers nothing
    const stuck = leader.evaluate((ms) => {
      const until = Date.now() + ms
      while (Date.now() < until);
    }, FROZEN_LEADER_BOUND_MS + 2_000)
    const started = Date.now()
    await send(follower, numbered('f', 5))
    await waitFor(() => server.connectionCount === 2, FROZEN_LEADER_BOUND_MS, 'a second connection, from the page that took over', {
      describe: () => `connections=${server.connectionCount}`,
    })
    console.log(`[tabs] the stuck leader was replaced after ${Date.now() - started} ms`)
    expect(await role(follower)).toBe('leader')
    await server.waitForReceived(5, 3_000)
    expect(from(server, 'f')).toEqual(numbered('f', 5))

    await stuck
    await untilAll([leader], 'the page that was stuck to step down', async (p) => (await role(p)) === 'follower', 3_000)
    await waitFor(() => server.open() === 1, 3_000, 'the old leader to close its connection', { describe: () => `open=${server.open()}` })
    await untilAll(tabs, "both pages 'open' again", async (p) => (await state(p)) === 'open', 3_000)
    expect(await send(leader, ['from-old-leader'])).toEqual([true])
    await server.waitForReceived(6, 3_000)
    expect(server.received).toEqual([...numbered('f', 5), 'from-old-leader'])
  })

  it("close() in the leader tab: that tab is 'closed', another leads; a follower's sendAsync resolves once written", async () => {
    const server = await countingServer()
    const tabs = [await openTab(server), await openTab(server)]
    await untilAll(tabs, "both pages 'open'", async (p) => (await state(p)) === 'open', 5_000)
    const leaderAt = (await roles(tabs)).indexOf('leader')
    const leader = tabs[leaderAt]!
    const other = tabs[1 - leaderAt]!
    await leader.evaluate(() => (window as any).socket.close())
    expect(await state(leader)).toBe('closed')
    await untilAll([other], 'the other page leading, open', async (p) => (await role(p)) === 'leader' && (await state(p)) === 'open', CLOSED_LEADER_BOUND_MS)
    expect(await leader.evaluate(() => (window as any).socket.send('after-close'))).toBe(false)
    expect(await leader.evaluate(() => (window as any).log.filter((e: unknown[]) => e[0] === 'drop').map((e: any) => [e[1].data, e[1].reason]))).toEqual([
      ['after-close', 'closed'],
    ])
    await other.evaluate(() => (window as any).socket.sendAsync('confirmed'))
    await server.waitForReceived(1, 3_000)
    expect(server.received).toEqual(['confirmed'])
    expect(server.connectionCount).toBe(2)
    expect(server.maxOpen(), 'connections open at once').toBe(1)
  })

  it('sharedWorker: the worker holds the one connection; every page follows it; a closed page changes nothing', async () => {
    const server = await countingServer()
    const tabs = [await openTab(server, '&worker'), await openTab(server, '&worker'), await openTab(server, '&worker')]
    await untilAll(tabs, "every page 'open'", async (p) => (await state(p)) === 'open', 5_000)
    expect(await roles(tabs)).toEqual(['follower', 'follower', 'follower'])
    expect(server.connectionCount).toBe(1)
    for (const ws of server.clients) ws.send('from-server')
    await untilAll(tabs, 'the push on every page', async (p) => (await received(p)).includes('from-server'), 3_000)
    const names = ['a', 'b', 'c']
    for (const [i, page] of tabs.entries()) expect(await send(page, numbered(names[i]!, 10))).toEqual(Array(10).fill(true))
    await server.waitForReceived(30, 5_000)
    for (const name of names) expect(from(server, name), `what page ${name} sent`).toEqual(numbered(name, 10))

    await tabs.shift()!.close()
    expect(await send(tabs[0]!, ['after-close'])).toEqual([true])
    await server.waitForReceived(31, 3_000)
    expect(server.received.at(-1)).toBe('after-close')
    expect(server.connectionCount).toBe(1)
    expect(server.received).toHaveLength(31)
  })

  it('sharedWorker where SharedWorker is missing: the pages elect a leader as usual', async () => {
    const server = await countingServer()
    const tabs = [await openTab(server, '&worker&noworker'), await openTab(server, '&worker&noworker')]
    await untilAll(tabs, "both pages 'open'", async (p) => (await state(p)) === 'open', 5_000)
    expect((await roles(tabs)).sort()).toEqual(['follower', 'leader'])
    expect(server.connectionCount).toBe(1)
  })

  it.each([
    ['BroadcastChannel', '&nobc'],
    ['Web Locks', '&nolocks'],
  ])('without %s every page keeps a socket of its own, and says so', async (_missing, params) => {
    const server = await countingServer()
    const tabs = [await openTab(server, params), await openTab(server, params)]
    await untilAll(tabs, "both pages 'open'", async (p) => (await state(p)) === 'open', 5_000)
    expect(await roles(tabs)).toEqual(['alone', 'alone'])
    expect(server.connectionCount).toBe(2)
    const lines = await tabs[0]!.evaluate(() => (window as any).debugLines as string[])
    expect(lines).toContain('tabs: no Web Locks or BroadcastChannel; one socket per tab')
    await send(tabs[0]!, ['solo-1'])
    await server.waitForReceived(1, 3_000)
    expect(server.received).toEqual(['solo-1'])
  })
})
