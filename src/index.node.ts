/** lifeline-ws for Node: the Node adapter's ports filled in, everything else re-exported. */
import { nodeDefaults } from './adapters/node.js'
import type { SocketOptions } from './options.js'
import { createSocket as createWithPorts, type LifelineSocket } from './runtime/socket.js'

export * from './public.js'

/** Create a socket that keeps itself connected. See {@link SocketOptions} for every option and default. */
export function createSocket(options: SocketOptions): LifelineSocket {
  return createWithPorts(options, nodeDefaults)
}
