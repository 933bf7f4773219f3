/**
 * The playground (playground/) end to end: its servers (app server, fault proxy, control API, Vite
 * dev server) on random ports, the page in Debian's Chromium, and the fault buttons clicked as a
 * user clicks them. What the page shows is read from the DOM: `html[data-state]` and the timeline's
 * text twin, `#transitions li` (data-kind, data-at, data-from, data-to, data-reason, data-fault),
 * stamped with the page's clock. Every wait is bounded; nothing sleeps and hopes.
 *
 * Screenshots: .tmp/playground/ (ignored) every run; the README's playground/playground.png when it
 * is missing or with PLAYGROUND_SCREENSHOT=1 (then a few more faults are played first, for a fuller
 * picture).
 */
import { existsSync } from 'node:fs'
import { mkdir, mkdtemp, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { chromium, type BrowserContext, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startPlayground, type Playground } from '../../playground/server.mjs'
import { resolveOptions } from '../../src/index.core.js'
import { waitFor } from '../support/wait.js'
import { CHROMIUM, CHROMIUM_ARGS, requireChromium } from '../support/chromium.js'

const ROOT = resolve(import.meta.dirname, '../..')
const SHOTS = join(ROOT, '.tmp', 'playground')
const README_SHOT = join(ROOT, 'playground', 'playground.png')
const UPDATE_README_SHOT = process.env.PLAYGROUND_SCREENSHOT === '1' || !existsSync(README_SHOT)

/** The policy typed into the page's editor: short timings, so that every bound below is a few seconds. */
const POLICY = {
  connectTimeout: 1500,
  backoff: { initialDelay: 1000, maxDelay: 2000, factor: 2, jitter: 'spread', resetAfter: 1000 },
  heartbeat: { mode: 'message', message: 'ping', interval: 1000, timeout: 1000 },
  queue: { maxMessages: 500 },
} as const
const SLACK_MS = 750 // timers, the browser, a busy machine
const SILENCE_S = 2

interface Listed {
  kind: string
  at: string
  from?: string
  to?: string
  reason?: string
  fault?: string
}

let playground: Playground
let context: BrowserContext
let page: Page
let userDataDir: string
const pageErrors: string[] = []

/** The timeline as text: every state change and fault the page listed, in order. */
function listed(): Promise<Listed[]> {
  return page.$$eval('#transitions li', (items) => items.map((li) => ({ ...(li as HTMLElement).dataset }) as unknown as Listed))
}

/** Wait (bounded) until the page's socket is in `state`. */
async function pageState(state: string, timeout: number): Promise<void> {
  await page.waitForSelector(`html[data-state="${state}"]`, { state: 'attached', timeout })
}

/**
 * The timeline's placed label boxes (the canvas publishes them in data-labels, after each frame):
 * none overlaps another, none leaves the canvas.
 */
async function expectNoOverlappingLabels(where: string): Promise<void> {
  // two animation frames: the current drawing is the one for this layout
  await page.evaluate(() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done))))
  const { boxes, width } = await page.$eval('#timeline', (canvas) => ({
    boxes: JSON.parse((canvas as HTMLElement).dataset.labels ?? '[]') as Array<[string, number, number, number, number]>,
    width: canvas.clientWidth,
  }))
  expect(boxes.length, where).toBeGreaterThan(0)
  for (const [text, x, , w] of boxes) {
    expect(x, `${where}: ${text}`).toBeGreaterThanOrEqual(0)
    expect(x + w, `${where}: ${text}`).toBeLessThanOrEqual(width + 1)
  }
  for (let i = 0; i < boxes.length; i++) {
    for (let j = i + 1; j < boxes.length; j++) {
      const [a, ax, ay, aw, ah] = boxes[i]!
      const [b, bx, by, bw, bh] = boxes[j]!
      // rounding: a pixel of touching is not an overlap
      const overlap = ax + aw > bx + 1 && bx + bw > ax + 1 && ay + ah > by + 1 && by + bh > ay + 1
      expect(overlap, `${where}: "${a}" overlaps "${b}"`).toBe(false)
    }
  }
}

/** Replace the policy editor's text and wait until the page has validated it with the SDK. */
async function typePolicy(text: string): Promise<void> {
  await page.fill('#policy', text)
  await page.waitForSelector('#policy[data-validated="true"]', { state: 'attached', timeout: 5_000 })
}

describe('playground', () => {
  beforeAll(async () => {
    if (!existsSync(join(ROOT, 'dist', 'browser.mjs'))) throw new Error('dist/ is missing: run `npm run build` first')
    playground = await startPlayground({ port: 0, logLevel: 'silent' })
    requireChromium()
    userDataDir = await mkdtemp(join(tmpdir(), 'lifeline-playground-'))
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_ARGS,
      viewport: { width: 1440, height: 900 },
      timeout: 20_000,
    })
    page = await context.newPage()
    page.on('pageerror', (error) => pageErrors.push(error.message))
    await page.goto(playground.url, { timeout: 15_000 })
    await page.waitForSelector('html[data-ready="true"]', { state: 'attached', timeout: 15_000 })
    await pageState('open', 10_000)
    // the test's policy, through the editor and Apply, as a user does
    await typePolicy(JSON.stringify(POLICY, null, 2))
    await page.waitForSelector('#policy-status[data-kind="ok"]', { timeout: 5_000 })
    await page.click('#apply')
    await page.waitForFunction(
      () => Array.from(document.querySelectorAll<HTMLElement>('#transitions li')).some((li) => li.dataset.kind === 'socket'),
      null,
      { timeout: 5_000 },
    )
    await pageState('open', 10_000)
  }, 30_000)

  afterAll(async () => {
    await context?.close()
    await playground?.close()
    if (userDataDir) await rm(userDataDir, { recursive: true, force: true })
  })

  it('shows the SDK’s exact error for an invalid policy, and keeps the socket running', async () => {
    const check = async (options: Record<string, unknown>): Promise<string> => {
      await typePolicy(JSON.stringify(options))
      await page.waitForSelector('#policy-status[data-kind="sdk"]', { timeout: 5_000 })
      expect(await page.getAttribute('#policy', 'aria-invalid')).toBe('true')
      expect(await page.isDisabled('#apply')).toBe(true)
      return (await page.textContent('#policy-error')) ?? ''
    }
    /** What the SDK itself says about these options (the same resolveOptions createSocket runs). */
    const sdkSays = (options: Record<string, unknown>): string => {
      try {
        resolveOptions({ url: playground.wsUrl, ...options } as never, {
          WebSocket: class {} as never,
          timer: { setTimeout, clearTimeout, now: Date.now },
          random: Math.random,
        })
      } catch (error) {
        return (error as Error).message
      }
      throw new Error('the SDK accepted these options')
    }

    const range = { backoff: { initialDelay: 2000, maxDelay: 500 } }
    expect(await check(range)).toBe('backoff.maxDelay (500) must be >= backoff.initialDelay (2000)')
    expect(await page.textContent('#policy-error')).toBe(sdkSays(range))

    const typo = { ...POLICY, backof: { factor: 3 } }
    expect(await check(typo)).toBe('Unknown option "backof"; did you mean "backoff"?')
    expect(await page.textContent('#policy-error')).toBe(sdkSays(typo))

    const jitter = { backoff: { jitter: 'random' } }
    expect(await check(jitter)).toBe('backoff.jitter must be "spread", "full", "equal", "none" or "decorrelated", got string "random"')

    // not JSON at all: said so, and not blamed on the SDK
    await typePolicy('{ "backoff": ')
    await page.waitForSelector('#policy-status[data-kind="json"]', { timeout: 5_000 })

    // the running socket never noticed; a valid text is accepted again
    expect(await page.getAttribute('html', 'data-state')).toBe('open')
    await typePolicy(JSON.stringify(POLICY, null, 2))
    await page.waitForSelector('#policy-status[data-kind="ok"]', { timeout: 5_000 })
    expect(await page.isDisabled('#apply')).toBe(false)
  })

  it('go silent: the heartbeat notices the half-open link, and the socket is back once it heals', async () => {
    await pageState('open', 5_000)
    const before = (await listed()).length
    await page.fill('#f-silence-s', String(SILENCE_S))
    await page.click('#f-silence')

    // open → … → open again, read from the timeline's text twin
    const found = await page.waitForFunction(
      (from) => {
        const items = Array.from(document.querySelectorAll<HTMLElement>('#transitions li')).slice(from).map((li) => ({ ...li.dataset }))
        const fault = items.findIndex((e) => e.kind === 'fault' && e.fault === 'silence')
        if (fault < 0) return null
        const left = items.findIndex((e, i) => i > fault && e.kind === 'state' && e.from === 'open')
        if (left < 0) return null
        const back = items.findIndex((e, i) => i > left && e.kind === 'state' && e.to === 'open')
        return back < 0 ? null : items.slice(fault, back + 1)
      },
      before,
      { timeout: 15_000, polling: 50 },
    )
    const path = (await found.jsonValue()) as unknown as Listed[]
    const t0 = Number(path[0]!.at)
    const states = path.filter((e) => e.kind === 'state')
    const leave = states[0]!
    const back = states.at(-1)!

    // noticed by the heartbeat (a silent link sends no close and no error), within interval + timeout
    expect(leave.reason).toBe('heartbeat timeout')
    expect(leave.to).toBe('backoff')
    expect(Number(leave.at) - t0).toBeLessThanOrEqual(POLICY.heartbeat.interval + POLICY.heartbeat.timeout + SLACK_MS)
    // in between: only the retry loop, never open while the link was silent
    for (const e of states.slice(1, -1)) expect(['connecting', 'backoff']).toContain(e.to)
    expect(states.some((e) => e.to === 'connecting')).toBe(true)
    // back after the link healed: an attempt caught in the silence times out, then one retry wait
    const reopened = Number(back.at) - t0
    expect(reopened).toBeGreaterThanOrEqual(SILENCE_S * 1000)
    expect(reopened).toBeLessThanOrEqual(SILENCE_S * 1000 + POLICY.connectTimeout + POLICY.backoff.maxDelay + SLACK_MS)

    // the disconnect is in monitor(socket).history() with its cause
    const causes = await page.$$eval('#history tbody tr td:nth-child(2)', (cells) => cells.map((c) => c.textContent))
    expect(causes).toContain('heartbeat')
  })

  it('kill: a burst queued during the outage reaches the server complete and in order', async () => {
    await pageState('open', 10_000)
    const receivedBefore = playground.received().length
    await page.click('#f-kill')
    // the reset reaches the browser as a 1006; the socket waits for its retry
    await page.waitForFunction(() => document.documentElement.dataset.state !== 'open', null, { timeout: 5_000, polling: 10 })
    await page.click('#send-burst')
    await page.waitForFunction(() => document.querySelectorAll('#log li.out.queued').length >= 100, null, { timeout: 2_000, polling: 10 })
    const queued = await page.$$eval('#log li.out', (rows) => rows.filter((r) => r.classList.contains('queued')).map((r) => r.children[3]!.textContent!))
    expect(queued).toHaveLength(100)
    const burst = /^burst (\d+): 1\/100$/.exec(queued[0]!)?.[1]
    expect(burst).toBeDefined()
    const expected = Array.from({ length: 100 }, (_, i) => `burst ${burst}: ${i + 1}/100`)
    expect(queued).toEqual(expected)
    await page.waitForFunction(() => /^100\b/.test(document.querySelector('[data-stat="queued"]')?.textContent ?? ''), null, { timeout: 2_000 })

    // reconnect within one retry wait, flush the queue in order before anything else
    await pageState('open', POLICY.backoff.maxDelay + POLICY.connectTimeout + SLACK_MS)
    await waitFor(() => playground.received().length >= receivedBefore + 100, 5_000, 'the burst on the server', {
      describe: () => `received ${playground.received().length - receivedBefore} new messages`,
    })
    const arrived = playground.received().slice(receivedBefore)
    expect(arrived.filter((m) => m.startsWith(`burst ${burst}:`))).toEqual(expected)
    expect(arrived.slice(0, 100)).toEqual(expected) // nothing overtook them

    // and the page says so: every row flushed, the echoes received, nothing dropped
    await page.waitForFunction(() => document.querySelectorAll('#log li.out.flushed').length >= 100, null, { timeout: 5_000 })
    expect(await page.$$eval('#log li.sys', (rows) => rows.some((r) => r.textContent!.includes('100 queued messages flushed in order')))).toBe(true)
    expect(await page.textContent('[data-stat="dropped"]')).toMatch(/^0\b/)
    const kills = (await listed()).filter((e) => e.kind === 'fault' && e.fault === 'kill')
    expect(kills).toHaveLength(1)
  })

  it('the frames inspector shows every frame in full: the heartbeat timeout error, a long message, the server side', async () => {
    // the go-silent test above ended a connection with HEARTBEAT_TIMEOUT
    await page.fill('#frames-search', 'no answer')
    await page.waitForSelector('#frames-list li[data-kind="error"][data-side="page"]', { timeout: 5_000 })
    await page.click('#frames-list li[data-kind="error"][data-side="page"]')
    const full = `no answer to a ping within ${POLICY.heartbeat.timeout} ms`
    expect(await page.textContent('#frame-text')).toBe(full)
    // and the stats cell shows the last error whole, not cut with an ellipsis. That is the heartbeat
    // timeout, or a connect timeout when an attempt was caught in the silence after it
    const cell = await page.$eval('[data-stat="lastError"]', (dd) => ({ text: dd.textContent ?? '', cut: dd.scrollWidth > dd.clientWidth + 1 }))
    const lastFull = cell.text.startsWith('CONNECT_TIMEOUT') ? `no connection within connectTimeout (${POLICY.connectTimeout} ms)` : full
    expect(cell.text).toContain(lastFull)
    expect(cell.cut).toBe(false)

    const long = `long ${'x'.repeat(3000)} end`
    await page.fill('#send-text', long)
    await page.click('#send-form button[type="submit"]')
    await page.fill('#frames-search', 'long xxx')
    await page.selectOption('#frames-side', 'page')
    await page.waitForSelector('#frames-list li[data-kind="text"][data-side="page"]', { timeout: 5_000 })
    await page.click('#frames-list li[data-kind="text"][data-side="page"]')
    expect(await page.textContent('#frame-text')).toBe(long)
    // the server saw it on the wire, and its heartbeat pings as text frames
    await page.selectOption('#frames-side', 'server')
    await page.waitForSelector('#frames-list li[data-kind="text"][data-side="server"]', { timeout: 5_000 })
    await page.fill('#frames-search', '')
    expect(await page.$$eval('#frames-list li[data-side="server"] .m', (cells) => cells.some((c) => c.textContent === 'ping'))).toBe(true)
    // pause holds new rows back, clear empties the list
    await page.click('#frames-pause')
    expect(await page.textContent('#frames-pause')).toBe('Resume')
    await page.click('#frames-pause')
    await page.click('#frames-clear')
    expect(await page.$$eval('#frames-list li', (rows) => rows.length)).toBe(0)
    await page.selectOption('#frames-side', '')
  })

  it('the applied policy round-trips through the URL, and copies as createSocket({...})', async () => {
    const link = page.url()
    const hash = new URLSearchParams(new URL(link).hash.slice(1)).get('policy')
    expect(JSON.parse(hash ?? 'null')).toEqual(POLICY)
    const other = await context.newPage()
    try {
      // another browser profile would not have localStorage: the link alone carries the policy
      await other.evaluate(() => localStorage.clear()).catch(() => {})
      await other.goto(link, { timeout: 10_000 })
      await other.waitForSelector('html[data-state="open"]', { state: 'attached', timeout: 10_000 })
      expect(JSON.parse(await other.inputValue('#policy'))).toEqual(POLICY)
      expect(await other.textContent('#policy-status')).toContain('the socket runs this policy')
      await other.click('#copy-code')
      const code = (await other.textContent('#code-out')) ?? ''
      expect(code).toContain("import { createSocket } from 'lifeline-ws'")
      expect(code).toContain(`url: '${playground.wsUrl}'`)
      expect(code).toContain("heartbeat: {\n    mode: 'message',\n    message: 'ping',")
    } finally {
      await other.close()
    }
  })

  it('a scripted scenario (deploy storm) passes, its bounds checked against history()', async () => {
    await pageState('open', 10_000)
    await page.click('#scenario-deploy-storm')
    const result = await page.waitForSelector('#scenario-results li[data-scenario="deploy-storm"]:not([data-result="running"])', { timeout: 40_000 })
    const text = await result.textContent()
    expect(await result.getAttribute('data-result'), text ?? '').toBe('pass')
    expect(text).toContain('3 disconnects in history() (expected 3)')
  }, 45_000)

  it('says what is wrong instead of clamping: herd inputs, durations too long to read as minutes', async () => {
    await page.fill('#herd-clients', '-5')
    await page.waitForFunction(() => document.querySelector('#herd-summary')?.getAttribute('data-kind') === 'invalid', null, { timeout: 5_000 })
    expect(await page.textContent('#herd-summary')).toBe('clients must be a whole number from 1 to 100,000, got "-5"')
    await page.fill('#herd-clients', '10000')
    await typePolicy(JSON.stringify({ ...POLICY, backoff: { ...POLICY.backoff, maxDelay: 1e308 } }))
    await page.waitForSelector('#policy-status[data-kind="ok"]', { timeout: 5_000 })
    expect(await page.textContent('#backoff-caption')).toContain('over 1,000 years')
    expect(await page.textContent('#backoff-caption')).not.toMatch(/e\+/)
    await typePolicy(JSON.stringify(POLICY, null, 2))
    // reconnect() on a closed socket says why nothing happens
    await page.click('#do-close')
    await pageState('closed', 5_000)
    await page.click('#do-reconnect')
    expect(await page.textContent('#action-note')).toContain('a closed socket never reconnects')
    await page.click('#do-new')
    await pageState('open', 10_000)
  })

  it('delivery accounting at both ends: a blackhole loses what a plain socket wrote into it, and nothing with an exactly-once session', async () => {
    await pageState('open', 10_000)
    type Counts = Record<'sent' | 'refused' | 'written' | 'confirmed' | 'unconfirmed' | 'reported' | 'resent' | 'waiting' | 'dropped' | 'server' | 'missing', number>
    /** The delivery panel's numbers (the page's socket, and the server's count for it). */
    const counts = (): Promise<Counts> => page.$eval('#delivery', (dl) => Object.fromEntries(Object.entries((dl as HTMLElement).dataset).map(([k, v]) => [k, Number(v)])) as Counts)
    /** Silence the link, then write a burst of 100 into it while the page's socket still thinks it is open. */
    const burstIntoSilence = async (seconds: number): Promise<void> => {
      await page.fill('#f-silence-s', String(seconds))
      await page.click('#f-silence')
      await waitFor(() => playground.state().proxy.mode === 'silence', 2_000, 'the link silenced')
      // read and click in one go: the state the burst was sent in
      const state = await page.evaluate(() => {
        const now = document.documentElement.dataset.state
        document.getElementById('send-burst')!.click()
        return now
      })
      expect(state, 'the burst went into the open (silent) connection').toBe('open')
    }
    /** Wait until the server's count is in, and nothing is waiting: every message is at the server or gone. */
    const settled = async (sent: number): Promise<Counts> => {
      await page.waitForFunction(
        (target) => {
          const c = Object.fromEntries(Object.entries(document.getElementById('delivery')!.dataset).map(([k, v]) => [k, Number(v)])) as Counts
          return document.documentElement.dataset.state === 'open' && c.sent === target && c.waiting === 0 && c.sent === c.server + c.dropped
        },
        sent,
        { timeout: 15_000, polling: 100 },
      )
      return counts()
    }

    // plain socket (delivery 'report'): the 100 written into the silence never arrive, and are reported
    const before = await counts()
    await burstIntoSilence(3)
    const plain = await settled(before.sent + 100)
    expect(plain.unconfirmed - before.unconfirmed, JSON.stringify({ before, plain })).toBe(100)
    expect(plain.reported - before.reported).toBe(100)
    expect(plain.dropped - before.dropped).toBe(100)
    // consistent with the server: what it received plus what was reported is what was sent
    expect(plain.server + plain.reported).toBe(plain.sent)
    expect(plain.missing).toBe(plain.reported)
    expect(await page.getAttribute('#delivery-verdict', 'data-kind')).toBe('lost')
    expect(await page.textContent('#delivery-verdict')).toContain("reported 'unconfirmed'")

    // the session toggle: a new socket with session: session(), against attachSessions on the app server
    await page.check('#opt-session')
    await page.waitForSelector('html[data-session="true"]', { state: 'attached', timeout: 5_000 })
    await pageState('open', 10_000)
    expect(await page.$$eval('#log li.sys', (rows) => rows.some((r) => r.textContent!.includes('new session')))).toBe(true)
    const fresh = await counts()
    expect(fresh.sent).toBe(0)
    const receivedBefore = playground.received().length
    // the session's heartbeat is the server's (2 s + 1 s): a silence longer than that is noticed
    await burstIntoSilence(4)
    await page.waitForFunction(() => document.documentElement.dataset.state !== 'open', null, { timeout: 6_000, polling: 20 })
    const session = await settled(100)
    // every message at the server exactly once: nothing lost, nothing reported, nothing repeated
    expect(session.server).toBe(100)
    expect(session.dropped).toBe(0)
    expect(session.missing).toBe(0)
    expect(await page.getAttribute('#delivery-verdict', 'data-kind')).toBe('none-lost')
    const burst = playground
      .received()
      .slice(receivedBefore)
      .filter((m) => m.startsWith('burst '))
    const n = /^burst (\d+):/.exec(burst[0] ?? '')?.[1]
    expect(burst).toEqual(Array.from({ length: 100 }, (_, i) => `burst ${n}: ${i + 1}/100`))
    expect(playground.state().app.list.some((c) => c.session)).toBe(true)

    // back to a plain socket
    await page.uncheck('#opt-session')
    await page.waitForSelector('html[data-session="false"]', { state: 'attached', timeout: 5_000 })
    await pageState('open', 10_000)
  }, 60_000)

  it('worker mode: the socket runs in a Web Worker, the page forwards offline/online, and shows it recover from a kill', async () => {
    await page.check('#opt-worker')
    await page.waitForSelector('html[data-where="worker"]', { state: 'attached', timeout: 5_000 })
    await pageState('open', 10_000)
    expect(await page.textContent('#state-detail')).toContain('in a worker')
    // a send from the worker's socket, echoed back into the page's log
    const text = `from the worker ${Date.now()}`
    await page.fill('#send-text', text)
    await page.click('#send-form button[type="submit"]')
    await waitFor(() => playground.received().includes(text), 5_000, 'the worker socket’s message on the server')
    await page.waitForFunction((t) => Array.from(document.querySelectorAll('#log li.in')).some((li) => li.textContent!.includes(t)), text, { timeout: 5_000 })
    await page.waitForFunction(() => document.getElementById('delivery')!.dataset.server === '1', null, { timeout: 5_000 })

    // kill: the worker's socket notices, retries and is open again; the page's timeline and history say so
    const before = (await listed()).length
    await page.click('#f-kill')
    await page.waitForFunction(() => document.documentElement.dataset.state !== 'open', null, { timeout: 5_000, polling: 10 })
    await pageState('open', POLICY.backoff.maxDelay + POLICY.connectTimeout + SLACK_MS)
    const after = (await listed()).slice(before)
    expect(after.some((e) => e.kind === 'state' && e.from === 'open')).toBe(true)
    expect(after.at(-1)).toMatchObject({ kind: 'state', to: 'open' })
    await page.waitForFunction(() => document.querySelectorAll('#history tbody tr:not(.empty)').length > 0, null, { timeout: 5_000 })

    // offline / online: the window's events reach the worker's socket through socket.signal()
    await page.click('#f-offline')
    await page.waitForFunction(
      () => Array.from(document.querySelectorAll<HTMLElement>('#transitions li')).some((li) => li.dataset.kind === 'state' && li.dataset.reason === 'offline'),
      null,
      { timeout: 5_000 },
    )
    expect(await page.getAttribute('html', 'data-state')).toBe('backoff')
    await page.click('#f-offline')
    await pageState('open', 5_000)
    expect(pageErrors).toEqual([])

    await page.uncheck('#opt-worker')
    await page.waitForSelector('html[data-where="page"]', { state: 'attached', timeout: 5_000 })
    await pageState('open', 10_000)
  }, 40_000)

  it(
    'looks right: screenshots at 1440×900 and 390×844, no overlapping timeline labels at any window, no page errors',
    async () => {
      await mkdir(SHOTS, { recursive: true })
      if (UPDATE_README_SHOT) {
        // a fuller picture for the README: a server close with retry-after, then a server restart
        await page.selectOption('#f-close-code', '1013')
        await page.fill('#f-close-reason', 'retry-after=2')
        await page.click('#f-close')
        await page.waitForFunction(() => document.documentElement.dataset.state === 'backoff', null, { timeout: 5_000, polling: 10 })
        await pageState('open', 2_000 + POLICY.connectTimeout + SLACK_MS + 1_000)
        await page.fill('#send-text', 'hello, lifeline')
        await page.click('#send-form button[type="submit"]')
        await page.fill('#f-stop-s', '2')
        await page.click('#f-stop')
        await page.waitForFunction(() => document.documentElement.dataset.state !== 'open', null, { timeout: 5_000, polling: 10 })
        await pageState('open', 2_000 + POLICY.connectTimeout + POLICY.backoff.maxDelay + SLACK_MS)
        // and one answered heartbeat on the new connection (a ping after a second of quiet)
        const pings = playground.app.counts.pings
        await waitFor(() => playground.app.counts.pings > pings, POLICY.heartbeat.interval + SLACK_MS, 'a heartbeat ping on the server')
        // the last 20 s, and the playground's own policy in the editor (not applied): what the plots show while tuning
        await page.selectOption('#window-select', '20000')
        await page.selectOption('#preset', '0')
        await page.waitForSelector('#policy-status[data-kind="ok"]', { timeout: 5_000 })
      }
      // the herd plot is computed in a worker: wait for the current one
      await page.waitForSelector('#herd:not([data-pending])', { state: 'attached', timeout: 10_000 })
      for (const windowMs of ['20000', '30000', '60000', '120000', '300000']) {
        await page.selectOption('#window-select', windowMs)
        await expectNoOverlappingLabels(`window ${windowMs} ms at 1440 px`)
      }
      await page.selectOption('#window-select', '30000')
      await page.screenshot({ path: join(SHOTS, 'wide.png') })
      if (UPDATE_README_SHOT) {
        await page.screenshot({ path: README_SHOT })
        expect((await stat(README_SHOT)).size).toBeLessThan(600_000)
      }
      // a phone: one column, nothing wider than the screen
      await page.setViewportSize({ width: 390, height: 844 })
      await page.waitForFunction(() => document.documentElement.scrollWidth <= 390, null, { timeout: 5_000 })
      await expectNoOverlappingLabels('390 px')
      // the fault buttons are on the first screen, and big enough to tap
      const kill = await page.$eval('#f-kill', (b) => b.getBoundingClientRect().toJSON() as DOMRect)
      expect(kill.bottom).toBeLessThanOrEqual(844)
      expect(kill.height).toBeGreaterThanOrEqual(44)
      await page.screenshot({ path: join(SHOTS, 'narrow.png'), fullPage: true })
      await page.setViewportSize({ width: 1440, height: 900 })
      expect(pageErrors).toEqual([])
    },
    30_000,
  )

  it('the static build (npm run playground:build) works the same, served with the control API', async () => {
    const outDir = await mkdtemp(join(tmpdir(), 'lifeline-playground-build-'))
    let served: Playground | undefined
    const staticPage = await context.newPage()
    const errors: string[] = []
    staticPage.on('pageerror', (error) => errors.push(error.message))
    try {
      const { build } = await import('vite')
      await build({ configFile: join(ROOT, 'playground', 'vite.config.ts'), logLevel: 'silent', build: { outDir, emptyOutDir: true } })
      served = await startPlayground({ port: 0, staticDir: outDir })
      await staticPage.goto(served.url, { timeout: 10_000 })
      await staticPage.waitForSelector('html[data-state="open"]', { state: 'attached', timeout: 10_000 })
      // the bundled SDK validates with its own words, and the herd worker runs from the build
      await staticPage.fill('#policy', '{ "backoff": { "factor": 0.5 } }')
      await staticPage.waitForSelector('#policy[data-validated="true"]', { state: 'attached', timeout: 5_000 })
      expect(await staticPage.textContent('#policy-error')).toBe('backoff.factor must be a finite number >= 1, got number 0.5')
      await staticPage.waitForSelector('#herd:not([data-pending])', { state: 'attached', timeout: 10_000 })
      expect(await staticPage.textContent('#herd-summary')).toMatch(/peak [\d,]+ attempts\/100 ms/)
      await staticPage.click('#f-kill')
      await staticPage.waitForFunction(() => document.documentElement.dataset.state !== 'open', null, { timeout: 5_000, polling: 10 })
      await staticPage.waitForSelector('html[data-state="open"]', { state: 'attached', timeout: 10_000 })
      expect(errors).toEqual([])
    } finally {
      await staticPage.close()
      await served?.close()
      await rm(outDir, { recursive: true, force: true })
    }
  })
})
