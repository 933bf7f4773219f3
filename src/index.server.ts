/**
 * lifeline-ws/server (Node only): exactly-once, in-order sessions for `ws` servers, spoken by
 * lifeline-ws clients with `session: session()` (lifeline-ws/session). The protocol is in docs/PROTOCOL.md.
 */
export { attachSessions } from './server/attach.js'
export type { DrainOptions, SessionServer, SessionServerEvents } from './server/attach.js'
export type { HeartbeatOptions, SessionServerOptions } from './server/options.js'
export type { MessageInfo, Session, SessionData, SessionEndReason, SessionEvents } from './server/session.js'
export { memoryStore, SessionMovedError } from './server/store.js'
export type { SessionRecord, SessionStore, SharedRecord, SharedSessionStore, SharedStoreEvents } from './server/store.js'
export { SUBPROTOCOL, CLOSE as SESSION_CLOSE } from './protocol/codec.js'
