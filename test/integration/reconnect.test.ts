/**
 * Reconnection over real TCP on 127.0.0.1: abrupt drops, restarts, a server that never answers the
 * upgrade, a refused port, and a close code that must not be retried.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { cleanup, connect } from '../support/lifeline.js'
import { waitFor } from '../support/wait.js'
import { refusedPort, startClosingServer, startSilentServer, startWsServer } from '../support/servers.js'

afterEach(cleanup)

const fastBackoff = { initialDelay: 50, maxDelay: 200, factor: 2, jitter: 'none' as const }

describe('reconnect over real TCP', () => {
  it('a: TCP torn down without a close frame → 1006, backoff, open again; messages sent while down arrive in order', async () => {
    const server = await startWsServer()
    const { socket, rec } = connect({ url: server.url, heartbeat: false, backoff: fastBackoff })
    await rec.waitFor('open', 2_000)
    expect(socket.send('before')).toBe(true)
    await server.waitForReceived(1, 2_000)

    const closesBefore = rec.of('close').length
    server.killConnections()
    const close = await rec.waitFor('close', 2_000, { from: 0 })
    expect(rec.of('close').length).toBe(closesBefore + 1)
    expect(close.args[0]).toEqual({ code: 1006, reason: '', wasClean: false })
    expect(socket.state).toBe('backoff')

    // down: these must be queued, then flushed in order on the new connection
    const queued = ['m1', 'm2', 'm3', 'm4', 'm5']
    for (const m of queued) expect(socket.send(m)).toBe(true)
    expect(socket.queued).toBe(5)

    const reopenIndex = rec.log.findIndex((e) => e.name === 'close') + 1
    await rec.waitFor('open', 3_000, { from: reopenIndex, what: "a second 'open'" })
    await server.waitForReceived(6, 2_000)
    expect(server.received).toEqual(['before', ...queued])
    expect(socket.queued).toBe(0)
    expect(server.connectionCount).toBe(2)
    expect(rec.states()).toEqual(['idle>connecting', 'connecting>open', 'open>backoff', 'backoff>connecting', 'connecting>open'])
    expect(rec.of('reconnecting')).toEqual([[{ attempt: 1, delay: 50 }]])
    expect(rec.of('drop')).toEqual([])
    expect(rec.of('error')).toEqual([])
  })

  it('b: server restarted on the same port → reconnects (after failing against the closed port)', async () => {
    const server = await startWsServer()
    const port = server.port
    const { socket, rec } = connect({ url: server.url, heartbeat: false, backoff: fastBackoff })
    await rec.waitFor('open', 2_000)

    await server.stop()
    await rec.waitFor('close', 2_000)
    // while it is down, at least one retry hits the closed port and is refused
    await rec.waitForCount('reconnecting', 2, 2_000)
    const refused = rec.of('error').map(([e]) => `${e.code} ${e.message}`)
    expect(refused.some((m) => m.startsWith('SOCKET_ERROR') && m.includes('ECONNREFUSED'))).toBe(true)

    const from = rec.log.length
    await server.start()
    expect(server.port).toBe(port)
    await rec.waitFor('open', 3_000, { from, what: "'open' after the restart" })
    expect(socket.state).toBe('open')
    expect(server.connectionCount).toBe(2)

    // and the new connection carries data both ways
    socket.send('after restart')
    const echoed = await rec.waitFor('message', 2_000, { from, filter: (d) => d === 'after restart' })
    expect(echoed.args[0]).toBe('after restart')
    expect(server.received).toEqual(['after restart'])
  })

  it('c: TCP accepted but the upgrade never answered → CONNECT_TIMEOUT, then reconnecting and backoff', async () => {
    const silent = await startSilentServer()
    const { socket, rec } = connect({
      url: silent.url,
      heartbeat: false,
      connectTimeout: 300,
      backoff: { initialDelay: 400, maxDelay: 400, jitter: 'none' },
    })
    const error = await rec.waitFor('error', 2_000)
    expect(error.args[0].code).toBe('CONNECT_TIMEOUT')
    expect(error.args[0].message).toBe('no connection within connectTimeout (300 ms)')
    const connecting = rec.log.find((e) => e.name === 'state' && e.args[0] === 'connecting')!
    const waited = error.mono - connecting.mono
    expect(waited).toBeGreaterThanOrEqual(295)
    expect(waited).toBeLessThan(1_000)
    expect(silent.accepted).toBe(1)

    await rec.waitFor('reconnecting', 1_000)
    expect(socket.state).toBe('backoff')
    // the abandoned attempt is reported as a 1006 close, then the error, then the backoff
    expect(rec.log.map((e) => e.name)).toEqual(['state', 'close', 'error', 'state', 'reconnecting'])
    expect(rec.of('close')).toEqual([[{ code: 1006, reason: 'connect timeout', wasClean: false }]])
    expect(rec.states()).toEqual(['idle>connecting', 'connecting>backoff'])
    expect(rec.of('reconnecting')).toEqual([[{ attempt: 1, delay: 400 }]])
    // the client dropped the stuck TCP connection
    await waitForEmpty(silent.sockets, 1_000, 'the server to see the stuck connection closed')
  })

  it('d: refused port → reconnecting delays grow exactly 50, 100, 200, 400, 400 (jitter none)', async () => {
    const port = await refusedPort()
    const { socket, rec } = connect({
      url: `ws://127.0.0.1:${port}/`,
      heartbeat: false,
      backoff: { initialDelay: 50, factor: 2, maxDelay: 400, jitter: 'none' },
    })
    await rec.waitForCount('reconnecting', 5, 5_000)
    const five = rec.of('reconnecting').slice(0, 5)
    expect(five.map(([r]) => r.delay)).toEqual([50, 100, 200, 400, 400])
    expect(five.map(([r]) => r.attempt)).toEqual([1, 2, 3, 4, 5])
    expect(socket.attempt).toBeGreaterThanOrEqual(5)
    // each failure is a real ECONNREFUSED, and the waits really happened
    const errors = rec.of('error').slice(0, 5)
    for (const [e] of errors) {
      expect(e.code).toBe('SOCKET_ERROR')
      expect(e.message).toContain('ECONNREFUSED')
    }
    const starts = rec.log.filter((e) => e.name === 'state' && e.args[0] === 'connecting').map((e) => e.mono)
    const waits = rec.log.filter((e) => e.name === 'reconnecting').map((e) => e.mono)
    for (let i = 0; i < 4; i++) {
      expect(starts[i + 1]! - waits[i]!).toBeGreaterThanOrEqual([50, 100, 200, 400][i]! - 2)
    }
    expect(rec.of('close').slice(0, 5).map(([c]) => c.code)).toEqual([1006, 1006, 1006, 1006, 1006])
  })

  it('e: server closes with 1008 → no reconnect: giveup close-code, state closed, close 1008', async () => {
    const server = await startClosingServer(1008, 'policy says no')
    const { socket, rec } = connect({ url: server.url, heartbeat: false, backoff: fastBackoff })
    const giveup = await rec.waitFor('giveup', 2_000)
    expect(giveup.args[0]).toEqual({
      reason: 'close-code',
      attempt: 0,
      close: { code: 1008, reason: 'policy says no', wasClean: true },
    })
    expect(socket.state).toBe('closed')
    expect(rec.of('close')).toEqual([[{ code: 1008, reason: 'policy says no', wasClean: true }]])
    expect(rec.of('reconnecting')).toEqual([])
    expect(rec.states()).toEqual(['idle>connecting', 'connecting>open', 'open>closed'])
    expect(rec.of('state').at(-1)![2]).toBe('closed 1008 policy says no; giving up (close-code)')
    // 'closed' is final: a send is dropped, connect() does nothing, and no attempt is made
    expect(socket.send('late')).toBe(false)
    expect(rec.of('drop')).toEqual([[{ data: 'late', reason: 'closed' }]])
    socket.connect()
    expect(socket.state).toBe('closed')
    expect(server.connectionCount).toBe(1)
  })
})

function waitForEmpty(set: ReadonlySet<unknown>, timeoutMs: number, what: string): Promise<void> {
  return waitFor(() => set.size === 0, timeoutMs, what, { describe: () => `${set.size} left` })
}
