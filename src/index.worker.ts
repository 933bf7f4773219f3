/** lifeline-ws for workers and edge runtimes: the global WebSocket, and online/offline (events, or navigator.onLine where none fire). */
import { workerAdapter } from './adapters/worker.js'
import type { SocketOptions } from './options/types.js'
import { shareEqual } from './options/intern.js'
import { createSocket as createWithPorts, type LifelineSocket } from './runtime/socket.js'
import { ownTimer } from './runtime/timers.js'
import { defineReconnectingWebSocket } from './compat/reconnecting-websocket.js'

export * from './public.js'

/** Create a socket that keeps itself connected. See {@link SocketOptions} for every option and default. */
export function createSocket(options: SocketOptions): LifelineSocket {
  const { defaults, attach } = workerAdapter()
  // equal options shared as on Node: an edge runtime may hold many sockets in one isolate
  return createWithPorts(options, defaults, attach, ownTimer, shareEqual)
}

/** The WHATWG WebSocket interface over a lifeline socket: a drop-in for reconnecting-websocket and partysocket. */
export const ReconnectingWebSocket = /* @__PURE__ */ defineReconnectingWebSocket(createSocket)
export type ReconnectingWebSocket = InstanceType<typeof ReconnectingWebSocket>
