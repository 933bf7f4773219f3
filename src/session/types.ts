/**
 * How `createSocket` and lifeline-ws/session meet: the `session` option is a function (what
 * `session()` returns) that createSocket calls once per socket with its ports, and that hands back
 * the WebSocket constructor the driver uses from then on. Types only: an app without sessions
 * carries none of the protocol.
 */
import type { Data, DropReason } from '../core/queue.js'
import type { Clock, WebSocketConstructor } from '../ports.js'

/** What createSocket gives a session: its ports, and where to report a message's fate. */
export interface SessionHost {
  readonly WebSocket: WebSocketConstructor
  readonly timer: Clock
  /** A message passed to `send()` that will not be delivered (or may not have been), and why. */
  dropped(data: Data, reason: DropReason): void
}

/** One socket's session: the constructor the driver calls, and what its last open was. */
export interface SessionPort {
  /** Makes the connections of this session (each a lifeline.v1 connection wrapped as a WebSocketLike). */
  readonly WebSocket: WebSocketConstructor
  /** Whether the last WELCOME resumed the session (false for a new one or a plain fallback). */
  readonly resumed: boolean
  /** Whether the last open carries a session (false: the server had none and `fallback` is 'plain'). */
  readonly active: boolean
  /** close() for good: the session ends (END) instead of waiting out the server's resume window. */
  end(): void
}

/** The `session` option: made by `session()` from 'lifeline-ws/session'. */
export type SessionOption = (host: SessionHost) => SessionPort
