/**
 * Issue 12 (hardening), the liveness and closing defects, each on real sockets on 127.0.0.1: long
 * durations on Node's real timers, a large message over a slow link, a throwing isPong, the idle
 * watchdog under answered pings, and how a connection presumed dead is ended.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { cleanup, connect, startProxy } from '../support/lifeline.js'
import { startWsServer } from '../support/servers.js'
import { waitFor } from '../support/wait.js'

afterEach(cleanup)

const DAY = 24 * 3_600_000

describe('durations of 2^31 ms and more on real timers (issue 12, #3)', () => {
  it('maxLifetime 30 days, idleTimeout and heartbeat.interval over 2^31 ms: no port timer re-armed while waiting, no TimeoutOverflowWarning', async () => {
    const warnings: string[] = []
    const onWarning = (warning: Error): void => {
      warnings.push(`${warning.name}: ${warning.message}`)
    }
    process.on('warning', onWarning)
    try {
      let arms = 0
      let longest = 0
      const timer = {
        setTimeout: (callback: () => void, ms: number) => {
          arms++
          longest = Math.max(longest, ms)
          return setTimeout(callback, ms)
        },
        clearTimeout: (handle: NodeJS.Timeout) => clearTimeout(handle),
        now: Date.now,
        monotonic: () => performance.now(),
      }
      const server = await startWsServer()
      const { socket, rec } = connect({
        url: server.url,
        timer,
        maxLifetime: 30 * DAY,
        // all over 2^31 ms, so that none of them is the one that comes within reach
        idleTimeout: 35 * DAY,
        heartbeat: { interval: 40 * DAY, timeout: 1_000 },
      })
      await rec.waitFor('open', 2_000)
      const armsAtOpen = arms
      // a window of real time, to count what the timers do in it (Node runs a port timer over
      // 2^31 − 1 ms after 1 ms: before the fix this window held ~200 re-arms)
      await new Promise((resolve) => setTimeout(resolve, 200))
      // whatever the window caught: no port timer was ever asked for more than Node keeps
      expect(longest).toBeLessThanOrEqual(2 ** 31 - 1)
      expect(arms - armsAtOpen).toBeLessThanOrEqual(1)
      expect(socket.state).toBe('open')
      expect(warnings.filter((w) => w.startsWith('TimeoutOverflowWarning'))).toEqual([])
    } finally {
      process.off('warning', onWarning)
    }
  })
})

describe('the idle watchdog under answered pings (issue 12, #5)', () => {
  it('a real server that answers every ping but pushes nothing: IDLE_TIMEOUT after idleTimeout', async () => {
    const server = await startWsServer()
    const { socket, rec } = connect({
      url: server.url,
      heartbeat: { interval: 100, timeout: 1_000 },
      idleTimeout: 600,
      backoff: { initialDelay: 5_000, maxDelay: 5_000 },
    })
    await rec.waitFor('open', 2_000)
    const error = await rec.waitFor('error', 3_000, { what: 'IDLE_TIMEOUT', filter: (e) => e.code === 'IDLE_TIMEOUT' })
    // pongs arrived all along: the heartbeat measured round trips and never timed out
    expect(socket.rtt).toBeDefined()
    expect(rec.of('error').map(([e]) => e.code)).toEqual(['IDLE_TIMEOUT'])
    expect(error.args[0].message).toMatch(/^no data received for \d+ ms \(idleTimeout 600 ms\)$/)
  })
})

describe('a throwing heartbeat.isPong on a real socket (issue 12, #4)', () => {
  it('does not escape into the ws receiver: an error names the option and the message arrives as data', async () => {
    const server = await startWsServer({
      onConnection: (ws) => ws.send('hello'),
      onMessage: (ws, data) => {
        if (data === 'ping') ws.send('pong')
      },
    })
    const { socket, rec } = connect({
      url: server.url,
      heartbeat: {
        mode: 'message',
        message: 'ping',
        interval: 100,
        timeout: 1_000,
        isPong: (data) => {
          if (data !== 'pong') throw new TypeError('not JSON')
          return true
        },
      },
    })
    await rec.waitFor('message', 2_000, { filter: (data) => data === 'hello' })
    const error = rec.of('error')[0]![0]
    expect(error.code).toBe('SOCKET_ERROR')
    expect(error.message).toBe('heartbeat.isPong threw: not JSON')
    // and the heartbeat still works
    await waitFor(() => socket.rtt !== undefined, 2_000, 'an answered ping')
    expect(socket.state).toBe('open')
  })
})

describe('a large message on a slow link (issue 12, #2)', () => {
  it('3 MB at 1 MB/s with heartbeat 1 s + 1 s: delivered on the first connection, no HEARTBEAT_TIMEOUT', async () => {
    const big = 'x'.repeat(3_000_000)
    // a server that sends it on every connect: before the fix, each attempt was killed mid-download
    const server = await startWsServer({ onConnection: (ws) => ws.send(big) })
    const proxy = await startProxy(server.port)
    proxy.slow({ bytesPerSecond: 1_000_000 })
    const { socket, rec } = connect({
      url: `ws://127.0.0.1:${proxy.port}/`,
      heartbeat: { interval: 1_000, timeout: 1_000 },
      backoff: { initialDelay: 50, maxDelay: 200 },
    })
    await rec.waitFor('message', 10_000, { filter: (data) => data === big, what: 'the 3 MB message' })
    expect(rec.of('error')).toEqual([])
    expect(server.connectionCount).toBe(1)
    expect(socket.state).toBe('open')
  })
})

describe('a connection presumed dead is ended with a TCP reset (issue 12, #13)', () => {
  it("offline: the server's TCP socket sees ECONNRESET, not a FIN after the queued bytes; the next connection works", async () => {
    const seen: string[] = []
    const server = await startWsServer({
      onConnection: (_ws, req) => {
        const n = server.connectionCount
        req.socket.on('error', (error: NodeJS.ErrnoException) => seen.push(`${n}:${error.code}`))
        req.socket.on('end', () => seen.push(`${n}:FIN`))
      },
    })
    const { socket, rec } = connect({ url: server.url, heartbeat: false, backoff: { initialDelay: 50, maxDelay: 50, jitter: 'none' } })
    await rec.waitFor('open', 2_000)
    socket.signal('offline')
    await waitFor(() => seen.length > 0, 2_000, 'the first connection to end on the server', { describe: () => seen.join(', ') })
    expect(seen).toEqual(['1:ECONNRESET'])
    expect(rec.of('close')).toEqual([[{ code: 4002, reason: 'offline', wasClean: false }]])
    socket.signal('online')
    await rec.waitForCount('open', 2, 3_000)
    socket.send('on the next connection')
    await server.waitForReceived(1, 2_000)
  })

  it('heartbeat timeout on a silent link: the socket is reset (the peer side sees ECONNRESET)', async () => {
    const server = await startWsServer()
    const proxy = await startProxy(server.port)
    const seen: string[] = []
    proxy.on('connection', ({ client }) => {
      client.on('error', (error: NodeJS.ErrnoException) => seen.push(String(error.code)))
      client.on('end', () => seen.push('FIN'))
    })
    const { rec } = connect({
      url: `ws://127.0.0.1:${proxy.port}/`,
      heartbeat: { interval: 200, timeout: 200 },
      backoff: { initialDelay: 5_000, maxDelay: 5_000 },
    })
    await rec.waitFor('open', 2_000)
    proxy.silence() // the proxy still reads (and discards) what the client sends: it sees how it ends
    await rec.waitFor('error', 3_000, { filter: (e) => e.code === 'HEARTBEAT_TIMEOUT' })
    await waitFor(() => seen.length > 0, 2_000, "the proxy's client side to see the connection end", { describe: () => seen.join(', ') })
    expect(seen).toEqual(['ECONNRESET'])
  })
})
