/** lifeline-ws for Node: the Node adapter's ports filled in, everything else re-exported. */
import { nodeDefaults } from './adapters/node.js'
import type { SocketOptions } from './options/types.js'
import { sharedTimers } from './runtime/scheduler.js'
import { createSocket as createWithPorts, type LifelineSocket } from './runtime/socket.js'
import { defineReconnectingWebSocket } from './compat/reconnecting-websocket.js'

export * from './public.js'

/** Create a socket that keeps itself connected. See {@link SocketOptions} for every option and default. */
export function createSocket(options: SocketOptions): LifelineSocket {
  return createWithPorts(options, nodeDefaults, undefined, sharedTimers)
}

/** The WHATWG WebSocket interface over a lifeline socket: a drop-in for reconnecting-websocket and partysocket. */
export const ReconnectingWebSocket = /* @__PURE__ */ defineReconnectingWebSocket(createSocket)
export type ReconnectingWebSocket = InstanceType<typeof ReconnectingWebSocket>
