/** lifeline-ws/monitor (stats, history), debug, and the promise/stream/abort entries, in virtual time. */
import { getEventListeners } from 'node:events'
import { describe, expect, it } from 'vitest'
import { createSocket } from '../../src/index.core.js'
import { monitor } from '../../src/index.monitor.js'
import { closeOn, opened, sendAsync } from '../../src/index.promises.js'
import { messages } from '../../src/index.stream.js'
import { createFakeServer, createVirtualClock } from '../../src/index.testing.js'
import { harness, T0 } from '../helpers/harness.js'

describe('monitor(socket).stats()', () => {
  it('counts states, traffic, drops, rtt and closes, and is JSON-serialisable', () => {
    // issue 14: written messages count against the queue's limits until a ping confirms them, so
    // with maxMessages 1 each write waits for its confirmation (confirmDelay 0: the next tick)
    const h = harness({ heartbeat: { interval: 1_000, timeout: 500 }, queue: { maxMessages: 1 }, confirmDelay: 0 }, { pingFrames: true })
    h.socket.send('queued')
    h.socket.send('overflow')
    h.clock.advance(200)
    h.server.accept()
    h.clock.advance(0)
    h.socket.send('abc')
    h.clock.advance(0)
    h.socket.send(new Uint8Array(10))
    h.clock.advance(0)
    h.server.send('hello')
    h.server.send(new ArrayBuffer(4))
    h.clock.advance(1_000) // one ping, answered at once
    h.clock.advance(800)
    h.server.drop()
    h.clock.advance(300)
    const s = h.monitor.stats()
    expect(JSON.parse(JSON.stringify(s))).toEqual(s)
    expect(s).toMatchObject({
      state: 'backoff',
      timeInState: 300,
      attempts: { total: 1, sinceOpen: 0 },
      opens: 1,
      disconnects: 1,
      uptime: 0,
      totalUptime: 1_800,
      totalDowntime: 500,
      messagesIn: 2,
      messagesOut: 3,
      bytesIn: 5 + 4,
      bytesOut: 6 + 3 + 10,
      queued: 0,
      queueHighWater: 1,
      dropped: { overflow: 1, ttl: 0, closed: 0, error: 0, unconfirmed: 0 },
      // the three confirmation pings and the heartbeat's are all answered pings
      rtt: { last: 0, min: 0, avg: 0, max: 0, samples: 4 },
      delivery: 'report',
      confirmed: 3,
      unconfirmed: 0,
      resent: 0,
      held: { messages: 0, bytes: 0 },
      confirmLatency: { last: 0, min: 0, avg: 0, max: 0, samples: 3 },
      lastClose: { code: 1006, reason: '', wasClean: false, at: T0 + 2_000 },
      lastError: null,
    })
    expect(s.uptimeRatio).toBeCloseTo(1_800 / 2_300)
  })

  it('counts every answered ping, also when two round trips are equal (loopback: 0 ms each time)', () => {
    const h = harness({ heartbeat: { interval: 1_000, timeout: 500 } }, { pingFrames: true })
    h.clock.advance(0)
    h.server.accept()
    h.clock.advance(3_500) // three pings, each answered at once
    expect(h.monitor.stats().rtt).toEqual({ last: 0, min: 0, avg: 0, max: 0, samples: 3 })
  })

  it('before anything happened: zeros, and an uptime ratio of 1', () => {
    const h = harness({ lazy: true })
    expect(h.monitor.stats()).toMatchObject({ state: 'idle', opens: 0, uptimeRatio: 1, rtt: { last: null, samples: 0 }, lastClose: null })
  })
})

describe('monitor(socket).history()', () => {
  it('records each disconnect with cause, duration and attempts to recover', () => {
    const h = harness({ heartbeat: { interval: 1_000, timeout: 1_000 } }, { pingFrames: true })
    h.server.accept()
    h.clock.advance(5_000)
    h.server.close(1011, 'oops') // server close
    h.clock.advance(1_000)
    h.server.refuse()
    h.clock.advance(2_000)
    h.server.accept()
    h.server.silence() // heartbeat
    h.clock.advance(2_000)
    h.clock.advance(5_000)
    h.server.accept()
    h.socket.close() // user
    expect(h.monitor.history()).toEqual([
      { start: T0 + 5_000, end: T0 + 8_000, duration: 3_000, cause: 'close', code: 1011, attempts: 2, url: 'ws://example.test/socket' },
      // the heartbeat noticed the silence 1 s + 1 s after the open; the retry waited 4 s (attempt 2)
      { start: T0 + 10_000, end: T0 + 15_000, duration: 5_000, cause: 'heartbeat', code: 'HEARTBEAT_TIMEOUT', attempts: 1, url: 'ws://example.test/socket' },
      { start: T0 + 15_000, end: null, duration: null, cause: 'user', code: null, attempts: 0, url: 'ws://example.test/socket' },
    ])
  })

  it("a page freeze is recorded as 'freeze' with the release's close code, not as an error", () => {
    const h = harness()
    h.server.accept()
    h.clock.advance(1_000)
    h.socket.signal('freeze')
    expect(h.monitor.history()).toEqual([{ start: T0 + 1_000, end: null, duration: null, cause: 'freeze', code: 1000, attempts: 0, url: 'ws://example.test/socket' }])
    h.socket.signal('resume')
    h.server.accept()
    expect(h.monitor.history()[0]).toMatchObject({ cause: 'freeze', end: T0 + 1_000, attempts: 1 })
  })

  it('keeps only the last historySize entries', () => {
    const h = harness({}, {}, { historySize: 2 })
    for (let i = 0; i < 5; i++) {
      h.server.accept()
      h.server.close(4000 + i)
      h.clock.advance(5_000)
    }
    expect(h.monitor.history().map((d) => d.code)).toEqual([4003, 4004])
  })
})

describe('debug', () => {
  it('logs one line per transition and effect, with URLs redacted', () => {
    const lines: string[] = []
    const h = harness({ url: 'wss://user:pw@example.test/?token=abc123', debug: (line) => lines.push(line) })
    h.server.accept()
    expect(lines).toContain(`lifeline-ws transition type=start at=${T0} from=idle to=idle`)
    expect(lines).toContain('lifeline-ws effect type=set-timer name=start ms=0')
    expect(lines).toContain('lifeline-ws effect type=construct id=1 url=wss://***@example.test/?token=***')
    expect(lines.some((l) => l.startsWith('lifeline-ws transition type=socket-open') && l.endsWith('from=connecting to=open'))).toBe(true)
    expect(lines.join('\n')).not.toMatch(/abc123|pw@/)
  })
})

describe('opened(socket)', () => {
  it('resolves on the next open, and at once when open', async () => {
    const h = harness()
    const p = opened(h.socket)
    h.server.accept()
    await expect(p).resolves.toBeUndefined()
    await expect(opened(h.socket)).resolves.toBeUndefined()
  })

  it('rejects with GIVEN_UP when the socket gives up, and CLOSED after close()', async () => {
    const h = harness({ backoff: { maxRetries: 0 } })
    const p = opened(h.socket)
    h.server.refuse()
    await expect(p).rejects.toMatchObject({ code: 'GIVEN_UP', message: 'gave up: max-retries' })
    const t = harness()
    const q = opened(t.socket)
    t.socket.close()
    await expect(q).rejects.toMatchObject({ code: 'CLOSED' })
    await expect(opened(t.socket)).rejects.toMatchObject({ code: 'CLOSED' })
  })
})

describe('messages(socket)', () => {
  it('iterates inbound messages and ends when the socket closes for good', async () => {
    const h = harness()
    h.server.accept()
    const stream = messages(h.socket)
    h.server.send('a')
    h.server.send('b')
    const got: unknown[] = []
    const consumer = (async () => {
      for await (const m of stream) got.push(m)
    })()
    await Promise.resolve()
    h.server.send('c')
    h.socket.close()
    await consumer
    expect(got).toEqual(['a', 'b', 'c'])
  })

  it('a slow consumer loses the oldest beyond bufferSize, counted', async () => {
    const h = harness()
    h.server.accept()
    const stream = messages(h.socket, { bufferSize: 2 })
    for (const m of ['1', '2', '3', '4']) h.server.send(m)
    expect(stream.dropped).toBe(2)
    expect((await stream.next()).value).toBe('3')
    expect((await stream.next()).value).toBe('4')
  })

  it('break unsubscribes', async () => {
    const h = harness()
    h.server.accept()
    const stream = messages(h.socket)
    h.server.send('x')
    for await (const m of stream) {
      expect(m).toBe('x')
      break
    }
    h.server.send('y')
    expect(await stream.next()).toEqual({ value: undefined, done: true })
  })

  it('rejects a bad bufferSize', () => {
    const h = harness()
    expect(() => messages(h.socket, { bufferSize: 0 })).toThrow(new RangeError('messages(socket, { bufferSize }): bufferSize must be a whole number >= 1, got number 0'))
  })
})

describe('sendAsync(socket, data)', () => {
  it('resolves when written to an open socket (at once, or on flush)', async () => {
    const h = harness()
    const queued = sendAsync(h.socket, 'q')
    h.server.accept()
    await expect(queued).resolves.toBeUndefined()
    await expect(sendAsync(h.socket, 'direct')).resolves.toBeUndefined()
    expect(h.server.received).toEqual(['q', 'direct'])
  })

  it('rejects with the drop reason', async () => {
    const h = harness({ queue: { maxMessages: 1, ttl: 100 } })
    const a = sendAsync(h.socket, 'a')
    const b = sendAsync(h.socket, 'b')
    await expect(b).rejects.toMatchObject({ code: 'DROPPED', reason: 'overflow', message: 'message dropped: overflow' })
    h.clock.advance(100)
    await expect(a).rejects.toMatchObject({ code: 'DROPPED', reason: 'ttl' })
    const c = sendAsync(h.socket, 'c')
    h.socket.close()
    await expect(c).rejects.toMatchObject({ reason: 'closed' })
  })
})

describe('closeOn(socket, signal)', () => {
  it('abort closes the socket, and the listener is removed once closed', () => {
    const controller = new AbortController()
    const h = harness()
    closeOn(h.socket, controller.signal)
    h.server.accept()
    controller.abort()
    expect(h.socket.state).toBe('closed')
    expect(h.server.last.closedBy).toEqual({ code: 1000, reason: 'aborted' })
  })

  it('an already aborted signal closes at once (on the next microtask)', async () => {
    const h = harness()
    closeOn(h.socket, AbortSignal.abort())
    await Promise.resolve()
    expect(h.socket.state).toBe('closed')
  })

  it('rejects something that is not an AbortSignal', () => {
    expect(() => closeOn(harness().socket, {} as never)).toThrow(new TypeError('closeOn(socket, signal): signal must be an AbortSignal, got object'))
  })
})

describe('the optional entries attach to a socket from outside', () => {
  function bare(options: { lazy?: boolean } = {}) {
    const clock = createVirtualClock(T0)
    const server = createFakeServer({ clock })
    const socket = createSocket({ url: 'ws://example.test/socket', WebSocket: server.WebSocket, timer: clock, random: () => 0.5, heartbeat: false, ...options })
    return { socket, clock, server }
  }

  it('monitor() in the tick that created an eager socket sees every event from the first attempt', () => {
    const { socket, clock, server } = bare()
    const watch = monitor(socket)
    clock.advance(0)
    server.accept()
    socket.send('x')
    server.close(4000)
    expect(watch.stats()).toMatchObject({ state: 'backoff', attempts: { total: 1, sinceOpen: 0 }, opens: 1, disconnects: 1, messagesOut: 1, bytesOut: 1 })
    expect(watch.history()).toEqual([{ start: T0, end: null, duration: null, cause: 'close', code: 4000, attempts: 0, url: 'ws://example.test/socket' }])
  })

  it('monitor() called later counts from then on, from the state the socket is in', () => {
    const { socket, clock, server } = bare()
    clock.advance(0)
    server.accept()
    socket.send('before')
    clock.advance(1_000)
    const watch = monitor(socket)
    expect(watch.stats()).toMatchObject({ state: 'open', timeInState: 0, attempts: { total: 0, sinceOpen: 0 }, opens: 0, messagesOut: 0 })
    socket.send('after')
    clock.advance(500)
    server.close(4001)
    expect(watch.stats()).toMatchObject({ state: 'backoff', totalUptime: 500, opens: 0, disconnects: 1, messagesOut: 1 })
    expect(watch.history()).toEqual([{ start: T0 + 1_500, end: null, duration: null, cause: 'close', code: 4001, attempts: 0, url: 'ws://example.test/socket' }])
  })

  it('several monitors of one socket count independently, each with its own historySize', () => {
    const { socket, clock, server } = bare()
    const one = monitor(socket, { historySize: 1 })
    const all = monitor(socket)
    clock.advance(0)
    for (let i = 0; i < 3; i++) {
      server.accept()
      server.send('in')
      server.close(4000 + i)
      clock.advance(5_000)
    }
    expect(one.history().map((d) => d.code)).toEqual([4002])
    expect(all.history().map((d) => d.code)).toEqual([4000, 4001, 4002])
    expect(one.stats().messagesIn).toBe(3)
    expect(all.stats().messagesIn).toBe(3)
  })

  it('a socket carries none of the optional APIs, and createSocket refuses the options that moved', () => {
    const { socket } = bare({ lazy: true })
    for (const gone of ['stats', 'history', 'opened', 'messages', 'sendAsync']) expect(gone in socket, gone).toBe(false)
    const ports = bare()
    const make = (extra: object) => createSocket({ url: 'ws://h', WebSocket: ports.server.WebSocket, timer: ports.clock, random: () => 0.5, ...extra })
    expect(() => make({ signal: new AbortController().signal })).toThrow(new TypeError('Unknown option "signal"'))
    expect(() => make({ historySize: 5 })).toThrow(new TypeError('Unknown option "historySize"'))
    ports.socket.close()
  })

  it('each function names itself when given something that is not a lifeline socket', async () => {
    const fake = { on() {}, send() {}, state: 'open' } as never
    const not = (caller: string) => new TypeError(`${caller}: socket must be a socket made by createSocket(), got object`)
    expect(() => monitor(fake)).toThrow(not('monitor(socket)'))
    // messages() and opened() need only events and state, so any socket-shaped object serves (a
    // lifeline-ws/tabs shared socket): they refuse what has neither
    expect(() => messages({} as never)).toThrow(not('messages(socket)'))
    expect(() => opened({} as never)).toThrow(not('opened(socket)'))
    expect(() => sendAsync(fake, 'x')).toThrow(not('sendAsync(socket, data)'))
    expect(() => closeOn(fake, new AbortController().signal)).toThrow(not('closeOn(socket, signal)'))
    expect(() => monitor(null as never)).toThrow(new TypeError('monitor(socket): socket must be a socket made by createSocket(), got null'))
  })

  it('monitor() checks historySize as createSocket checked it', () => {
    const { socket } = bare({ lazy: true })
    expect(() => monitor(socket, { historySize: null as never })).toThrow(new TypeError('monitor(socket, { historySize }): historySize must be a number, got null'))
    expect(() => monitor(socket, { historySize: 1.5 })).toThrow(new RangeError('monitor(socket, { historySize }): historySize must be a whole number >= 0, got number 1.5'))
    expect(() => monitor(socket, null as never)).toThrow(new TypeError('monitor(socket, options): options must be an object, got null'))
    expect(monitor(socket, { historySize: 0 }).history()).toEqual([])
  })

  it('closeOn(): the returned function stops watching; the abort listener goes once the socket is closed for good', async () => {
    const { socket, clock, server } = bare()
    const controller = new AbortController()
    const stop = closeOn(socket, controller.signal)
    clock.advance(0)
    server.accept()
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(1)
    stop()
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0)
    controller.abort()
    expect(socket.state).toBe('open')

    const other = bare()
    const later = new AbortController()
    closeOn(other.socket, later.signal)
    other.socket.close()
    expect(getEventListeners(later.signal, 'abort')).toHaveLength(0)
    closeOn(other.socket, later.signal) // already closed: nothing to watch
    expect(getEventListeners(later.signal, 'abort')).toHaveLength(0)
    const cancelled = bare()
    closeOn(cancelled.socket, AbortSignal.abort())()
    await Promise.resolve()
    expect(cancelled.socket.state).not.toBe('closed')
  })
})
