/** lifeline-ws/promises: `opened(socket)`, `sendAsync(socket, data)`, and `closeOn(socket, signal)` for an AbortSignal. */
export { opened, sendAsync } from './runtime/promises.js'
export { closeOn } from './runtime/abort.js'
