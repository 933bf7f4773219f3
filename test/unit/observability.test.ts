/** stats(), history(), debug, and the promise/stream APIs, in virtual time. */
import { describe, expect, it } from 'vitest'
import { harness, T0 } from '../helpers/harness.js'

describe('stats()', () => {
  it('counts states, traffic, drops, rtt and closes, and is JSON-serialisable', () => {
    const h = harness({ heartbeat: { interval: 1_000, timeout: 500 }, queue: { maxMessages: 1 } }, { pingFrames: true })
    h.socket.send('queued')
    h.socket.send('overflow')
    h.clock.advance(200)
    h.server.accept()
    h.socket.send('abc')
    h.socket.send(new Uint8Array(10))
    h.server.send('hello')
    h.server.send(new ArrayBuffer(4))
    h.clock.advance(1_000) // one ping, answered at once
    h.clock.advance(800)
    h.server.drop()
    h.clock.advance(300)
    const s = h.socket.stats()
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
      dropped: { overflow: 1, ttl: 0, closed: 0, error: 0 },
      rtt: { last: 0, min: 0, avg: 0, max: 0, samples: 1 },
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
    expect(h.socket.stats().rtt).toEqual({ last: 0, min: 0, avg: 0, max: 0, samples: 3 })
  })

  it('before anything happened: zeros, and an uptime ratio of 1', () => {
    const h = harness({ lazy: true })
    expect(h.socket.stats()).toMatchObject({ state: 'idle', opens: 0, uptimeRatio: 1, rtt: { last: null, samples: 0 }, lastClose: null })
  })
})

describe('history()', () => {
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
    expect(h.socket.history()).toEqual([
      { start: T0 + 5_000, end: T0 + 8_000, duration: 3_000, cause: 'close', code: 1011, attempts: 2 },
      // the heartbeat noticed the silence 1 s + 1 s after the open; the retry waited 4 s (attempt 2)
      { start: T0 + 10_000, end: T0 + 15_000, duration: 5_000, cause: 'heartbeat', code: 'HEARTBEAT_TIMEOUT', attempts: 1 },
      { start: T0 + 15_000, end: null, duration: null, cause: 'user', code: null, attempts: 0 },
    ])
  })

  it('keeps only the last historySize entries', () => {
    const h = harness({ historySize: 2 })
    for (let i = 0; i < 5; i++) {
      h.server.accept()
      h.server.close(4000 + i)
      h.clock.advance(5_000)
    }
    expect(h.socket.history().map((d) => d.code)).toEqual([4003, 4004])
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

describe('opened()', () => {
  it('resolves on the next open, and at once when open', async () => {
    const h = harness()
    const p = h.socket.opened()
    h.server.accept()
    await expect(p).resolves.toBeUndefined()
    await expect(h.socket.opened()).resolves.toBeUndefined()
  })

  it('rejects with GIVEN_UP when the socket gives up, and CLOSED after close()', async () => {
    const h = harness({ backoff: { maxRetries: 0 } })
    const p = h.socket.opened()
    h.server.refuse()
    await expect(p).rejects.toMatchObject({ code: 'GIVEN_UP', message: 'gave up: max-retries' })
    const t = harness()
    const q = t.socket.opened()
    t.socket.close()
    await expect(q).rejects.toMatchObject({ code: 'CLOSED' })
    await expect(t.socket.opened()).rejects.toMatchObject({ code: 'CLOSED' })
  })
})

describe('messages()', () => {
  it('iterates inbound messages and ends when the socket closes for good', async () => {
    const h = harness()
    h.server.accept()
    const stream = h.socket.messages()
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
    const stream = h.socket.messages({ bufferSize: 2 })
    for (const m of ['1', '2', '3', '4']) h.server.send(m)
    expect(stream.dropped).toBe(2)
    expect((await stream.next()).value).toBe('3')
    expect((await stream.next()).value).toBe('4')
  })

  it('break unsubscribes', async () => {
    const h = harness()
    h.server.accept()
    const stream = h.socket.messages()
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
    expect(() => h.socket.messages({ bufferSize: 0 })).toThrow(new RangeError('messages({ bufferSize }): bufferSize must be a whole number >= 1, got number 0'))
  })
})

describe('sendAsync()', () => {
  it('resolves when written to an open socket (at once, or on flush)', async () => {
    const h = harness()
    const queued = h.socket.sendAsync('q')
    h.server.accept()
    await expect(queued).resolves.toBeUndefined()
    await expect(h.socket.sendAsync('direct')).resolves.toBeUndefined()
    expect(h.server.received).toEqual(['q', 'direct'])
  })

  it('rejects with the drop reason', async () => {
    const h = harness({ queue: { maxMessages: 1, ttl: 100 } })
    const a = h.socket.sendAsync('a')
    const b = h.socket.sendAsync('b')
    await expect(b).rejects.toMatchObject({ code: 'DROPPED', reason: 'overflow', message: 'message dropped: overflow' })
    h.clock.advance(100)
    await expect(a).rejects.toMatchObject({ code: 'DROPPED', reason: 'ttl' })
    const c = h.socket.sendAsync('c')
    h.socket.close()
    await expect(c).rejects.toMatchObject({ reason: 'closed' })
  })
})

describe('signal option (AbortSignal)', () => {
  it('abort closes the socket, and the listener is removed once closed', () => {
    const controller = new AbortController()
    const h = harness({ signal: controller.signal })
    h.server.accept()
    controller.abort()
    expect(h.socket.state).toBe('closed')
    expect(h.server.last.closedBy).toEqual({ code: 1000, reason: 'aborted' })
  })

  it('an already aborted signal closes at once (on the next microtask)', async () => {
    const h = harness({ signal: AbortSignal.abort() })
    await Promise.resolve()
    expect(h.socket.state).toBe('closed')
  })

  it('rejects something that is not an AbortSignal', () => {
    expect(() => harness({ signal: {} as never })).toThrow(new TypeError('signal must be an AbortSignal, got object'))
  })
})
