/** lifeline-ws for browsers: the global WebSocket, and online/offline, visibility and bfcache signals. */
import { attachBrowserSignals, browserDefaults } from './adapters/browser.js'
import type { SocketOptions } from './options.js'
import { createSocket as createWithPorts, type LifelineSocket } from './runtime/socket.js'

export * from './public.js'

/** Create a socket that keeps itself connected. See {@link SocketOptions} for every option and default. */
export function createSocket(options: SocketOptions): LifelineSocket {
  return createWithPorts(options, browserDefaults(), attachBrowserSignals)
}
