/**
 * The session client (lifeline-ws/session) in virtual time, against a scripted lifeline.v1 server
 * on the fake WebSocket: the handshake, resume, acks, the server-led heartbeat, drain, END,
 * `resumed: false`, the fallback, and a property test cutting connections at random moments.
 */
import fc from 'fast-check'
import { describe, expect, it, vi } from 'vitest'
import { createSocket, type LifelineSocket, type SocketOptions } from '../../src/index.core.js'
import { session } from '../../src/index.session.js'
import { createVirtualClock } from '../../src/index.testing.js'
import { negotiate, planWelcome, silenceLeft } from '../../src/session/decide.js'
import { decodeFrame, encodeText, SUBPROTOCOL } from '../../src/protocol/codec.js'
import { FakeSessionServer, type SessionServerOptions } from '../helpers/session-server.js'
import type { FakeSocket } from '../../src/testing/fake-websocket.js'

interface Setup {
  server: FakeSessionServer
  socket: LifelineSocket
  /** What the client application got, in order. */
  got: unknown[]
  opens: Array<{ resumed: boolean; session: boolean; protocol: string }>
  drops: Array<{ data: unknown; reason: string }>
  errors: string[]
  giveups: unknown[]
}

function setup(serverOptions: SessionServerOptions = {}, options: Partial<SocketOptions> = {}): Setup {
  const clock = createVirtualClock(1_000_000)
  const server = new FakeSessionServer(clock, serverOptions)
  const socket = createSocket({
    url: 'ws://example.test/s',
    WebSocket: server.WebSocket,
    timer: clock,
    random: () => 0.5,
    backoff: { initialDelay: 100, maxDelay: 400 },
    session: session(),
    ...options,
  })
  const s: Setup = { server, socket, got: [], opens: [], drops: [], errors: [], giveups: [] }
  socket.on('message', (data) => void s.got.push(data))
  socket.on('open', (info) => void s.opens.push(info))
  socket.on('drop', (info) => void s.drops.push(info))
  socket.on('error', (error) => void s.errors.push(error.message))
  socket.on('giveup', (info) => void s.giveups.push(info))
  server.run(20)
  return s
}

describe('session client: the handshake', () => {
  it('offers lifeline.v1 before the app protocols, says HELLO, and opens only after WELCOME, with the protocol WELCOME states', () => {
    const clock = createVirtualClock(0)
    const server = new FakeSessionServer(clock, { protocol: 'chat' })
    const socket = createSocket({ url: 'ws://example.test/s', WebSocket: server.WebSocket, timer: clock, random: () => 0.5, protocols: ['chat', 'x'], session: session() })
    const opens: unknown[] = []
    socket.on('open', (info) => void opens.push(info))
    clock.advance(0)
    expect(server.fake.last.protocols).toEqual([SUBPROTOCOL, 'chat', 'x'])
    server.fake.last.accept(SUBPROTOCOL)
    // HELLO went out, and nothing is open yet
    expect(decodeFrame(server.fake.last.sent[0] as Uint8Array)).toMatchObject({ type: 'hello', received: 0 })
    expect(socket.state).toBe('connecting')
    expect(opens).toEqual([])
    server.run(10)
    expect(socket.state).toBe('open')
    expect(opens).toEqual([{ protocol: 'chat', extensions: '', resumed: false, session: true }])
    expect(socket.protocol).toBe('chat')
  })

  it('messages both ways arrive as their own type; a resume after a cut repeats nothing and loses nothing', () => {
    const s = setup()
    s.socket.send('a')
    s.socket.send(new Uint8Array([1, 2]))
    s.server.send('x')
    s.server.run(20)
    expect(s.server.got).toEqual(['a', [1, 2]])
    expect(s.got).toEqual(['x'])
    // the link dies with a message in each direction under way
    s.server.fake.last.silent = true
    s.socket.send('b')
    s.server.send('y')
    s.server.fake.last.drop()
    s.server.run(1_000)
    expect(s.opens.map((o) => o.resumed)).toEqual([false, true])
    expect(s.server.welcomes).toEqual([false, true])
    expect(s.server.got).toEqual(['a', [1, 2], 'b'])
    expect(s.got).toEqual(['x', 'y'])
  })

  it('a Blob is read before it is sent, and what follows it waits: order is kept', async () => {
    const s = setup()
    s.socket.send('a')
    s.socket.send(new Blob([Uint8Array.of(98)]))
    s.socket.send(Uint8Array.of(99))
    s.socket.send('d')
    // the Blob is read asynchronously (a real promise, outside virtual time): wait for the condition
    await vi.waitFor(() => {
      s.server.step()
      expect(s.server.got).toEqual(['a', [98], [99], 'd'])
    }, { timeout: 5_000 })
  })

  it('binaryType decides how binary messages arrive', () => {
    const s = setup()
    s.socket.binaryType = 'blob'
    s.server.session!.outbound.push({ payload: Uint8Array.of(9), binary: true })
    s.server.send('t')
    expect(s.got[0]).toBeInstanceOf(Blob)
    s.socket.binaryType = 'arraybuffer'
    s.server.session!.outbound.push({ payload: Uint8Array.of(8), binary: true })
    s.server.send('u')
    expect(s.got[2]).toBeInstanceOf(ArrayBuffer)
    expect(Array.from(new Uint8Array(s.got[2] as ArrayBuffer))).toEqual([8])
  })
})

describe('session client: how frames are read and written', () => {
  /**
   * The fake server's sockets with a binaryType setter that takes only `accepts` (as WebIDL ignores
   * an unknown enum value), delivering each binary frame as that type makes it: 'nodebuffer' a view
   * at an offset into a larger buffer (as ws slices what it read), 'arraybuffer' an ArrayBuffer,
   * 'blob' a Blob.
   */
  function runtime(server: FakeSessionServer, accepts: string[]): { WebSocket: SocketOptions['WebSocket']; types: string[] } {
    const types: string[] = []
    const Base = server.WebSocket as unknown as new (url: string, protocols?: string | string[]) => FakeSocket
    const WebSocket = function (url: string, protocols?: string | string[]) {
      const socket = new Base(url, protocols)
      let type = 'blob'
      Object.defineProperty(socket, 'binaryType', {
        get: () => type,
        set: (value: string) => void (accepts.includes(value) && (type = value)),
      })
      const deliver = socket.deliver.bind(socket)
      socket.deliver = (data: unknown) => {
        types.push(type)
        const bytes = data as Uint8Array
        if (type === 'blob') return deliver(new Blob([bytes as Uint8Array<ArrayBuffer>]))
        if (type === 'arraybuffer') return deliver(bytes.slice().buffer)
        const larger = new Uint8Array(bytes.length + 3)
        larger.set(bytes, 3)
        deliver(larger.subarray(3))
      }
      return socket
    }
    return { WebSocket: WebSocket as unknown as SocketOptions['WebSocket'], types }
  }

  for (const [where, accepts, expected] of [
    ['a runtime that offers views (ws, Bun): nodebuffer', ['blob', 'arraybuffer', 'nodebuffer'], 'nodebuffer'],
    ['a browser, which ignores nodebuffer: arraybuffer', ['blob', 'arraybuffer'], 'arraybuffer'],
  ] as const) {
    it(`${where}, and the session runs on it`, () => {
      const clock = createVirtualClock(1_000_000)
      const server = new FakeSessionServer(clock)
      const { WebSocket, types } = runtime(server, [...accepts])
      const socket = createSocket({ url: 'ws://example.test/s', WebSocket, timer: clock, random: () => 0.5, session: session() })
      const got: unknown[] = []
      socket.on('message', (data) => void got.push(data))
      server.run(20)
      expect(socket.state).toBe('open')
      socket.send('to the server')
      server.send('héllo')
      server.session!.outbound.push({ payload: Uint8Array.of(1, 2), binary: true })
      server.send('end')
      server.run(20)
      expect(server.got).toEqual(['to the server'])
      expect([got[0], Array.from(new Uint8Array(got[1] as ArrayBuffer)), got[2]]).toEqual(['héllo', [1, 2], 'end'])
      expect(new Set(types)).toEqual(new Set([expected]))
    })
  }

  it('every frame is written after corkTurn() where the socket has it (Node: a turn of sends leaves in one system call)', () => {
    const clock = createVirtualClock(1_000_000)
    const server = new FakeSessionServer(clock)
    const calls: string[] = []
    const Base = server.WebSocket as unknown as new (url: string, protocols?: string | string[]) => FakeSocket
    const WebSocket = function (url: string, protocols?: string | string[]) {
      const socket = new Base(url, protocols) as FakeSocket & { corkTurn(): void }
      socket.corkTurn = () => void calls.push('cork')
      const send = socket.send.bind(socket)
      socket.send = (data: unknown) => {
        calls.push(decodeFrame(data as Uint8Array).type)
        send(data)
      }
      return socket
    } as unknown as SocketOptions['WebSocket']
    const socket = createSocket({ url: 'ws://example.test/s', WebSocket, timer: clock, random: () => 0.5, session: session() })
    server.run(20)
    socket.send('a')
    socket.send('b')
    server.run(20)
    expect(server.got).toEqual(['a', 'b'])
    expect(calls).toEqual(['cork', 'hello', 'cork', 'data', 'cork', 'data'])
  })
})

describe('session client: the server leads', () => {
  it('PING is answered with PONG; acks are coalesced within ackDelay', () => {
    const s = setup({ ackDelay: 50 })
    const sock = s.server.fake.last
    const before = sock.sent.length
    s.server.send('1')
    s.server.send('2')
    s.server.run(20)
    expect(sock.sent.slice(before).map((f) => decodeFrame(f as Uint8Array).type)).toEqual([])
    s.server.run(40)
    expect(sock.sent.slice(before).map((f) => decodeFrame(f as Uint8Array))).toEqual([{ type: 'ack', count: 2 }])
    s.server.run(1_000)
    expect(sock.sent.map((f) => decodeFrame(f as Uint8Array).type)).toContain('pong')
  })

  it('a silent link (no PING) is dead after interval + timeout: the client reconnects and resumes', () => {
    const s = setup({ interval: 1_000, timeout: 500 })
    s.server.send('before')
    s.server.fake.last.silent = true
    s.socket.send('during')
    s.server.run(1_490)
    expect(s.socket.state).toBe('open')
    s.server.run(30)
    expect(s.errors.some((e) => e.includes('nothing from the server for 1500 ms'))).toBe(true)
    s.server.run(1_000)
    expect(s.opens.map((o) => o.resumed)).toEqual([false, true])
    expect(s.server.got).toEqual(['during'])
    expect(s.got).toEqual(['before'])
  })

  it('DRAIN: after the delay the client moves to a new connection at once (no backoff on top) and resumes', () => {
    const s = setup()
    const closes: unknown[] = []
    const causes: string[] = []
    s.socket.on('close', (close) => void closes.push(close))
    s.socket.on('state', (_next, _prev, _reason, cause) => void causes.push(cause))
    s.server.drain(300)
    s.server.run(290)
    expect(s.server.fake.sockets).toHaveLength(1)
    s.socket.send('m')
    // the delay passes (the server's jitter): the next connection is made in the same instant
    s.server.run(10, 1)
    expect(s.server.fake.sockets).toHaveLength(2)
    expect(closes).toEqual([{ code: 1000, reason: 'drain', wasClean: false }])
    expect(causes).toEqual(['drain', 'open'])
    s.server.run(1_000)
    expect(s.server.fake.sockets.length).toBe(2)
    expect(s.opens.map((o) => o.resumed)).toEqual([false, true])
    expect(s.server.got).toEqual(['m'])
  })

  it('close() ends the session with END (the server forgets it at once)', () => {
    const s = setup()
    s.socket.send('last')
    s.server.run(10)
    s.socket.close()
    s.server.step()
    expect(s.server.got).toEqual(['last'])
    expect(s.server.session).toBeUndefined()
    // reconnect() is not an end: the session stays
    const t = setup()
    t.socket.reconnect()
    t.server.run(500)
    expect(t.opens.map((o) => o.resumed)).toEqual([false, true])
  })
})

describe('session client: a connection in its close', () => {
  it('what arrives on a connection the driver is closing is not taken: the next connection gets it, once', () => {
    const s = setup()
    const old = s.server.fake.last
    s.socket.reconnect()
    // a real socket still delivers while its close handshake runs (the fake one would not): play it
    const frame = (s.server.session!.outbound.push({ payload: encodeText('late'), binary: false }), s.server.session!.outbound.nextFrame(1 << 20, 1 << 20)!)
    old.onmessage?.call(old, { data: frame })
    s.server.run(500)
    expect(s.opens.map((o) => o.resumed)).toEqual([false, true])
    expect(s.got).toEqual(['late'])
  })
})

describe('session client: close() for good', () => {
  it('while waiting to retry: what the dead connection carried unacknowledged is "unconfirmed", what was never written "closed"', () => {
    const s = setup({ window: 4 })
    s.server.fake.last.silent = true
    s.socket.send('aaa') // written, never acknowledged
    s.socket.send('bbb') // held by the window
    s.server.fake.last.drop()
    s.server.run(10)
    expect(s.socket.state).toBe('backoff')
    s.socket.send('ccc') // in the driver's queue
    s.socket.close()
    expect(s.drops).toEqual([
      { data: 'aaa', reason: 'unconfirmed' },
      { data: 'bbb', reason: 'closed' },
      { data: 'ccc', reason: 'closed' },
    ])
  })

  it('on an open connection: END goes after what was written; a clean close confirms it, a dead one leaves it "unconfirmed"', () => {
    const s = setup({ window: 4 })
    s.server.fake.last.silent = true
    s.socket.send('aaa')
    s.socket.send('bbb')
    s.socket.close()
    expect(s.drops).toEqual([])
    s.server.run(6_000) // the close handshake never completes on the silent link: the closing timer ends it
    expect(s.drops).toEqual([
      { data: 'aaa', reason: 'unconfirmed' },
      { data: 'bbb', reason: 'closed' },
    ])
  })
})

describe('session client: resumed false', () => {
  it('written-unacknowledged messages are reported as drop "unconfirmed", never resent; never-written ones go on the new session', () => {
    const s = setup({ window: 4 })
    s.server.fake.last.silent = true
    // 'aaa' is written (fits the window), 'bbb' waits for its ack
    s.socket.send('aaa')
    s.socket.send('bbb')
    s.server.fake.last.drop()
    s.server.forget()
    s.server.run(1_000)
    expect(s.opens.map((o) => o.resumed)).toEqual([false, false])
    expect(s.drops).toEqual([{ data: 'aaa', reason: 'unconfirmed' }])
    expect(s.server.got).toEqual(['bbb'])
  })
})

describe('session client: the server ended the session', () => {
  it.each([4410, 4413])('%i: not resumed; a new session, what was unacknowledged reported "unconfirmed"', (code) => {
    const s = setup({ window: 4 })
    s.server.fake.last.silent = true
    s.socket.send('aaa')
    s.socket.send('bbb')
    s.server.forget()
    s.server.fake.last.serverClose(code, 'session ended')
    s.server.run(1_000)
    // the HELLO of the next connection carried no token
    const hello = decodeFrame(s.server.fake.last.sent[0] as Uint8Array)
    expect(hello).toMatchObject({ type: 'hello', received: 0, token: new Uint8Array(0) })
    expect(s.opens.map((o) => o.resumed)).toEqual([false, false])
    expect(s.drops).toEqual([{ data: 'aaa', reason: 'unconfirmed' }])
    expect(s.server.got).toEqual(['bbb'])
  })
})

describe('session client: a server without sessions', () => {
  it("fallback 'fail' (the default): an error saying so, and giveup; no open", () => {
    const s = setup({ sessions: false })
    expect(s.opens).toEqual([])
    expect(s.errors[0]).toMatch(/^the server did not accept the lifeline\.v1 subprotocol \(it picked none\): it has no sessions/)
    expect(s.giveups).toEqual([{ reason: 'close-code', attempt: 0, close: { code: 1002, reason: 'no lifeline.v1 session on this server', wasClean: false } }])
    expect(s.socket.state).toBe('closed')
  })

  it("fallback 'plain': an ordinary socket, open says { resumed: false, session: false }", () => {
    const s = setup({ sessions: false }, { session: session({ fallback: 'plain' }), protocols: 'chat' })
    expect(s.opens).toEqual([{ protocol: 'chat', extensions: '', resumed: false, session: false }])
    s.socket.send('plain text')
    expect(s.server.fake.last.sent).toEqual(['plain text'])
  })

  it('bad session options throw, naming the option and the value', () => {
    expect(() => session({ fallback: 'silent' as never })).toThrow(new TypeError('session.fallback must be "fail" or "plain", got string "silent"'))
    expect(() => session({ falback: 'plain' } as never)).toThrow(new TypeError('Unknown option "session.falback"; did you mean "session.fallback"?'))
    const clock = createVirtualClock(0)
    expect(() => createSocket({ url: 'ws://x.test', WebSocket: class {} as never, timer: clock, random: Math.random, session: 1 as never })).toThrow(
      new TypeError("session must be true, an object of session options ({ fallback }), false, or session() from 'lifeline-ws/session', got number 1"),
    )
  })
})

describe('session client: the heartbeat is the server\'s', () => {
  it('a session on a socket without ping frames has no heartbeat of its own and no warning; without one, the warning comes', () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {})
    try {
      const clock = createVirtualClock(0)
      const server = new FakeSessionServer(clock)
      // no heartbeat option, no ping frames (a browser's WebSocket): the server leads
      createSocket({ url: 'ws://example.test/s', WebSocket: server.WebSocket, timer: clock, random: () => 0.5, lazy: true, session: session() })
      expect(warn).not.toHaveBeenCalled()
      createSocket({ url: 'ws://example.test/s', WebSocket: server.WebSocket, timer: clock, random: () => 0.5, lazy: true })
      expect(warn).toHaveBeenCalledWith(expect.stringContaining('this socket has no heartbeat'))
    } finally {
      warn.mockRestore()
    }
  })
})

describe('session decisions (pure)', () => {
  it('negotiate, planWelcome, silenceLeft', () => {
    expect(negotiate('lifeline.v1', SUBPROTOCOL, 'fail')).toBe('session')
    expect(negotiate('', SUBPROTOCOL, 'fail')).toBe('fail')
    expect(negotiate('chat', SUBPROTOCOL, 'plain')).toBe('plain')
    const m = (t: string) => ({ payload: encodeText(t), binary: false })
    expect(planWelcome({ resumed: true, received: 3 }, { written: [m('a')], unwritten: [] })).toEqual({ kind: 'resume', received: 3 })
    expect(planWelcome({ resumed: false, received: 0 }, { written: [m('a')], unwritten: [m('b')] })).toEqual({ kind: 'new', unconfirmed: [m('a')], carried: [m('b')] })
    expect(silenceLeft(1_000, 0, { heartbeatInterval: 800, heartbeatTimeout: 300 })).toBe(100)
    expect(silenceLeft(1_100, 0, { heartbeatInterval: 800, heartbeatTimeout: 300 })).toBe(0)
  })
})

describe('session client: property', () => {
  it('random cuts, silences and sends both ways: every message exactly once, in order, both directions', () => {
    const action = fc.oneof(
      fc.record({ type: fc.constant('client-send' as const), n: fc.integer({ min: 1, max: 5 }) }),
      fc.record({ type: fc.constant('server-send' as const), n: fc.integer({ min: 1, max: 5 }) }),
      fc.record({ type: fc.constant('run' as const), ms: fc.integer({ min: 0, max: 400 }) }),
      fc.record({ type: fc.constant('cut' as const) }),
      fc.record({ type: fc.constant('silence' as const) }),
      fc.record({ type: fc.constant('reconnect' as const) }),
    )
    fc.assert(
      fc.property(fc.array(action, { maxLength: 40 }), fc.integer({ min: 1, max: 64 }), (actions, chunkSize) => {
        // a handshake on a silent link is caught by the connect timeout, an open one by the server's heartbeat
        const s = setup({ chunkSize, window: 64 }, { connectTimeout: 2_000 })
        let up = 0
        let down = 0
        const sent: string[] = []
        const served: string[] = []
        for (const a of actions) {
          switch (a.type) {
            case 'client-send':
              for (let i = 0; i < a.n; i++) {
                const text = `c${up++}-${'x'.repeat(up % 40)}`
                sent.push(text)
                expect(s.socket.send(text)).toBe(true)
              }
              break
            case 'server-send':
              if (!s.server.session) break
              for (let i = 0; i < a.n; i++) {
                const text = `s${down++}-${'y'.repeat(down % 40)}`
                served.push(text)
                s.server.send(text)
              }
              break
            case 'run':
              s.server.run(a.ms)
              break
            case 'cut':
              s.server.fake.last.drop()
              break
            case 'silence':
              s.server.fake.last.silent = true
              break
            case 'reconnect':
              s.socket.reconnect()
              break
          }
        }
        s.server.run(10_000)
        expect(s.drops).toEqual([])
        expect(s.server.got).toEqual(sent)
        expect(s.got).toEqual(served)
        expect(s.server.welcomes.slice(1).every(Boolean)).toBe(true)
      }),
      { numRuns: 200 },
    )
  }, 60_000)
})
