/** A socket on the virtual clock and the fake server, with every event recorded in order. */
import { createSocket } from '../../src/index.core.js'
import type { LifelineSocket, SocketOptions } from '../../src/index.core.js'
import { monitor, type MonitorOptions, type SocketMonitor } from '../../src/index.monitor.js'
import { createFakeServer, createVirtualClock, type FakeServer, type VirtualClock } from '../../src/index.testing.js'

export interface Harness {
  socket: LifelineSocket
  /** lifeline-ws/monitor's stats() and history(), attached before the first event. */
  monitor: SocketMonitor
  clock: VirtualClock
  server: FakeServer
  /** Every event as [name, ...args], in delivery order. */
  log: unknown[][]
  /** Names of the events only. */
  names(): string[]
  /** Arguments of every event with this name. */
  of(name: string): unknown[][]
  /** Set the value random() returns next (and after). */
  setRandom(value: number): void
}

export const T0 = 1_000_000

export function harness(
  options: Partial<SocketOptions> = {},
  server: { pingFrames?: boolean; answer?: (data: unknown) => unknown } = {},
  monitorOptions: MonitorOptions = {},
): Harness {
  const clock = createVirtualClock(T0)
  const fake = createFakeServer({ clock, ...server })
  let rnd = 0.5
  const socket = createSocket({
    url: 'ws://example.test/socket',
    WebSocket: fake.WebSocket,
    timer: clock,
    random: () => rnd,
    heartbeat: false,
    ...options,
  })
  const watch = monitor(socket, monitorOptions)
  const log: unknown[][] = []
  for (const name of ['state', 'open', 'message', 'close', 'error', 'reconnecting', 'drop', 'giveup'] as const) {
    socket.on(name, (...args: unknown[]) => {
      log.push([name, ...args])
    })
  }
  clock.advance(0) // an eager socket connects on the next tick, now that we listen
  return {
    socket,
    monitor: watch,
    clock,
    server: fake,
    log,
    names: () => log.map((e) => e[0] as string),
    of: (name) => log.filter((e) => e[0] === name).map((e) => e.slice(1)),
    setRandom: (value) => {
      rnd = value
    },
  }
}
