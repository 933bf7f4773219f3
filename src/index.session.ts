/**
 * lifeline-ws/session: `createSocket({ url, session: session() })` speaks lifeline.v1
 * (docs/PROTOCOL.md) with a `lifeline-ws/server`: every message both ways delivered exactly once,
 * in order, across reconnects. A separate import, so an app without sessions carries none of it.
 */
export { session } from './session/option.js'
export type { SessionOptions } from './session/option.js'
export type { SessionOption, SessionHost, SessionPort } from './ports.js'
