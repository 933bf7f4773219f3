/**
 * The ports of any runtime with a standard global WebSocket (browsers, workers, Deno, edge): read
 * when a socket is created, never at import. Timers are wrapped, not passed bare: some runtimes
 * throw "Illegal invocation" when they are called unbound.
 */
import type { SocketOptions } from '../options/types.js'
import type { WebSocketConstructor } from '../ports.js'

export function globalDefaults(): Partial<SocketOptions> {
  return {
    WebSocket: (globalThis as { WebSocket?: unknown }).WebSocket as WebSocketConstructor,
    timer: {
      setTimeout: (callback, ms) => setTimeout(callback, ms),
      clearTimeout: (handle) => clearTimeout(handle),
      now: () => Date.now(),
      monotonic: () => performance.now(),
    },
    random: () => Math.random(),
  }
}
