/**
 * lifeline-ws/react in real Chromium: a React 19 app in StrictMode (app.ts), built by Vite in
 * development mode against dist/react.mjs, served from 127.0.0.1 and loaded in Debian's Chromium,
 * against real `ws` servers that count connections. Run `npm run build` first.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { chromium, type Browser, type Page } from 'playwright-core'
import { build } from 'vite'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import type { WebSocket } from 'ws'
import { CHROMIUM, CHROMIUM_ARGS, requireChromium } from '../../support/chromium.js'
import { closeAllServers, startWsServer, type TestWsServer } from '../../support/servers.js'
import { waitFor } from '../../support/wait.js'
import { serveStatic, type StaticServer } from '../static-server.js'

const ROOT = resolve(import.meta.dirname, '../../..')
const LINGER_MS = 500
/** Options every probe uses: quick retries, no heartbeat (the servers here do not answer pings). */
const BASE = { heartbeat: false, backoff: { initialDelay: 100, maxDelay: 300 }, linger: LINGER_MS }

let web: StaticServer
let browser: Browser
let outDir: string
let page: Page

beforeAll(async () => {
  requireChromium()
  outDir = await mkdtemp(join(tmpdir(), 'lifeline-react-app-'))
  await build({
    root: import.meta.dirname,
    base: '/app/',
    mode: 'development',
    logLevel: 'warn',
    configFile: false,
    define: { 'process.env.NODE_ENV': '"development"' },
    resolve: { alias: { 'lifeline-ws/react': join(ROOT, 'dist/react.mjs') } },
    build: { outDir, emptyOutDir: true, minify: false },
  })
  web = await serveStatic({ app: outDir })
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, timeout: 20_000 })
}, 60_000)

afterEach(async () => {
  await page?.close().catch(() => {})
  await closeAllServers()
})

afterAll(async () => {
  await browser?.close()
  await web?.close()
  if (outDir) await rm(outDir, { recursive: true, force: true })
})

/** A `ws` server that sends nothing on its own, counting connections and how many are open. */
async function server(): Promise<TestWsServer & { open: () => number }> {
  let open = 0
  const s = await startWsServer({
    onMessage: () => {},
    onConnection: (ws: WebSocket) => {
      open++
      ws.on('close', () => open--)
    },
  })
  return Object.assign(s, { open: () => open })
}

async function openApp(): Promise<Page> {
  page = await browser.newPage()
  page.on('pageerror', (error) => console.error(`[page error] ${error.message}`))
  await page.goto(`${web.origin}/app/index.html`)
  await page.waitForFunction(() => window.ready === true, undefined, { timeout: 10_000 })
  return page
}

const setProbes = (probes: Record<string, object>): Promise<void> => page.evaluate((p) => window.setProbes(p as never), probes)
const hook = (name: string, field: string): Promise<unknown> =>
  page.evaluate(([n, f]) => (window.hooks[n!] as unknown as Record<string, unknown>)[f!], [name, field])
const stateOf = (name: string): Promise<string | null> => page.evaluate((n) => document.getElementById(n)?.dataset.state ?? null, name)

async function untilState(names: string[], state: string, timeoutMs: number): Promise<void> {
  await page.waitForFunction(
    ([all, s]) => (all as string[]).every((n) => document.getElementById(n)?.dataset.state === s),
    [names, state] as const,
    { timeout: timeoutMs },
  )
}

describe.sequential('lifeline-ws/react in Chromium (React 19, StrictMode, Vite build)', () => {
  it('two components, one key: one connection; a push re-renders both; a server restart reconnects and they show open again', async () => {
    const ws = await server()
    await openApp()
    await setProbes({ a: { ...BASE, url: ws.url }, b: { ...BASE, url: ws.url } })
    await untilState(['a', 'b'], 'open', 5_000)
    expect(await page.evaluate(() => window.hooks.a!.socket === window.hooks.b!.socket)).toBe(true)
    expect(ws.connectionCount, 'connections opened under StrictMode').toBe(1)

    for (const client of ws.clients) client.send('hello')
    await page.waitForFunction(() => ['a', 'b'].every((n) => document.getElementById(n)?.textContent === 'hello'), undefined, { timeout: 3_000 })

    await ws.restart()
    await page.waitForFunction(() => document.getElementById('a')?.dataset.state !== 'open', undefined, { timeout: 3_000 })
    await untilState(['a', 'b'], 'open', 5_000)
    expect(ws.connectionCount, 'one reconnect for both components').toBe(2)
    expect(await page.evaluate(() => window.hooks.a!.send('after-restart'))).toBe(true)
    await ws.waitForReceived(1, 3_000)
    expect(ws.received).toEqual(['after-restart'])
  })

  it('the last unmount closes the socket after the linger; a remount within it reuses the socket', async () => {
    const ws = await server()
    await openApp()
    await setProbes({ a: { ...BASE, url: ws.url } })
    await untilState(['a'], 'open', 5_000)

    await setProbes({})
    await setProbes({ b: { ...BASE, url: ws.url } })
    await untilState(['b'], 'open', 3_000)
    expect(ws.connectionCount, 'a remount within the linger').toBe(1)

    const unmounted = Date.now()
    await setProbes({})
    await waitFor(() => ws.open() === 0, LINGER_MS + 3_000, 'the socket to close after the linger', { describe: () => `open=${ws.open()}` })
    const closedAfter = Date.now() - unmounted
    console.log(`[react] closed ${closedAfter} ms after the last unmount (linger ${LINGER_MS} ms)`)
    expect(closedAfter, 'the socket stayed open for the linger').toBeGreaterThanOrEqual(LINGER_MS - 50)
    expect(ws.connectionCount).toBe(1)
  })

  it('a socket closed for good (close() or give-up) is not handed to the next component with its key', async () => {
    const ws = await server()
    await openApp()
    await setProbes({ a: { ...BASE, url: ws.url } })
    await untilState(['a'], 'open', 5_000)
    await page.evaluate(() => window.hooks.a!.socket!.close())
    await untilState(['a'], 'closed', 3_000)
    await setProbes({ a: { ...BASE, url: ws.url }, b: { ...BASE, url: ws.url } })
    await untilState(['b'], 'open', 5_000)
    expect(await stateOf('a'), 'the component holding the closed socket').toBe('closed')
    expect(ws.connectionCount).toBe(2)
  })

  it('reduce: a message that does not change the data does not re-render', async () => {
    const ws = await server()
    await openApp()
    await setProbes({ ticks: { ...BASE, url: ws.url, reduce: 'countTicks' } })
    await untilState(['ticks'], 'open', 5_000)
    const client = [...ws.clients][0]!
    for (let i = 0; i < 3; i++) client.send('tick')
    await page.waitForFunction(() => window.hooks.ticks!.data === 3, undefined, { timeout: 3_000 })
    const renders = (await hook('ticks', 'renders')) as number
    for (let i = 0; i < 50; i++) client.send('noise')
    client.send('tick')
    await page.waitForFunction(() => window.hooks.ticks!.data === 4, undefined, { timeout: 3_000 })
    // the last tick renders (twice in StrictMode); the 50 others did not
    expect(await hook('ticks', 'renders')).toBeLessThanOrEqual(renders + 2)
    expect(await hook('ticks', 'lastMessage')).toBeUndefined()
  })

  it('enabled: false holds no socket; enabling connects', async () => {
    const ws = await server()
    await openApp()
    await setProbes({ off: { ...BASE, url: ws.url, enabled: false } })
    await untilState(['off'], 'idle', 3_000)
    expect(await page.evaluate(() => window.hooks.off!.send('nowhere'))).toBe(false)
    expect(await page.evaluate(() => window.hooks.off!.socket === undefined)).toBe(true)
    await setProbes({ off: { ...BASE, url: ws.url, enabled: true } })
    await untilState(['off'], 'open', 5_000)
    expect(ws.connectionCount).toBe(1)
  })

  it('hydrating server markup while a socket with the same key is open: no mismatch, and the component then shows open', async () => {
    const ws = await server()
    await openApp()
    const mismatches: string[] = []
    page.on('console', (message) => message.type() === 'error' && /hydrat/i.test(message.text()) && mismatches.push(message.text()))
    await setProbes({ a: { ...BASE, url: ws.url } })
    await untilState(['a'], 'open', 5_000)
    await page.evaluate((url) => window.hydrate('late', { heartbeat: false, url }), ws.url)
    await untilState(['late'], 'open', 3_000)
    expect(await page.evaluate(() => window.hydrationErrors)).toEqual([])
    expect(mismatches).toEqual([])
    expect(ws.connectionCount).toBe(1)
  })

  it("a key change moves to a new socket, carrying the old one's queued messages with carryQueue", async () => {
    const first = await server()
    const second = await server()
    await openApp()
    await setProbes({ mover: { ...BASE, url: first.url, carryQueue: true } })
    await untilState(['mover'], 'open', 5_000)
    await first.stop()
    await page.waitForFunction(() => document.getElementById('mover')?.dataset.state !== 'open', undefined, { timeout: 3_000 })
    expect(await page.evaluate(() => ['q-1', 'q-2', 'q-3'].map((d) => window.hooks.mover!.send(d)))).toEqual([true, true, true])
    expect(await page.evaluate(() => window.hooks.mover!.socket!.queued)).toBe(3)

    await setProbes({ mover: { ...BASE, url: second.url, carryQueue: true } })
    await untilState(['mover'], 'open', 5_000)
    await second.waitForReceived(3, 3_000)
    expect(second.received).toEqual(['q-1', 'q-2', 'q-3'])
    expect(await stateOf('mover')).toBe('open')
  })
})
