/**
 * What `lifeline-ws/server` resolves to outside Node (a browser, worker or edge bundle): the session
 * server needs `ws` and node:crypto, so using it there is a mistake these say plainly when called,
 * instead of a bundler's "missing specifier" or a crash deep inside `ws`. (A top-level throw would
 * not do: the package has no side effects, so bundlers drop it.)
 */
function nodeOnly(): never {
  throw new Error(
    'lifeline-ws/server runs only in Node (it needs the ws package and node:crypto): import it from server code; browsers and workers use createSocket({ session: true }) from "lifeline-ws"',
  )
}

export const attachSessions: typeof import('./index.server.js').attachSessions = nodeOnly
export const memoryStore: typeof import('./index.server.js').memoryStore = nodeOnly
export { SUBPROTOCOL, CLOSE as SESSION_CLOSE } from './protocol/codec.js'
