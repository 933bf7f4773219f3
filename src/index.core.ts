/**
 * lifeline-ws/core: no globals touched. `WebSocket`, `timer` and `random` must be passed in.
 * Also exports the pure state machine for simulations and tests.
 */
import type { SocketOptions } from './options/types.js'
import { shareEqual } from './options/intern.js'
import { sharedTimers } from './runtime/scheduler.js'
import { createSocket as createWithPorts, type LifelineSocket } from './runtime/socket.js'
import { defineReconnectingWebSocket } from './compat/reconnecting-websocket.js'

export * from './public.js'
export { transition } from './core/transition.js'
export { backoffDelay, delayBounds } from './core/backoff.js'
export { INITIAL_STATE, LEGAL_EDGES, TIMER_NAMES } from './core/state.js'
export type { Command, Input, State, TimerName } from './core/state.js'
export type { Policy, BackoffPolicy, HeartbeatPolicy } from './core/policy.js'
export { resolveOptions } from './options/validate.js'
export { simulateHerd, sampleDelays, seededRandom } from './sim/herd.js'
export type { HerdOptions, HerdResult } from './sim/herd.js'

/** Create a socket from explicit ports: `WebSocket`, `timer` and `random` are required. */
export function createSocket(options: SocketOptions): LifelineSocket {
  return createWithPorts(options, {}, undefined, sharedTimers, shareEqual)
}

/** The WHATWG WebSocket interface over a lifeline socket: a drop-in for reconnecting-websocket and partysocket. */
export const ReconnectingWebSocket = /* @__PURE__ */ defineReconnectingWebSocket(createSocket)
export type ReconnectingWebSocket = InstanceType<typeof ReconnectingWebSocket>
