/**
 * Create lifeline sockets and fault proxies that are cleaned up after each test: `cleanup()` closes
 * every socket, every proxy and every server (servers.ts), then waits (bounded) for each socket's
 * last 'close' so that no TCP handle or timer outlives the test.
 */
import { createSocket, type LifelineSocket, type SocketOptions } from '../../src/index.node.js'
import { monitor, type SocketMonitor } from '../../src/index.monitor.js'
import { createFaultProxy, type FaultProxy } from './fault-proxy.mjs'
import { closeAllServers } from './servers.js'
import { record, waitFor, type Recorder } from './wait.js'

export interface Tracked {
  socket: LifelineSocket
  rec: Recorder
  /** lifeline-ws/monitor's stats() and history(), from the first event. */
  monitor: SocketMonitor
}

const sockets = new Set<Tracked>()
const proxies = new Set<FaultProxy>()

/** createSocket from the Node entry, with every event recorded and monitored from the start. */
export function connect(options: SocketOptions): Tracked {
  // lazy first, so that the recorder is subscribed before the first event
  const socket = createSocket({ ...options, lazy: true })
  const rec = record(socket)
  const tracked = { socket, rec, monitor: monitor(socket) }
  sockets.add(tracked)
  if (!options.lazy) socket.connect()
  return tracked
}

/** A fault proxy in front of 127.0.0.1:port, started. */
export async function startProxy(port: number): Promise<FaultProxy> {
  const proxy = createFaultProxy({ target: { host: '127.0.0.1', port } })
  proxies.add(proxy)
  await proxy.start()
  return proxy
}

/** Close every socket, proxy and server made in this test; wait for the sockets' final 'close'. */
export async function cleanup(): Promise<void> {
  const closing: Promise<unknown>[] = []
  for (const t of sockets) {
    if (t.socket.state === 'closed') continue
    const wasOpen = t.socket.state === 'open'
    const from = t.rec.log.length
    t.socket.close()
    // an open socket reports its real close later (after the handshake, or when the TCP dies)
    if (wasOpen) closing.push(t.rec.waitFor('close', 5_000, { from, what: "the final 'close' during cleanup" }))
  }
  const all = [...proxies]
  proxies.clear()
  await Promise.all(all.map((p) => p.close()))
  await closeAllServers()
  const results = await Promise.allSettled(closing)
  for (const t of sockets) t.rec.stop()
  sockets.clear()
  const failed = results.find((r) => r.status === 'rejected')
  if (failed) throw (failed as PromiseRejectedResult).reason
  await expectNoTcpHandles(2_000)
}

/**
 * Nothing a test opened may outlive it: wait (bounded) until the process holds no TCP socket and
 * no TCP listener at all (the test worker itself talks to vitest over a pipe, not TCP).
 */
export function expectNoTcpHandles(timeoutMs: number): Promise<void> {
  const tcp = () => process.getActiveResourcesInfo().filter((n) => n === 'TCPSocketWrap' || n === 'TCPServerWrap')
  return waitFor(() => tcp().length === 0, timeoutMs, 'every TCP handle of the test to be released', {
    describe: () => `still open: ${tcp().join(', ')}`,
  })
}
