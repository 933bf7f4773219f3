/**
 * Liveness over a real (userspace) half-open link: client → fault proxy → ws server. The proxy's
 * silence() keeps both TCP connections open and forwards nothing, which TCP alone never notices;
 * the heartbeat must. Also the idle watchdog for a server that stops pushing.
 */
import { afterEach, describe, expect, it } from 'vitest'
import type { HeartbeatOptions } from '../../src/index.node.js'
import { cleanup, connect, startProxy } from '../support/lifeline.js'
import { startWsServer, type TestWsServer } from '../support/servers.js'
import { waitFor } from '../support/wait.js'

afterEach(cleanup)

const INTERVAL = 1_000
const TIMEOUT = 1_000
/** Worst case from the last inbound byte: interval (quiet) + timeout (no answer), plus timer slack. */
const BOUND = 2_300

async function halfOpenDetection(label: string, server: TestWsServer, heartbeat: HeartbeatOptions) {
  const proxy = await startProxy(server.port)
  const { socket, rec } = connect({
    url: `ws://127.0.0.1:${proxy.port}/`,
    heartbeat,
    connectTimeout: 1_000,
    backoff: { initialDelay: 50, maxDelay: 200, jitter: 'none' },
  })
  await rec.waitFor('open', 2_000)
  expect(proxy.connections).toBe(1)
  // one heartbeat answered through the proxy: the link works, and we silence right after an
  // answer, which is the worst case (the next ping is a whole interval away)
  await waitFor(() => socket.rtt !== undefined, INTERVAL + TIMEOUT + 500, 'the first heartbeat answer', {
    describe: () => rec.dump(),
  })
  expect(socket.rtt).toBeGreaterThanOrEqual(0)
  expect(socket.rtt).toBeLessThan(200)

  const from = rec.log.length
  const silencedAt = performance.now()
  proxy.silence()
  const left = await rec.waitFor('state', INTERVAL + TIMEOUT + 1_500, {
    from,
    filter: (_next, prev) => prev === 'open',
    what: "the socket to leave 'open' after silence()",
  })
  const detectedIn = Math.round(left.mono - silencedAt)
  console.log(`[liveness] ${label}: half-open link detected ${detectedIn} ms after silence() (bound ${BOUND} ms)`)
  expect(detectedIn).toBeLessThanOrEqual(BOUND)
  // a ping must have gone unanswered for the whole timeout
  expect(detectedIn).toBeGreaterThanOrEqual(TIMEOUT - 5)
  expect(left.args.slice(0, 3)).toEqual(['backoff', 'open', 'heartbeat timeout'])

  const after = rec.log.slice(from).filter((e) => e.name !== 'message')
  expect(after.map((e) => e.name)).toEqual(['close', 'error', 'state', 'reconnecting'])
  expect(after[0]!.args[0]).toEqual({ code: 4000, reason: 'heartbeat timeout', wasClean: false })
  expect(after[1]!.args[0].code).toBe('HEARTBEAT_TIMEOUT')
  expect(after[1]!.args[0].message).toBe(`no answer to a ping within ${TIMEOUT} ms`)
  expect(after[3]!.args[0]).toEqual({ attempt: 1, delay: 50 })
  // the ping really went into the void
  expect(proxy.stats.up.discarded).toBeGreaterThan(0)
  expect(proxy.mode).toBe('silence')

  proxy.heal()
  const reopened = await rec.waitFor('open', 3_000, { from, what: "'open' again after heal()" })
  expect(socket.state).toBe('open')
  expect(server.connectionCount).toBe(2)
  // the stale server-side connection left by the silence is reset once the link is back
  await waitFor(() => server.clients.size === 1 && proxy.connections === 1, 2_000, 'the stale connection to be cleared', {
    describe: () => `server clients ${server.clients.size}, proxy connections ${proxy.connections}`,
  })
  // data flows on the new connection
  socket.send('after heal')
  await rec.waitFor('message', 2_000, { from: rec.log.indexOf(reopened), filter: (d) => d === 'after heal' })
  return { socket, rec, proxy, detectedIn }
}

describe('liveness across a half-open link (userspace fault proxy)', () => {
  it('g: protocol ping frames (Node default): silence → HEARTBEAT_TIMEOUT, close 4000, back after heal', async () => {
    const server = await startWsServer()
    const { rec } = await halfOpenDetection('protocol mode', server, { interval: INTERVAL, timeout: TIMEOUT })
    // protocol frames, not messages: the server saw only our one text message
    expect(server.received).toEqual(['after heal'])
    expect(rec.of('message')).toEqual([['after heal']])
  })

  it('g: message mode (ping/pong text): silence → HEARTBEAT_TIMEOUT, close 4000, back after heal', async () => {
    const server = await startWsServer({
      onMessage: (ws, data, isBinary) => ws.send(data === 'ping' ? 'pong' : data, { binary: isBinary }),
    })
    const { rec } = await halfOpenDetection('message mode', server, {
      mode: 'message',
      message: 'ping',
      interval: INTERVAL,
      timeout: TIMEOUT,
    })
    expect(server.received.filter((m) => m === 'ping').length).toBeGreaterThanOrEqual(1)
    expect(server.received.filter((m) => m !== 'ping')).toEqual(['after heal'])
    // pongs answer the heartbeat and are never delivered as messages
    expect(rec.of('message')).toEqual([['after heal']])
  })

  it('g: idleTimeout: a server that stops pushing → IDLE_TIMEOUT, close 4001, reconnect', async () => {
    let pushing = true
    const server = await startWsServer({
      onConnection: (ws) => {
        const timer = setInterval(() => {
          if (pushing) ws.send('tick')
        }, 50)
        ws.on('close', () => clearInterval(timer))
      },
    })
    const { socket, rec } = connect({
      url: server.url,
      heartbeat: false,
      idleTimeout: 400,
      backoff: { initialDelay: 50, maxDelay: 200, jitter: 'none' },
    })
    await rec.waitFor('open', 2_000)
    await rec.waitForCount('message', 5, 2_000) // pushes keep it alive well past idleTimeout/2
    expect(socket.state).toBe('open')

    pushing = false
    const stoppedAt = performance.now()
    const from = rec.log.length
    const error = await rec.waitFor('error', 2_000, { from, what: 'IDLE_TIMEOUT' })
    const lastTick = rec.log.slice(0, rec.log.indexOf(error)).filter((e) => e.name === 'message').at(-1)!
    const quietFor = error.mono - lastTick.mono
    console.log(`[liveness] idleTimeout 400: detected ${Math.round(error.mono - stoppedAt)} ms after the pushes stopped (${Math.round(quietFor)} ms after the last one)`)
    expect(error.args[0].code).toBe('IDLE_TIMEOUT')
    expect(error.args[0].message).toMatch(/^no data received for \d+ ms \(idleTimeout 400 ms\)$/)
    expect(quietFor).toBeGreaterThanOrEqual(395)
    expect(quietFor).toBeLessThan(800)
    const closes = rec.log.slice(from).filter((e) => e.name === 'close')
    expect(closes.map((e) => e.args[0])).toEqual([{ code: 4001, reason: 'idle timeout', wasClean: false }])

    pushing = true
    await rec.waitFor('open', 2_000, { from, what: "'open' again after the idle timeout" })
    expect(server.connectionCount).toBe(2)
    expect(rec.states().slice(-3)).toEqual(['open>backoff', 'backoff>connecting', 'connecting>open'])
  })
})

describe('liveness edge cases on a real link', () => {
  it('close() over a silent link: the close handshake is abandoned after heartbeat.timeout, not 30 s', async () => {
    const server = await startWsServer()
    const proxy = await startProxy(server.port)
    const { socket, rec } = connect({ url: `ws://127.0.0.1:${proxy.port}/`, heartbeat: { interval: 5_000, timeout: 800 } })
    await rec.waitFor('open', 2_000)
    proxy.silence()
    const closedAt = performance.now()
    socket.close(1000, 'bye')
    const close = await rec.waitFor('close', 3_000, { what: "the 'close' event after close() on a dead link" })
    const took = Math.round(close.mono - closedAt)
    console.log(`[liveness] close() over a silent link reported after ${took} ms (closeTimeout = heartbeat.timeout = 800 ms)`)
    expect(close.args[0]).toEqual({ code: 1006, reason: 'close timeout', wasClean: false })
    expect(took).toBeGreaterThanOrEqual(795)
    expect(took).toBeLessThan(2_000)
    // cleanup() then checks that no TCP handle or timer of ours is left
  })

  it('a slow but healthy link uploading a large message is not declared dead, and the upload arrives', async () => {
    const server = await startWsServer({ onMessage: () => {} })
    const proxy = await startProxy(server.port)
    const { socket, rec } = connect({
      url: `ws://127.0.0.1:${proxy.port}/`,
      heartbeat: { interval: 500, timeout: 2_000 },
      backoff: { initialDelay: 50, maxDelay: 200, jitter: 'none' },
    })
    await rec.waitFor('open', 2_000)
    proxy.slow({ bytesPerSecond: 4 * 1024 * 1024 })
    // 16 MiB at 4 MiB/s: about 4 s with no inbound byte, beyond interval + timeout (2.5 s). The
    // ping waits behind it. Most of the backlog sits in ws's buffer (bufferedAmount, visible and
    // draining); the last few MB sit in kernel buffers, covered by one more timeout.
    const payload = new Uint8Array(16 * 1024 * 1024).fill(7)
    expect(socket.send(payload)).toBe(true)
    await server.waitForReceived(1, 12_000)
    expect((server.received[0] as Buffer).length).toBe(payload.length)
    expect(rec.of('error')).toEqual([])
    expect(socket.state).toBe('open')
    expect(server.connectionCount).toBe(1)
  })
})

describe('many sockets on one shared timer (Node)', () => {
  it('200 sockets hold one port timer between them; 100 behind a silenced proxy each notice on their own, the 100 direct ones stay open and keep answering', async () => {
    const N = 100
    const heartbeat = { interval: 500, timeout: 500 }
    const server = await startWsServer()
    const proxy = await startProxy(server.port)
    const timeouts = () => process.getActiveResourcesInfo().filter((name) => name === 'Timeout').length
    const timersBefore = timeouts()
    const options = { heartbeat, connectTimeout: 1_000, backoff: { initialDelay: 5_000, maxDelay: 5_000, jitter: 'none' as const } }
    const proxied = Array.from({ length: N }, () => connect({ url: `ws://127.0.0.1:${proxy.port}/`, ...options }))
    const direct = Array.from({ length: N }, () => connect({ url: `ws://127.0.0.1:${server.port}/`, ...options }))
    const all = [...proxied, ...direct]
    await waitFor(() => all.every((t) => t.socket.rtt !== undefined), 5_000, 'every socket to have one heartbeat answered', {
      describe: () => `${all.filter((t) => t.socket.rtt === undefined).length} still without an answer`,
    })
    // 200 sockets, each with an armed heartbeat: per-socket timers would be 200 more Timeouts
    const timersWithSockets = timeouts()
    console.log(`[liveness] ${2 * N} open sockets with heartbeats: Node Timeouts ${timersBefore} before, ${timersWithSockets} with them`)
    expect(timersWithSockets - timersBefore).toBeLessThanOrEqual(2)

    const samples = direct.map((t) => t.monitor.stats().rtt.samples)
    const from = proxied.map((t) => t.rec.log.length)
    const silencedAt = performance.now()
    proxy.silence()
    const left = await Promise.all(
      proxied.map((t, i) =>
        t.rec.waitFor('state', 3_000, { from: from[i], filter: (_next, prev) => prev === 'open', what: "a proxied socket to leave 'open'" }),
      ),
    )
    const detected = left.map((entry) => Math.round(entry.mono - silencedAt)).sort((a, b) => a - b)
    console.log(`[liveness] ${N} silenced sockets: noticed after ${detected[0]}–${detected[N - 1]} ms (median ${detected[N / 2]})`)
    // each on its own clock: after at most interval + timeout from its last answer, plus slack for 200 sockets on 2 cores
    expect(detected[N - 1]).toBeLessThanOrEqual(heartbeat.interval + heartbeat.timeout + 600)
    expect(new Set(left.map((entry) => entry.args[2]))).toEqual(new Set(['heartbeat timeout']))
    // the direct ones never left 'open', and their pings kept being answered meanwhile
    expect(direct.filter((t) => t.socket.state !== 'open' || t.rec.log.some((e) => e.name === 'close')).length).toBe(0)
    expect(direct.filter((t, i) => t.monitor.stats().rtt.samples <= samples[i]!).length).toBe(0)
  })
})
