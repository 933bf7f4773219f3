/** lifeline-ws/tabs: `createSharedSocket`, one connection shared by every tab of an origin (Web Locks + BroadcastChannel). */
export { createSharedSocket, serveSharedSocket } from './tabs/shared-socket.js'
export { tabIntents } from './tabs/intents.js'
export type { SharedSocket, SharedSocketOptions, TabOptions } from './tabs/shared-socket.js'
