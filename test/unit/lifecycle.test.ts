/** Connection lifecycle through the real driver, in virtual time with the scripted fake server. */
import { afterEach, describe, expect, it, vi } from 'vitest'
import { harness, T0 } from '../helpers/harness.js'

afterEach(() => {
  vi.unstubAllGlobals()
})

describe('connecting and opening', () => {
  it('connects at once (no delay on the very first attempt) and reports the open', () => {
    const h = harness()
    expect(h.socket.state).toBe('connecting')
    expect(h.server.sockets).toHaveLength(1)
    expect(h.server.last.url).toBe('ws://example.test/socket')
    h.server.accept('chat')
    expect(h.socket.state).toBe('open')
    expect(h.names()).toEqual(['state', 'state', 'open'])
    expect(h.of('state')).toEqual([
      ['connecting', 'idle', 'connect', 'start'],
      ['open', 'connecting', 'open', 'open'],
    ])
    expect(h.of('open')).toEqual([[{ protocol: 'chat', extensions: '', resumed: false, session: false }]])
    expect(h.socket.protocol).toBe('chat')
  })

  it('lazy: stays idle until connect()', () => {
    const h = harness({ lazy: true })
    expect(h.socket.state).toBe('idle')
    h.clock.advance(60_000)
    expect(h.server.sockets).toHaveLength(0)
    h.socket.connect()
    expect(h.socket.state).toBe('connecting')
    h.socket.connect() // a second connect() does nothing
    expect(h.server.sockets).toHaveLength(1)
  })

  it('lazy: the first send() connects and the message goes out on open', () => {
    const h = harness({ lazy: true })
    expect(h.socket.send('first')).toBe(true)
    expect(h.socket.state).toBe('connecting')
    h.server.accept()
    expect(h.server.received).toEqual(['first'])
  })

  it('http and https URLs become ws and wss, as WHATWG WebSocket does', () => {
    const h = harness({ url: 'https://example.test/a?b=1' })
    expect(h.server.last.url).toBe('wss://example.test/a?b=1')
  })

  it('calls the url and protocols providers before every attempt', () => {
    let n = 0
    const h = harness({ url: () => `ws://example.test/${++n}`, protocols: () => ['v1'] })
    h.server.refuse()
    h.clock.advance(5_000)
    expect(h.server.sockets.map((s) => s.url)).toEqual(['ws://example.test/1', 'ws://example.test/2'])
    expect(h.server.last.protocols).toEqual(['v1'])
  })

  it('binaryType is set on every socket', () => {
    const h = harness({ binaryType: 'arraybuffer' })
    h.server.refuse()
    h.clock.advance(5_000)
    expect(h.server.sockets.map((s) => s.binaryType)).toEqual(['arraybuffer', 'arraybuffer'])
  })
})

describe('backoff after a drop', () => {
  it('retries with a jittered delay (the first retry too), growing, capped', () => {
    const h = harness({ backoff: { jitter: 'none', initialDelay: 100, factor: 2, maxDelay: 1_000 } })
    const delays: number[] = []
    h.socket.on('reconnecting', ({ delay }) => delays.push(delay))
    for (let i = 0; i < 6; i++) {
      h.server.refuse()
      h.clock.advance(delays[delays.length - 1]!)
    }
    expect(delays).toEqual([100, 200, 400, 800, 1000, 1000])
    expect(h.socket.attempt).toBe(6)
    expect(h.server.sockets).toHaveLength(7)
  })

  it('the reconnect waits exactly the announced delay, not a tick less', () => {
    const h = harness({ backoff: { jitter: 'spread' } })
    h.setRandom(0.2)
    h.server.accept()
    h.server.drop()
    const [[info]] = h.of('reconnecting') as [[{ attempt: number; delay: number }]]
    expect(info).toEqual({ attempt: 1, delay: 700 }) // 1000·(0.5 + 0.2)
    h.clock.advance(699)
    expect(h.server.sockets).toHaveLength(1)
    h.clock.advance(1)
    expect(h.server.sockets).toHaveLength(2)
  })

  it('reports the true close of each socket', () => {
    const h = harness()
    h.server.accept()
    h.server.close(1011, 'internal error')
    expect(h.of('close')).toEqual([[{ code: 1011, reason: 'internal error', wasClean: true }]])
    h.clock.advance(5_000)
    h.server.accept()
    h.server.drop()
    expect(h.of('close')[1]).toEqual([{ code: 1006, reason: '', wasClean: false }])
  })

  it('flap protection: a server that accepts then drops at once is not hammered', () => {
    const h = harness({ backoff: { jitter: 'none', initialDelay: 100, maxDelay: 10_000, resetAfter: 5_000 } })
    const delays: number[] = []
    h.socket.on('reconnecting', ({ delay }) => delays.push(delay))
    for (let i = 0; i < 5; i++) {
      h.server.accept()
      h.server.drop()
      h.clock.advance(delays[delays.length - 1]!)
    }
    expect(delays).toEqual([100, 200, 400, 800, 1600])
  })

  it('the attempt count resets only after staying open resetAfter ms', () => {
    const h = harness({ backoff: { jitter: 'none', initialDelay: 100, maxDelay: 10_000, resetAfter: 5_000 } })
    h.server.refuse()
    h.clock.advance(100)
    h.server.refuse()
    h.clock.advance(200)
    expect(h.socket.attempt).toBe(2)
    h.server.accept()
    h.clock.advance(4_999)
    expect(h.socket.attempt).toBe(2)
    h.clock.advance(1)
    expect(h.socket.attempt).toBe(0)
    h.server.drop()
    expect(h.of('reconnecting').at(-1)).toEqual([{ attempt: 1, delay: 100 }])
  })

  it('gives up after maxRetries failed attempts, once', () => {
    const h = harness({ backoff: { maxRetries: 2 } })
    h.server.refuse()
    h.clock.advance(10_000)
    h.server.refuse()
    h.clock.advance(10_000)
    h.server.refuse()
    expect(h.socket.state).toBe('closed')
    expect(h.of('giveup')).toEqual([[{ reason: 'max-retries', attempt: 2, close: { code: 1006, reason: '', wasClean: false } }]])
    h.clock.advance(60_000)
    expect(h.server.sockets).toHaveLength(3)
    expect(h.clock.pending).toBe(0)
  })

  it('maxRetries 0: the first failure gives up', () => {
    const h = harness({ backoff: { maxRetries: 0 } })
    h.server.refuse()
    expect(h.socket.state).toBe('closed')
    expect(h.of('giveup')).toHaveLength(1)
  })
})

describe('close codes', () => {
  for (const code of [1002, 1003, 1007, 1008, 1009, 1010]) {
    it(`server close ${code} stops for good with 'giveup'`, () => {
      const h = harness()
      h.server.accept()
      h.server.close(code, 'no')
      expect(h.socket.state).toBe('closed')
      expect(h.of('giveup')).toEqual([[{ reason: 'close-code', attempt: 0, close: { code, reason: 'no', wasClean: true } }]])
      h.clock.advance(60_000)
      expect(h.server.sockets).toHaveLength(1)
      expect(h.clock.pending).toBe(0)
    })
  }

  for (const code of [1000, 1001, 1005, 1006, 1011, 1014, 1015, 3000, 4999]) {
    it(`server close ${code} is retried`, () => {
      const h = harness()
      h.server.accept()
      h.server.close(code, '')
      expect(h.socket.state).toBe('backoff')
    })
  }

  it('shouldReconnect overrides the table; one that throws counts as "retry"', () => {
    const h = harness({ shouldReconnect: ({ code }) => code !== 4001 })
    h.server.accept()
    h.server.close(1008)
    expect(h.socket.state).toBe('backoff')
    h.clock.advance(5_000)
    h.server.accept()
    h.server.close(4001)
    expect(h.socket.state).toBe('closed')

    const t = harness({
      shouldReconnect: () => {
        throw new Error('bug in user code')
      },
    })
    t.server.accept()
    t.server.close(1008)
    expect(t.socket.state).toBe('backoff')
  })
})

describe('connect timeout', () => {
  it('an attempt that does not open within connectTimeout fails with CONNECT_TIMEOUT, then backs off', () => {
    const h = harness({ connectTimeout: 3_000 })
    h.clock.advance(2_999)
    expect(h.socket.state).toBe('connecting')
    h.clock.advance(1)
    expect(h.socket.state).toBe('backoff')
    const [[error]] = h.of('error') as [[Error & { code: string }]]
    expect(error.code).toBe('CONNECT_TIMEOUT')
    expect(error.message).toBe('no connection within connectTimeout (3000 ms)')
    expect(h.of('close')).toEqual([[{ code: 1006, reason: 'connect timeout', wasClean: false }]])
    expect(h.server.sockets[0]!.terminated).toBe(true) // a hard stop: the attempt is presumed dead
    // the abandoned socket's late open is ignored
    h.server.sockets[0]!.readyState = 0
    h.server.sockets[0]!.accept()
    expect(h.socket.state).toBe('backoff')
  })
})

describe('url and protocols providers that fail', () => {
  it('a provider that throws is a failed attempt with URL_PROVIDER, then backoff', () => {
    let calls = 0
    const h = harness({
      url: () => {
        calls++
        if (calls === 1) throw new Error('token service down')
        return 'ws://example.test/ok'
      },
    })
    expect(h.socket.state).toBe('backoff')
    const [[error]] = h.of('error') as [[Error & { code: string }]]
    expect(error.code).toBe('URL_PROVIDER')
    expect(error.message).toBe('url/protocols provider threw: token service down')
    h.clock.advance(5_000)
    expect(h.server.last.url).toBe('ws://example.test/ok')
  })

  it('a provider that rejects is a failed attempt, never an unhandled rejection', async () => {
    const unhandled = vi.fn()
    process.on('unhandledRejection', unhandled)
    try {
      const h = harness({ url: () => Promise.reject(new Error('401 from auth')) })
      await Promise.resolve()
      await new Promise((resolve) => setImmediate(resolve))
      expect(h.socket.state).toBe('backoff')
      expect((h.of('error')[0]![0] as Error).message).toBe('url/protocols provider rejected: 401 from auth')
      expect(unhandled).not.toHaveBeenCalled()
    } finally {
      process.off('unhandledRejection', unhandled)
    }
  })

  it('a provider resolving after the socket was closed does not open anything', async () => {
    let resolveUrl!: (url: string) => void
    const h = harness({ url: () => new Promise<string>((r) => (resolveUrl = r)) })
    h.socket.close()
    resolveUrl('ws://example.test/late')
    await new Promise((resolve) => setImmediate(resolve))
    expect(h.server.sockets).toHaveLength(0)
  })

  it('a provider giving a bad URL is reported without leaking its token', () => {
    const h = harness({ url: () => 'ftp://user:secret@example.test/?token=abc' })
    const message = (h.of('error')[0]![0] as Error).message
    expect(message).toBe(
      'url/protocols provider gave a bad value: url must use ws:, wss:, http: or https:, got "ftp:" in "ftp://***@example.test/?token=***"',
    )
    expect(message).not.toContain('secret')
    expect(message).not.toContain('abc')
  })
})

describe('close()', () => {
  const states = ['idle', 'connecting', 'open', 'backoff'] as const
  for (const phase of states) {
    it(`in '${phase}': closed at once, every timer cleared, never reconnects`, () => {
      const h = harness({ lazy: phase === 'idle', heartbeat: { interval: 1_000, timeout: 500 }, idleTimeout: 9_000, maxLifetime: 60_000 }, { pingFrames: true })
      if (phase === 'open' || phase === 'backoff') h.server.accept()
      if (phase === 'backoff') h.server.drop()
      expect(h.socket.state).toBe(phase)
      h.socket.close(4321, 'bye')
      expect(h.socket.state).toBe('closed')
      h.clock.advance(0) // deliver the close handshake
      expect(h.clock.pending).toBe(0)
      const sockets = h.server.sockets.length
      h.clock.advance(600_000)
      expect(h.server.sockets).toHaveLength(sockets)
      expect(h.socket.state).toBe('closed')
    })
  }

  it('on an open socket: the close frame carries the code, and the real close is reported', () => {
    const h = harness()
    h.server.accept()
    h.socket.close(4321, 'bye')
    expect(h.server.last.closedBy).toEqual({ code: 4321, reason: 'bye' })
    expect(h.of('close')).toEqual([])
    h.clock.advance(0)
    expect(h.of('close')).toEqual([[{ code: 4321, reason: 'bye', wasClean: true }]])
  })

  it('during an attempt that never opened: reported as 1006, as the socket itself reports it (issue 12, #12)', () => {
    const h = harness({}, { pingFrames: true })
    expect(h.socket.state).toBe('connecting')
    h.socket.close(4321, 'bye')
    expect(h.of('close')).toEqual([[{ code: 1006, reason: 'bye', wasClean: false }]])
    expect(h.server.last.terminated).toBe(true)
    h.clock.advance(0)
    expect(h.of('close')).toHaveLength(1)
  })

  it('drops everything queued with reason "closed", and later sends too', () => {
    const h = harness()
    h.socket.send('a')
    h.socket.send('b')
    h.socket.close()
    expect(h.of('drop')).toEqual([[{ data: 'a', reason: 'closed' }], [{ data: 'b', reason: 'closed' }]])
    expect(h.socket.send('c')).toBe(false)
    expect(h.of('drop')[2]).toEqual([{ data: 'c', reason: 'closed' }])
    expect(h.socket.queued).toBe(0)
  })

  it('close() twice is harmless', () => {
    const h = harness()
    h.socket.close()
    h.socket.close()
    expect(h.of('state')).toHaveLength(2)
  })
})

describe('reconnect()', () => {
  it('from idle: connects', () => {
    const h = harness({ lazy: true })
    h.socket.reconnect()
    expect(h.socket.state).toBe('connecting')
  })

  it('from connecting: abandons the attempt and starts a fresh one', () => {
    const h = harness()
    h.socket.reconnect()
    expect(h.server.sockets).toHaveLength(2)
    expect(h.server.sockets[0]!.readyState).toBeGreaterThanOrEqual(2)
    h.server.sockets[0]!.onopen?.({}) // listeners are detached; nothing happens
    expect(h.socket.state).toBe('connecting')
  })

  it('from open: closes with 1000 "reconnect" and opens a new socket without waiting', () => {
    const h = harness()
    h.server.accept()
    h.socket.reconnect()
    expect(h.server.sockets[0]!.closedBy).toEqual({ code: 1000, reason: 'reconnect' })
    expect(h.of('close')).toEqual([[{ code: 1000, reason: 'reconnect', wasClean: false }]])
    expect(h.socket.state).toBe('connecting')
    expect(h.server.sockets).toHaveLength(2)
    expect(h.socket.attempt).toBe(0)
  })

  it('from backoff: skips the wait', () => {
    const h = harness()
    h.server.refuse()
    expect(h.socket.state).toBe('backoff')
    h.socket.reconnect()
    expect(h.socket.state).toBe('connecting')
    expect(h.clock.pending).toBe(1) // only the connect timeout: the retry timer is gone
  })

  it('from closed: does nothing (closed is final)', () => {
    const h = harness()
    h.socket.close()
    h.socket.reconnect()
    expect(h.socket.state).toBe('closed')
    expect(h.server.sockets).toHaveLength(1)
  })
})

describe('at most one live socket; late events from replaced sockets are ignored', () => {
  it('a replaced socket that later closes or sends does not disturb the new one', () => {
    const h = harness()
    h.server.accept()
    const old = h.server.last
    h.socket.reconnect()
    h.server.accept()
    old.readyState = 1
    old.deliver('stale')
    old.drop()
    expect(h.socket.state).toBe('open')
    expect(h.of('message')).toEqual([])
    expect(h.server.live).toHaveLength(1)
  })
})

describe('listeners', () => {
  it("every 'message' listener gets its data, also when an earlier one makes another socket receive a message at once", () => {
    // found in review: one event object shared by every socket was overwritten by the nested delivery
    const a = harness()
    const b = harness()
    a.server.accept()
    b.server.accept()
    const got: unknown[] = []
    a.socket.on('message', () => b.server.send('for b')) // an in-process relay
    a.socket.on('message', (data) => got.push(data))
    a.server.send('for a')
    expect(got).toEqual(['for a'])
    expect(b.of('message')).toEqual([['for b']])
  })

  it('a listener that throws leaves the socket consistent and the error surfaces', () => {
    const reported: unknown[] = []
    vi.stubGlobal('reportError', (e: unknown) => reported.push(e))
    const h = harness()
    const seen: string[] = []
    h.socket.on('open', () => {
      throw new Error('listener bug')
    })
    h.socket.on('open', () => seen.push(`second listener saw ${h.socket.state}`))
    h.socket.send('queued')
    h.server.accept()
    expect(h.socket.state).toBe('open')
    expect(seen).toEqual(['second listener saw open'])
    expect(reported).toHaveLength(1)
    expect((reported[0] as Error).message).toBe('listener bug')
    expect(h.server.received).toEqual(['queued'])
    h.server.drop()
    expect(h.socket.state).toBe('backoff')
    expect(h.clock.pending).toBe(1)
  })

  it('on() returns the unbind function', () => {
    const h = harness()
    const got: unknown[] = []
    const off = h.socket.on('message', (d) => got.push(d))
    h.server.accept()
    h.server.send('a')
    off()
    h.server.send('b')
    expect(got).toEqual(['a'])
  })

  it('events stay in order when a listener calls back into the socket', () => {
    const h = harness()
    h.socket.on('state', (next) => {
      if (next === 'open') h.socket.close()
    })
    h.server.accept()
    expect(h.socket.state).toBe('closed')
    expect(h.names().filter((n) => n === 'state' || n === 'open')).toEqual(['state', 'state', 'open', 'state'])
    expect(h.of('state').map((s) => s[0])).toEqual(['connecting', 'open', 'closed'])
  })

  it('messages are emitted with their data', () => {
    const h = harness()
    h.server.accept()
    const bytes = new Uint8Array([1, 2, 3]).buffer
    h.server.send('text')
    h.server.send(bytes)
    expect(h.of('message')).toEqual([['text'], [bytes]])
  })
})

it('the virtual clock starts where the harness says', () => {
  expect(harness().clock.now()).toBe(T0)
})
