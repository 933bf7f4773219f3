/**
 * Node: `ws` (through isomorphic-ws) with protocol ping frames, global timers and Date.now.
 * Nothing is attached at import; environment signals are fed by the user via `socket.signal()`.
 */
import WebSocket from 'isomorphic-ws'
import type { SocketOptions } from '../options.js'
import type { WebSocketConstructor } from '../runtime/ports.js'

interface WsInternals {
  _socket?: { writableLength?: number; _writableState?: { writelen?: number }; _handle?: { writeQueueSize?: unknown } }
  _sender?: { _bufferedBytes?: unknown }
}

/**
 * `ws` whose bufferedAmount means what WHATWG says: bytes not yet handed to the network. Plain
 * `ws` counts a large message as fully buffered until its last byte is written, so a heartbeat
 * waiting behind an upload could not see it drain; libuv's write queue shows the progress.
 * Falls back to ws's own figure wherever those internals are absent.
 */
class NodeWebSocket extends (WebSocket as unknown as new (...args: any[]) => object) {
  get bufferedAmount(): number {
    const { _socket: socket, _sender: sender } = this as WsInternals
    const queued = socket?._handle?.writeQueueSize
    const senderBytes = sender?._bufferedBytes
    if (typeof queued !== 'number' || typeof senderBytes !== 'number') {
      const own = Object.getOwnPropertyDescriptor(WebSocket.prototype, 'bufferedAmount')?.get
      return (own?.call(this) as number | undefined) ?? 0
    }
    const waiting = Math.max(0, (socket?.writableLength ?? 0) - (socket?._writableState?.writelen ?? 0))
    return queued + waiting + senderBytes
  }
}

export const nodeDefaults: Partial<SocketOptions> = {
  WebSocket: NodeWebSocket as unknown as WebSocketConstructor,
  timer: {
    setTimeout: (callback, ms) => setTimeout(callback, ms),
    clearTimeout: (handle) => clearTimeout(handle),
    now: () => Date.now(),
  },
  random: Math.random,
}
