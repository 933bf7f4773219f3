/**
 * `session: true` and `session: { … }` (the session code loaded on demand) in virtual time, against
 * the scripted lifeline.v1 server: nothing connects before the code is loaded, the session then
 * works as with `session()`, the options are checked synchronously, and a load that fails is an
 * error event and a retry, never an unhandled rejection.
 */
import { afterEach, describe, expect, it, vi } from 'vitest'
import { createSocket, type LifelineSocket, type SocketOptions } from '../../src/index.core.js'
import { createVirtualClock } from '../../src/index.testing.js'
import { decodeFrame, SUBPROTOCOL } from '../../src/protocol/codec.js'
import { FakeSessionServer, type SessionServerOptions } from '../helpers/session-server.js'

function setup(options: Partial<SocketOptions>, serverOptions: SessionServerOptions = {}) {
  const clock = createVirtualClock(1_000_000)
  const server = new FakeSessionServer(clock, serverOptions)
  const socket: LifelineSocket = createSocket({
    url: 'ws://example.test/s',
    WebSocket: server.WebSocket,
    timer: clock,
    random: () => 0.5,
    backoff: { initialDelay: 100, maxDelay: 400 },
    ...options,
  })
  const log = { got: [] as unknown[], opens: [] as unknown[], errors: [] as Array<{ code: string; message: string }>, reconnecting: [] as unknown[] }
  socket.on('message', (data) => void log.got.push(data))
  socket.on('open', (info) => void log.opens.push(info))
  socket.on('error', (error) => void log.errors.push({ code: error.code, message: error.message }))
  socket.on('reconnecting', (info) => void log.reconnecting.push(info))
  return { clock, server, socket, log }
}

/** The session code's import() has settled and the attempt made its socket. */
async function constructed(server: FakeSessionServer, count = 1): Promise<void> {
  await vi.waitFor(() => expect(server.fake.sockets.length).toBe(count))
}

describe('session: true', () => {
  it('connects only once the session code is loaded, then speaks lifeline.v1: HELLO, open after WELCOME, both ways, resumed after a cut', async () => {
    const { clock, server, socket, log } = setup({ session: true, protocols: 'chat' }, { protocol: 'chat' })
    clock.advance(0)
    // the attempt has begun, and waits for the code: no socket yet
    expect(socket.state).toBe('connecting')
    expect(server.fake.sockets).toHaveLength(0)
    await constructed(server)
    expect(server.fake.last.protocols).toEqual([SUBPROTOCOL, 'chat'])
    server.fake.last.accept(SUBPROTOCOL)
    expect(decodeFrame(server.fake.last.sent[0] as Uint8Array)).toMatchObject({ type: 'hello', received: 0 })
    expect(socket.state).toBe('connecting')
    server.run(20)
    expect(log.opens).toEqual([{ protocol: 'chat', extensions: '', resumed: false, session: true }])
    socket.send('a')
    server.send('x')
    server.run(20)
    expect(server.got).toEqual(['a'])
    expect(log.got).toEqual(['x'])
    server.fake.last.drop()
    socket.send('b')
    // loaded once: the next attempt connects at once, and resumes
    server.run(1_000)
    expect(server.fake.sockets).toHaveLength(2)
    expect(log.opens[1]).toMatchObject({ resumed: true, session: true })
    expect(server.got).toEqual(['a', 'b'])
    expect(log.errors).toEqual([])
  })

  it("session: { fallback: 'plain' } against a server without sessions: an ordinary socket, open says { session: false }", async () => {
    const { clock, server, socket, log } = setup({ session: { fallback: 'plain' } }, { sessions: false })
    clock.advance(0)
    await constructed(server)
    server.run(20)
    expect(log.opens).toEqual([{ protocol: '', extensions: '', resumed: false, session: false }])
    socket.send('plain text')
    expect(server.fake.last.sent).toEqual(['plain text'])
  })

  it("the default fallback ('fail') against a server without sessions: an error and giveup, never a silent downgrade", async () => {
    const { clock, server, socket, log } = setup({ session: {} }, { sessions: false })
    const giveups: unknown[] = []
    socket.on('giveup', (info) => void giveups.push(info))
    clock.advance(0)
    await constructed(server)
    server.run(20)
    expect(log.opens).toEqual([])
    expect(log.errors[0]!.message).toContain('did not accept the lifeline.v1 subprotocol')
    expect(giveups).toMatchObject([{ reason: 'close-code' }])
  })

  it('a send() before the code is loaded waits in the queue and goes out on the session', async () => {
    const { server, socket } = setup({ session: true, lazy: true })
    socket.send('early')
    await constructed(server)
    server.run(50)
    expect(socket.state).toBe('open')
    expect(server.got).toEqual(['early'])
  })

  it('close() before the code is loaded: closed, nothing is ever constructed', async () => {
    const { clock, server, socket } = setup({ session: true })
    clock.advance(0)
    socket.close()
    // the load settles after the close: a later attempt of its own would show as a socket
    await import('../../src/session/option.js')
    await new Promise((resolve) => setTimeout(resolve, 0))
    clock.advance(5_000)
    expect(socket.state).toBe('closed')
    expect(server.fake.sockets).toHaveLength(0)
  })

  it('bad values throw synchronously, naming the option and the value; false is no session', () => {
    const clock = createVirtualClock(0)
    const base = { url: 'ws://x.test', WebSocket: class {} as never, timer: clock, random: Math.random, lazy: true }
    expect(() => createSocket({ ...base, session: 'yes' as never })).toThrow(
      new TypeError("session must be true, an object of session options ({ fallback }), false, or session() from 'lifeline-ws/session', got string \"yes\""),
    )
    expect(() => createSocket({ ...base, session: [] as never })).toThrow(TypeError)
    expect(() => createSocket({ ...base, session: { falback: 'plain' } as never })).toThrow(new TypeError('Unknown option "session.falback"; did you mean "session.fallback"?'))
    expect(() => createSocket({ ...base, session: { fallback: 'silent' as never } })).toThrow(new TypeError('session.fallback must be "fail" or "plain", got string "silent"'))
    // an inherited fallback is not the caller's
    const inherited = Object.create({ fallback: 'silent' }) as object
    expect(() => createSocket({ ...base, session: inherited })).not.toThrow()
    expect(() => createSocket({ ...base, session: false, heartbeat: false })).not.toThrow()
  })
})

describe('session: true, when the session code cannot be loaded', () => {
  afterEach(() => {
    vi.doUnmock('../../src/session/option.js')
    vi.resetModules()
  })

  it('the attempt fails with SESSION_LOAD (an error event, no unhandled rejection), no socket is made, and the backoff retries', async () => {
    vi.resetModules()
    vi.doMock('../../src/session/option.js', () => {
      throw new Error('chunk 404')
    })
    const core = await import('../../src/index.core.js')
    const clock = createVirtualClock(0)
    const server = new FakeSessionServer(clock)
    const socket = core.createSocket({ url: 'ws://example.test/s', WebSocket: server.WebSocket, timer: clock, random: () => 0.5, backoff: { initialDelay: 100, maxDelay: 400 }, session: true })
    const errors: Array<{ code: string; message: string }> = []
    const reconnecting: Array<{ attempt: number }> = []
    socket.on('error', (error) => void errors.push({ code: error.code, message: error.message }))
    socket.on('reconnecting', (info) => void reconnecting.push(info))
    clock.advance(0)
    await vi.waitFor(() => expect(errors).toHaveLength(1))
    expect(errors[0]!.code).toBe('SESSION_LOAD')
    // (vitest words the mocked import's failure its own way)
    expect(errors[0]!.message).toMatch(/^lifeline-ws\/session did not load: \S/)
    expect(socket.state).toBe('backoff')
    expect(reconnecting).toMatchObject([{ attempt: 1 }])
    expect(server.fake.sockets).toHaveLength(0)
    // the next attempt imports again: once the code loads, the socket connects
    vi.doUnmock('../../src/session/option.js')
    clock.advance(200)
    await vi.waitFor(() => expect(server.fake.sockets).toHaveLength(1))
    expect(errors).toHaveLength(1)
    server.run(20)
    expect(socket.state).toBe('open')
    socket.close()
  })
})
