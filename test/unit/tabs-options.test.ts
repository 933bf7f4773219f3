/**
 * lifeline-ws/tabs where there is no Web Locks or BroadcastChannel (here: Node): createSharedSocket
 * checks its own options and the socket's synchronously, then falls back to one socket of its own
 * (role 'alone'), which it says through `debug`. The shared paths run in Chromium (test/browser/tabs.test.ts).
 */
import { describe, expect, it, vi } from 'vitest'
import { createSharedSocket, serveSharedSocket, tabIntents, type SharedSocketOptions } from '../../src/index.tabs.js'
import { createVirtualClock } from '../../src/testing/clock.js'
import { createFakeServer } from '../../src/testing/fake-websocket.js'
import { waitFor } from '../support/wait.js'

describe('createSharedSocket without Web Locks or BroadcastChannel', () => {
  it("falls back to a socket of its own, role 'alone', and says so", () => {
    const clock = createVirtualClock()
    const server = createFakeServer({ clock })
    const debug = vi.fn()
    const socket = createSharedSocket({ url: 'wss://example.test/live', WebSocket: server.WebSocket, timer: clock, debug })
    expect(socket.role).toBe('alone')
    expect(debug).toHaveBeenCalledWith('tabs: no Web Locks or BroadcastChannel; one socket per tab', {})
    clock.advance(0)
    server.accept()
    expect(socket.state).toBe('open')
    socket.send('hello')
    expect(server.received).toEqual(['hello'])
    socket.close()
  })

  it.each([
    [null, new TypeError('createSharedSocket(options): options must be an object with a url, got null')],
    [{ url: 'wss://x.test', takeoverTimeout: 0 }, new TypeError('createSharedSocket(options): takeoverTimeout must be a number of ms > 0, got number 0')],
    // undefined means the default, null is a wrong value (issue 12 #16's rule; it was the default here)
    [{ url: 'wss://x.test', takeoverTimeout: null }, new TypeError('createSharedSocket(options): takeoverTimeout must be a number of ms > 0, got null')],
    [{ url: () => 'wss://x.test' }, new TypeError('createSharedSocket(options): channel is required when url or protocols is a function')],
    [{ url: 'wss://x.test', channel: 7 }, new TypeError('createSharedSocket(options): channel must be a non-empty string, got number 7')],
    [{ url: 'wss://x.test', sharedWorker: 1 }, new TypeError('createSharedSocket(options): sharedWorker must be a script URL, got number 1')],
    [{ url: 'wss://x.test', intents: true }, new TypeError('createSharedSocket(options): intents must be tabIntents from lifeline-ws/tabs (for intent()), got boolean true')],
    [{ url: 'wss://x.test', lazzy: true }, new TypeError('Unknown option "lazzy"; did you mean "lazy"?')],
  ])('%o throws %s', (options, error) => {
    expect(() => createSharedSocket(options as unknown as SharedSocketOptions)).toThrow(error)
  })
})

describe('createSharedSocket leader outbox', () => {
  it('a message the new leader\'s socket drops at once does not make it skip the next one', () => {
    // Web Locks that grant the lock only when the test says so (Node has BroadcastChannel of its own)
    let grant: (() => unknown) | undefined
    const locks = { request: (_name: string, _options: unknown, callback: () => unknown) => ((grant = callback), new Promise(() => {})) }
    vi.stubGlobal('navigator', { locks })
    const clock = createVirtualClock()
    const server = createFakeServer({ clock })
    const socket = createSharedSocket({
      url: 'wss://example.test/outbox',
      channel: `outbox ${Math.random()}`,
      WebSocket: server.WebSocket,
      timer: clock,
      queue: { maxBytes: 10 },
    })
    try {
      const drops: unknown[] = []
      socket.on('drop', ({ data, reason }) => drops.push([data, reason]))
      // no tab leads yet: all three wait in this tab's outbox
      const big = 'x'.repeat(20)
      for (const data of [big, 'a', 'b']) socket.send(data)
      expect(socket.queued).toBe(3)
      // this tab leads: its socket refuses the big one at once (over maxBytes), then takes the rest
      grant!()
      expect(drops).toEqual([[big, 'overflow']])
      clock.advance(0)
      server.accept()
      expect(server.received).toEqual(['a', 'b'])
      expect(socket.queued).toBe(0)
    } finally {
      socket.close()
      vi.unstubAllGlobals()
    }
  })
})

/**
 * Web Locks as browsers grant them: one holder, the next request granted when the holder's callback
 * settles (stubbed as navigator.locks). Node's BroadcastChannel connects the tabs of this process.
 */
function stubOneHolderLocks(): { waiting: (() => unknown)[]; isHeld: () => boolean } {
  const waiting: (() => unknown)[] = []
  let held = false
  const grantNext = (): void => {
    if (held || waiting.length === 0) return
    const next = waiting.shift()!
    held = true
    void Promise.resolve(next()).finally(() => ((held = false), grantNext()))
  }
  const locks = { request: (_name: string, _options: unknown, callback: () => unknown) => (waiting.push(callback), grantNext(), new Promise(() => {})) }
  vi.stubGlobal('navigator', { locks })
  return { waiting, isHeld: () => held }
}

describe('createSharedSocket followers', () => {
  it("mirror the leader's state events with their cause, and 'leader' when they start reading a new leader's socket", async () => {
    const { waiting, isHeld } = stubOneHolderLocks()
    const clock = createVirtualClock()
    const server = createFakeServer({ clock })
    const options = { url: 'wss://example.test/causes', channel: `causes ${Math.random()}`, WebSocket: server.WebSocket, timer: clock, heartbeat: false as const }
    const first = createSharedSocket(options)
    const second = createSharedSocket(options)
    const seen = (socket: typeof first): unknown[][] => {
      const log: unknown[][] = []
      socket.on('state', (next, prev, _reason, cause) => log.push([prev, next, cause]))
      return log
    }
    const [byFirst, bySecond] = [seen(first), seen(second)]
    // the leader socket's other events, as the follower hears them
    const followerEvents: unknown[][] = []
    second.on('open', (info) => followerEvents.push(['open', info.protocol]))
    second.on('close', (close) => followerEvents.push(['close', close.code]))
    second.on('reconnecting', ({ attempt }) => followerEvents.push(['reconnecting', attempt]))
    try {
      await waitFor(() => first.role === 'leader' && second.state === 'connecting', 2_000, "the first tab leading, the other 'connecting'")
      clock.advance(0)
      server.accept()
      await waitFor(() => second.state === 'open', 2_000, "the follower 'open'")
      server.drop()
      await waitFor(() => second.state === 'backoff', 2_000, "the follower in 'backoff'")
      // the leader's socket connected as the first tab was made (before this test listened)
      const asTheLeaderSaw = [
        ['connecting', 'open', 'open'],
        ['open', 'backoff', 'socket-close'],
      ]
      expect(byFirst).toEqual(asTheLeaderSaw)
      // the follower started reading that socket when the leader announced itself, then saw each change as the leader did
      expect(bySecond).toEqual([['idle', 'connecting', 'leader'], ...asTheLeaderSaw])
      await waitFor(() => followerEvents.length === 3, 2_000, "the follower's 'open', 'close' and 'reconnecting'", { describe: () => JSON.stringify(followerEvents) })
      expect(followerEvents).toEqual([['open', ''], ['close', 1006], ['reconnecting', 1]])
      // the leader tab closes: the other takes the lock and reads its own socket from then on
      first.close()
      await waitFor(() => second.role === 'leader' && second.state === 'connecting', 2_000, "the second tab leading, 'connecting'", { describe: () => JSON.stringify({ role: second.role, state: second.state, waiting: waiting.length, held: isHeld(), bySecond }) })
      expect(bySecond.slice(3)).toEqual([
        ['backoff', 'idle', 'leader'],
        ['idle', 'connecting', 'connect'],
      ])
      expect(byFirst.at(-1)).toEqual(['backoff', 'closed', 'user-close'])
    } finally {
      second.close()
      first.close()
      vi.unstubAllGlobals()
    }
  })
})

/**
 * Two tabs of one origin on a fake server in virtual time (one lock holder at a time: the first to
 * ask leads), retrying every 100 ms. `leading()` waits until the first leads and the other follows;
 * `end()` closes both and takes the stubs away.
 */
function twoTabs(name: string, extra: Partial<SharedSocketOptions> = {}) {
  stubOneHolderLocks()
  const clock = createVirtualClock()
  const server = createFakeServer({ clock })
  const options = {
    url: `wss://example.test/${name}`,
    channel: `${name} ${Math.random()}`,
    WebSocket: server.WebSocket,
    timer: clock,
    heartbeat: false as const,
    backoff: { initialDelay: 100, maxDelay: 100, jitter: 'none' as const },
    ...extra,
  }
  const first = createSharedSocket(options)
  const second = createSharedSocket(options)
  return {
    clock,
    server,
    first,
    second,
    leading: () => waitFor(() => first.role === 'leader' && second.state === 'connecting', 2_000, "the first tab leading, the other 'connecting'"),
    end: () => {
      second.close()
      first.close()
      vi.unstubAllGlobals()
    },
  }
}

describe('createSharedSocket: the API of createSocket, in every tab', () => {
  it("every tab hears the leader socket's 'suspended'", async () => {
    const { clock, server, first, second, leading, end } = twoTabs('suspended', { suspendAfter: 1_000 })
    const heard: string[] = []
    first.on('suspended', () => heard.push('leader'))
    second.on('suspended', () => heard.push('follower'))
    try {
      await leading()
      // refused for longer than suspendAfter
      for (let i = 0; i < 20 && !heard.includes('leader'); i++) {
        clock.advance(0)
        server.refuse()
        clock.advance(100)
      }
      await waitFor(() => heard.length === 2, 2_000, "'suspended' in both tabs", { describe: () => JSON.stringify(heard) })
      expect(heard).toEqual(['leader', 'follower'])
    } finally {
      end()
    }
  })

  it("close(code, reason) in the leader tab: a bad code throws before anything changes; a good one is the socket's close frame", async () => {
    const { clock, server, first, leading, end } = twoTabs('close', { intents: tabIntents })
    try {
      await leading()
      first.intent('room', 'join:a')
      clock.advance(0)
      server.accept()
      expect(() => first.close(1234)).toThrow(new RangeError('close(code): code must be 1000 or an integer in 3000–4999, got number 1234'))
      // still leading, open, its intent held: said again on the next connection
      expect([first.role, first.state]).toEqual(['leader', 'open'])
      server.drop()
      clock.advance(100)
      server.accept()
      expect(server.received).toEqual(['join:a', 'join:a'])
      first.close(4000, 'bye')
      expect(server.last.closedBy).toEqual({ code: 4000, reason: 'bye' })
      expect(first.state).toBe('closed')
    } finally {
      end()
    }
  })

  it('intent() without the intents option: a TypeError naming the option (the shared socket carries none of that code)', () => {
    stubOneHolderLocks()
    const server = createFakeServer({ clock: createVirtualClock() })
    const socket = createSharedSocket({ url: 'wss://example.test/no-intents', channel: `no-intents ${Math.random()}`, WebSocket: server.WebSocket, lazy: true })
    try {
      expect(socket.role).not.toBe('alone')
      expect(() => socket.intent('room', 'join')).toThrow(new TypeError('createSharedSocket(options): intents must be tabIntents from lifeline-ws/tabs (for intent()), got undefined'))
    } finally {
      socket.close()
      vi.unstubAllGlobals()
    }
  })

  it("intent(): the leader's socket says every tab's intents on each connection, before the queue; a new leader says them again", async () => {
    const { clock, server, first, second, leading, end } = twoTabs('intents', { intents: tabIntents })
    try {
      await leading()
      expect(() => second.intent(7 as unknown as string, 'x')).toThrow(TypeError)
      // the same key in two tabs: two intents
      first.intent('room', 'join:a')
      let since = 1
      second.intent('room', () => `join:b since ${since}`)
      const leave = second.intent('extra', 'extra:b')
      second.send('m-1')
      // the follower's intents and send have reached the leader's socket (its queue holds the send)
      await waitFor(() => first.bufferedAmount > 0, 2_000, "the follower's send in the leader's queue")
      clock.advance(0)
      server.accept()
      expect(server.received).toEqual(['join:a', 'join:b since 1', 'extra:b', 'm-1'])

      leave()
      since = 2
      second.intent('room', () => `join:b since ${since}`)
      second.send('m-2')
      // registered while open: said now too, as a socket's own intent is
      await waitFor(() => server.received.length === 6, 2_000, "the follower's new intent and second send written", { describe: () => JSON.stringify(server.received) })
      expect(server.received.slice(4)).toEqual(['join:b since 2', 'm-2'])
      server.drop()
      clock.advance(100)
      server.accept()
      expect(server.received.slice(6)).toEqual(['join:a', 'join:b since 2'])

      // the leader tab closes: its intents go with it; the new leader says its own
      first.close()
      await waitFor(() => second.role === 'leader' && second.state === 'connecting', 2_000, "the second tab leading, 'connecting'")
      clock.advance(0)
      server.accept()
      expect(server.received.slice(8)).toEqual(['join:b since 2'])
    } finally {
      end()
    }
  })
})

describe('createSharedSocket takeover of a leader that answers nothing', () => {
  it.each([0, 0.5, 0.999])('steals the lock PROBE (1 s) + takeoverTimeout × (1 + random / 2) after hearing nothing (random %s)', async (random) => {
    // the lock is held by a leader that never answers: requests wait for good, steals are only recorded
    const steals: number[] = []
    const locks = { request: (_name: string, options: { steal?: boolean }, _callback: () => unknown) => (options.steal && steals.push(Date.now()), new Promise(() => {})) }
    vi.stubGlobal('navigator', { locks })
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'], now: 0 })
    vi.spyOn(Math, 'random').mockReturnValue(random)
    const server = createFakeServer({ clock: createVirtualClock() })
    const options = { url: 'wss://example.test/takeover', channel: `takeover ${random}`, takeoverTimeout: 2_000, WebSocket: server.WebSocket, heartbeat: false as const }
    const socket = createSharedSocket(options)
    try {
      const at = 1_000 + 2_000 * (1 + random / 2)
      await vi.advanceTimersByTimeAsync(Math.ceil(at) - 1)
      expect(steals).toEqual([])
      await vi.advanceTimersByTimeAsync(1)
      expect(steals).toEqual([Math.ceil(at)])
    } finally {
      socket.close()
      vi.useRealTimers()
      vi.restoreAllMocks()
      vi.unstubAllGlobals()
    }
  })
})

describe('serveSharedSocket (the SharedWorker)', () => {
  it('holds the intents tabs send it, without an intents option of its own, and says them on each connection', async () => {
    const clock = createVirtualClock()
    const server = createFakeServer({ clock })
    const worker = serveSharedSocket({ url: 'wss://example.test/worker', WebSocket: server.WebSocket, timer: clock, heartbeat: false, backoff: { initialDelay: 100, maxDelay: 100, jitter: 'none' } })
    // a tab connects as the browser connects it: a port for the worker's onconnect
    const { port1, port2: tab } = new MessageChannel()
    const heard: { t: string; id?: string }[] = []
    tab.onmessage = ({ data }) => heard.push(data)
    try {
      ;(globalThis as unknown as { onconnect: (event: { ports: MessagePort[] }) => void }).onconnect({ ports: [port1] })
      // the worker answers a probe with its announcement, which names it
      tab.postMessage({ t: 'probe', at: Date.now() })
      await waitFor(() => heard.some((m) => m.t === 'lead'), 2_000, "the worker's announcement")
      const leader = heard.find((m) => m.t === 'lead')!.id!
      clock.advance(0)
      server.accept()
      expect(worker.state).toBe('open')
      // registered while open: said at once, as a socket's own intent is
      tab.postMessage({ t: 'int', to: leader, k: 'tab-1 room', d: 'join:1', at: Date.now() })
      await waitFor(() => server.received.length === 1, 2_000, 'the intent said', { describe: () => JSON.stringify(server.received) })
      // held: said again on the next connection
      server.drop()
      clock.advance(100)
      server.accept()
      expect(server.received).toEqual(['join:1', 'join:1'])
    } finally {
      tab.close()
      worker.close()
      delete (globalThis as { onconnect?: unknown }).onconnect
    }
  })
})
