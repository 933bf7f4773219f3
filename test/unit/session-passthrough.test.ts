/**
 * The `session` option through the other ways to make a socket: lifeline-ws/tabs'
 * createSharedSocket (here in Node, where it falls back to a socket of its own, role 'alone') and
 * the drop-in ReconnectingWebSocket. Both hand it to createSocket: the connection speaks lifeline.v1,
 * resumes after a cut, and loses nothing. Virtual time, the scripted session server.
 */
import { describe, expect, it } from 'vitest'
import { ReconnectingWebSocket } from '../../src/index.core.js'
import { session } from '../../src/index.session.js'
import { createSharedSocket } from '../../src/index.tabs.js'
import { createVirtualClock } from '../../src/index.testing.js'
import { FakeSessionServer } from '../helpers/session-server.js'

describe('the session option, passed through', () => {
  it("createSharedSocket({ session }): the tab's socket is a session that resumes after a cut", async () => {
    const clock = createVirtualClock(1_000_000)
    const server = new FakeSessionServer(clock)
    const socket = createSharedSocket({ url: 'ws://example.test/s', WebSocket: server.WebSocket, timer: clock, random: () => 0.5, backoff: { initialDelay: 100, maxDelay: 400 }, session: session() })
    const opens: Array<{ resumed: boolean; session: boolean }> = []
    const got: unknown[] = []
    socket.on('open', (info) => void opens.push(info))
    socket.on('message', (data) => void got.push(data))
    server.run(20)
    expect(socket.role).toBe('alone')
    socket.send('a')
    server.send('x')
    server.run(20)
    server.fake.last.silent = true
    socket.send('b')
    server.fake.last.drop()
    server.run(1_000)
    expect(opens).toEqual([expect.objectContaining({ resumed: false, session: true }), expect.objectContaining({ resumed: true, session: true })])
    expect(server.got).toEqual(['a', 'b'])
    expect(got).toEqual(['x'])
    // sendAsync() settles on the server's ACK
    let settled = false
    const sent = socket.sendAsync('c').then(() => void (settled = true))
    await Promise.resolve()
    expect(settled).toBe(false)
    server.run(20)
    await sent
    expect(server.got).toEqual(['a', 'b', 'c'])
    socket.close()
  })

  it('new ReconnectingWebSocket(url, protocols, { session }): WHATWG events over a session that resumes after a cut', () => {
    const clock = createVirtualClock(1_000_000)
    const server = new FakeSessionServer(clock, { protocol: 'chat' })
    const ws = new ReconnectingWebSocket('ws://example.test/s', ['chat'], {
      WebSocket: server.WebSocket,
      timer: clock,
      random: () => 0.5,
      minReconnectionDelay: 100,
      maxReconnectionDelay: 400,
      session: session(),
    })
    const got: unknown[] = []
    let opens = 0
    ws.onopen = () => void opens++
    ws.onmessage = (event) => void got.push(event.data)
    server.run(20)
    expect(ws.readyState).toBe(ws.OPEN)
    expect(ws.protocol).toBe('chat')
    ws.send('a')
    server.fake.last.silent = true
    ws.send('b')
    server.send('x')
    server.fake.last.drop()
    server.run(1_000)
    expect(opens).toBe(2)
    expect(server.got).toEqual(['a', 'b'])
    expect(got).toEqual(['x'])
    ws.close()
  })
})
