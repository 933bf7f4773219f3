/** lifeline-ws/stream: `messages(socket)`, inbound messages as a bounded async iterator. */
export { messages } from './runtime/stream.js'
export type { MessagesOptions, MessageStream } from './runtime/stream.js'
