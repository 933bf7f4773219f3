/**
 * close() leaves nothing behind: once the final 'close' has arrived, the process holds no timer and
 * no TCP socket that the lifeline socket created.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { createSocket } from '../../src/index.node.js'
import { expectNoTcpHandles } from '../support/lifeline.js'
import { closeAllServers, refusedPort, startWsServer } from '../support/servers.js'
import { record, waitFor } from '../support/wait.js'

afterEach(async () => {
  await closeAllServers()
  await expectNoTcpHandles(2_000)
})

function resources(): Record<string, number> {
  const counts: Record<string, number> = {}
  for (const name of process.getActiveResourcesInfo()) counts[name] = (counts[name] ?? 0) + 1
  return counts
}

describe('close() releases every handle', () => {
  it('i: open socket with every timer armed → after close: no extra Timeout, no extra TCPSocketWrap', async () => {
    const server = await startWsServer()
    const before = resources()

    const socket = createSocket({
      url: server.url,
      lazy: true,
      heartbeat: { interval: 1_000, timeout: 1_000 },
      idleTimeout: 10_000,
      maxLifetime: 60_000,
      queue: { ttl: 60_000 },
      connectTimeout: 2_000,
    })
    const rec = record(socket)
    socket.send('queued before open') // queued with a ttl timer, flushed on open
    await rec.waitFor('open', 2_000)
    await rec.waitFor('message', 2_000, { filter: (d) => d === 'queued before open' })
    const during = resources()
    // sanity: while open there is the socket's TCP connection and its timers
    expect(during.TCPSocketWrap ?? 0).toBeGreaterThan(before.TCPSocketWrap ?? 0)
    // (at least one: `before` may hold a transient timer of the harness's that is gone by now)
    expect(during.Timeout ?? 0).toBeGreaterThan(0)

    const from = rec.log.length
    socket.close(1000, 'done')
    const close = await rec.waitFor('close', 2_000, { from })
    expect(close.args[0]).toEqual({ code: 1000, reason: 'done', wasClean: true })
    expect(socket.state).toBe('closed')

    const after = resources()
    const serverSide = server.sockets.size
    expect(after.Timeout ?? 0, `Timeouts: before ${JSON.stringify(before)}, after ${JSON.stringify(after)}`).toBeLessThanOrEqual(before.Timeout ?? 0)
    // the server's end of the connection may still be closing; nothing beyond it
    expect(after.TCPSocketWrap ?? 0, `TCPSocketWrap: before ${JSON.stringify(before)}, after ${JSON.stringify(after)}, server side ${serverSide}`).toBeLessThanOrEqual((before.TCPSocketWrap ?? 0) + serverSide)

    await waitFor(() => server.sockets.size === 0, 2_000, "the server's end of the connection to close")
    const settled = resources()
    expect(settled.TCPSocketWrap ?? 0).toBe(before.TCPSocketWrap ?? 0)
    expect(settled.Timeout ?? 0).toBeLessThanOrEqual(before.Timeout ?? 0)
    rec.stop()
  })

  it('i: close() during backoff against a refused port clears the retry timer', async () => {
    const port = await refusedPort()
    const before = resources()
    const socket = createSocket({
      url: `ws://127.0.0.1:${port}/`,
      lazy: true,
      heartbeat: false,
      backoff: { initialDelay: 5_000, maxDelay: 5_000, jitter: 'none' },
    })
    const rec = record(socket)
    socket.connect()
    await rec.waitFor('reconnecting', 2_000)
    expect(socket.state).toBe('backoff')
    socket.close()
    expect(socket.state).toBe('closed')
    // the failed attempt's TCP handle is released asynchronously; wait for it, bounded
    await waitFor(() => (resources().TCPSocketWrap ?? 0) <= (before.TCPSocketWrap ?? 0), 1_000, 'the refused TCP handle to be released', {
      describe: () => JSON.stringify(resources()),
    })
    const after = resources()
    expect(after.Timeout ?? 0, JSON.stringify({ before, after })).toBeLessThanOrEqual(before.Timeout ?? 0)
    expect(rec.states()).toEqual(['idle>connecting', 'connecting>backoff', 'backoff>closed'])
    rec.stop()
  })
})
