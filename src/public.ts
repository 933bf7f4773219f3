/** What every entry exports besides its own `createSocket`. */
export { LifelineError, isLifelineError } from './runtime/errors.js'
export { defaultShouldReconnect, STOP_CODES, CLIENT_CLOSE } from './core/close-codes.js'
export { DEFAULTS } from './options/types.js'
export { redactUrl } from './options/url.js'
export type { SocketOptions, BackoffOptions, QueueOptions, HeartbeatOptions, UrlOption, ProtocolsOption } from './options/types.js'
export type { SessionOptions } from './ports.js'
export type { LifelineSocket, SocketEvents, SocketEventName, MessageData } from './runtime/socket.js'
export type { DropReason } from './runtime/driver.js'
export type { Phase, Cause, CloseInfo, EnvSignal, ErrorCode, GiveUpReason } from './core/state.js'
export type { Data, Overflow } from './core/queue.js'
export type { Jitter } from './core/policy.js'
export type { Clock, WebSocketLike, WebSocketConstructor } from './ports.js'
export type { Stats, Disconnect, DisconnectCause } from './runtime/monitor.js'
export type { MessageStream } from './runtime/stream.js'
export type { HandshakeContext, HandshakeSocket, HandshakeOption } from './ports.js'
export type {
  ReconnectingWebSocketOptions,
  PeerOptions,
  DropInOptions,
  ReconnectingWebSocketEventMap,
  ReconnectingWebSocketErrorEvent,
  ReconnectingWebSocketDropEvent,
} from './compat/reconnecting-websocket.js'
