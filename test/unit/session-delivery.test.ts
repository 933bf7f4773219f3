/**
 * Sessions and `delivery`, in virtual time against the scripted lifeline.v1 server: sendAsync()
 * resolves when the server acknowledges the message (not when it is handed to the connection), and
 * what the old session never acknowledged when the server lost it (`resumed: false`) is reported
 * ('unconfirmed', the promise rejects) or, with `delivery: 'resend'`, sent again on the new session.
 */
import { describe, expect, it } from 'vitest'
import { createSocket, type SocketOptions } from '../../src/index.core.js'
import { sendAsync } from '../../src/index.promises.js'
import { session } from '../../src/index.session.js'
import { createVirtualClock } from '../../src/index.testing.js'
import { FakeSessionServer } from '../helpers/session-server.js'

function setup(options: Partial<SocketOptions> = {}) {
  const clock = createVirtualClock(1_000_000)
  const server = new FakeSessionServer(clock)
  const socket = createSocket({ url: 'ws://example.test/s', WebSocket: server.WebSocket, timer: clock, random: () => 0.5, backoff: { initialDelay: 100, maxDelay: 400 }, session: session(), ...options })
  const drops: Array<{ data: unknown; reason: string }> = []
  const opens: Array<{ resumed: boolean }> = []
  socket.on('drop', (info) => void drops.push(info))
  socket.on('open', (info) => void opens.push(info))
  server.run(20)
  return { clock, server, socket, drops, opens }
}

/** Where a promise stands after every pending microtask ran. */
async function outcome(promise: Promise<unknown>): Promise<string> {
  let state = 'pending'
  promise.then(
    () => (state = 'resolved'),
    (error: { reason?: string }) => (state = `rejected ${error.reason}`),
  )
  for (let i = 0; i < 10; i++) await Promise.resolve()
  return state
}

/**
 * 'b' written but never acknowledged (the server is silent), the connection cut, the session lost
 * on the server; then 'c' sent while away, and a second of virtual time to reconnect.
 */
function loseSession({ server, socket }: Pick<ReturnType<typeof setup>, 'server' | 'socket'>) {
  server.fake.last.silent = true
  const lost = sendAsync(socket, 'b')
  server.fake.last.drop()
  server.forget()
  const later = sendAsync(socket, 'c')
  server.run(1_000)
  return { lost, later }
}

describe('sessions: sendAsync() and delivery', () => {
  it('sendAsync() resolves when the server acknowledges the message, not when it is written', async () => {
    const { server, socket } = setup()
    const sent = sendAsync(socket, 'a')
    // written to the open connection, not yet acknowledged
    expect(await outcome(sent)).toBe('pending')
    server.run(20)
    expect(server.got).toEqual(['a'])
    expect(await outcome(sent)).toBe('resolved')
  })

  it("the server lost the session (resumed: false), delivery 'report' (default): what it never acknowledged rejects 'unconfirmed' with a drop event; what was never written goes on the new session", async () => {
    const { server, socket, drops, opens } = setup()
    const { lost, later } = loseSession({ server, socket })
    expect(opens.map((o) => o.resumed)).toEqual([false, false])
    expect(await outcome(lost)).toBe('rejected unconfirmed')
    expect(drops).toEqual([{ data: 'b', reason: 'unconfirmed' }])
    expect(server.got).toEqual(['c'])
    expect(await outcome(later)).toBe('resolved')
  })

  it("delivery 'resend': what the lost session never acknowledged is sent again first on the new one, and its sendAsync() resolves when that acknowledges it", async () => {
    const { server, socket, drops } = setup({ delivery: 'resend' })
    const { lost, later } = loseSession({ server, socket })
    expect(drops).toEqual([])
    expect(server.got).toEqual(['b', 'c'])
    expect(await outcome(lost)).toBe('resolved')
    expect(await outcome(later)).toBe('resolved')
  })

  it('a resumed session settles nothing twice: the message written before the cut is acknowledged once, after the resume', async () => {
    const { server, socket, drops } = setup()
    server.fake.last.silent = true
    const sent = sendAsync(socket, 'd')
    server.fake.last.drop()
    expect(await outcome(sent)).toBe('pending')
    server.run(1_000)
    expect(server.got).toEqual(['d'])
    expect(await outcome(sent)).toBe('resolved')
    expect(drops).toEqual([])
  })
})
