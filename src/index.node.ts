/** lifeline-ws for Node: the Node adapter's ports filled in, everything else re-exported. */
import { nodeDefaults } from './adapters/node.js'
import { withProxy } from './adapters/node-proxy.js'
import type { SocketOptions } from './options/types.js'
import { shareEqual } from './options/intern.js'
import { sharedTimers } from './runtime/scheduler.js'
import { createSocket as createWithPorts, type LifelineSocket } from './runtime/socket.js'
import { defineReconnectingWebSocket } from './compat/reconnecting-websocket.js'

export * from './public.js'

/** Create a socket that keeps itself connected. See {@link SocketOptions} for every option and default. */
export function createSocket(options: SocketOptions): LifelineSocket {
  // the proxy wraps the built-in ws class (checked here: only Node reads the option)
  const proxy = options !== null && typeof options === 'object' && Object.prototype.hasOwnProperty.call(options, 'proxy') ? options.proxy : undefined
  const defaults = proxy === false ? nodeDefaults : { ...nodeDefaults, WebSocket: withProxy(nodeDefaults.WebSocket!, proxy) }
  return createWithPorts(options, defaults, undefined, sharedTimers, shareEqual)
}

/** The WHATWG WebSocket interface over a lifeline socket: a drop-in for reconnecting-websocket and partysocket. */
export const ReconnectingWebSocket = /* @__PURE__ */ defineReconnectingWebSocket(createSocket)
export type ReconnectingWebSocket = InstanceType<typeof ReconnectingWebSocket>
