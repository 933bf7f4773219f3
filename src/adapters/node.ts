/**
 * Node: `ws` (through isomorphic-ws) with protocol ping frames, global timers and Date.now.
 * Nothing is attached at import; environment signals are fed by the user via `socket.signal()`.
 */
import WebSocket from 'isomorphic-ws'
import type { SocketOptions } from '../options.js'
import type { WebSocketConstructor } from '../runtime/ports.js'

export const nodeDefaults: Partial<SocketOptions> = {
  WebSocket: WebSocket as unknown as WebSocketConstructor,
  timer: {
    setTimeout: (callback, ms) => setTimeout(callback, ms),
    clearTimeout: (handle) => clearTimeout(handle),
    now: () => Date.now(),
  },
  random: Math.random,
}
