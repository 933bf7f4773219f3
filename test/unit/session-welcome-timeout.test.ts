/**
 * A server that takes the lifeline.v1 subprotocol and then never answers HELLO (no WELCOME, nothing
 * at all) must not leave the client hanging: the attempt is bounded by connectTimeout (the session
 * opens only after WELCOME), fails with CONNECT_TIMEOUT, and is retried per the backoff. Virtual time.
 */
import { describe, expect, it } from 'vitest'
import { createSocket } from '../../src/index.core.js'
import { session } from '../../src/index.session.js'
import { createFakeServer, createVirtualClock } from '../../src/index.testing.js'
import { decodeFrame, SUBPROTOCOL } from '../../src/protocol/codec.js'

describe('session client: no WELCOME', () => {
  it('connectTimeout bounds the wait for WELCOME: CONNECT_TIMEOUT, the socket is ended, and the next attempt comes after the backoff', () => {
    const clock = createVirtualClock(0)
    const server = createFakeServer({ clock })
    const socket = createSocket({
      url: 'ws://example.test/s',
      WebSocket: server.WebSocket,
      timer: clock,
      random: () => 0.5,
      connectTimeout: 3_000,
      backoff: { initialDelay: 1_000, maxDelay: 4_000, jitter: 'none' },
      session: session(),
    })
    const errors: Array<{ code: string; message: string }> = []
    const reconnecting: Array<{ attempt: number; delay: number }> = []
    const opens: unknown[] = []
    socket.on('error', (error) => void errors.push({ code: error.code, message: error.message }))
    socket.on('reconnecting', (info) => void reconnecting.push(info))
    socket.on('open', (info) => void opens.push(info))
    clock.advance(0)
    const first = server.last
    first.accept(SUBPROTOCOL)
    expect(decodeFrame(first.sent[0] as Uint8Array)).toMatchObject({ type: 'hello' })
    // the server says nothing: still connecting just before the timeout
    clock.advance(2_999)
    expect(socket.state).toBe('connecting')
    expect(errors).toEqual([])
    clock.advance(1)
    expect(errors).toEqual([{ code: 'CONNECT_TIMEOUT', message: 'no connection within connectTimeout (3000 ms)' }])
    expect(socket.state).toBe('backoff')
    expect(reconnecting).toEqual([{ attempt: 1, delay: 1_000 }])
    expect(first.readyState).toBe(3)
    expect(opens).toEqual([])
    // the retry offers lifeline.v1 again, and a second silent server times out the same way, with a longer backoff
    clock.advance(1_000)
    expect(server.sockets).toHaveLength(2)
    server.last.accept(SUBPROTOCOL)
    clock.advance(3_000)
    expect(errors.map((e) => e.code)).toEqual(['CONNECT_TIMEOUT', 'CONNECT_TIMEOUT'])
    expect(reconnecting).toEqual([
      { attempt: 1, delay: 1_000 },
      { attempt: 2, delay: 2_000 },
    ])
    socket.close()
  })
})
