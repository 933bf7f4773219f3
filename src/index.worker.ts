/** lifeline-ws for workers and edge runtimes: the global WebSocket, and online/offline where the scope fires them. */
import { attachWorkerSignals, workerDefaults } from './adapters/worker.js'
import type { SocketOptions } from './options.js'
import { createSocket as createWithPorts, type LifelineSocket } from './runtime/socket.js'

export * from './public.js'

/** Create a socket that keeps itself connected. See {@link SocketOptions} for every option and default. */
export function createSocket(options: SocketOptions): LifelineSocket {
  return createWithPorts(options, workerDefaults(), attachWorkerSignals)
}
