/** lifeline-ws/stream: `messages(socket)`, inbound messages as a bounded async iterator. */
import { describe } from '../options/messages.dev.js'
import { checkSocket } from './internals.js'
import type { LifelineSocket } from './socket.js'

export interface MessageStream extends AsyncIterableIterator<any> {
  /** Messages discarded because the consumer fell more than bufferSize behind. */
  readonly dropped: number
}

export interface MessagesOptions {
  /** Messages kept for a consumer that falls behind; beyond it the oldest are dropped. @default 100 */
  bufferSize?: number
}

/**
 * Inbound messages as an async iterator. A slow consumer loses the oldest buffered messages beyond
 * `bufferSize` (counted in `dropped`). Ends when the socket closes for good; `break` unsubscribes.
 * It sees the messages that arrive after this call.
 */
export function messages(socket: LifelineSocket, options: MessagesOptions = {}): MessageStream {
  checkSocket(socket, 'messages(socket)')
  if (options === null || typeof options !== 'object') {
    throw new TypeError(`messages(socket, options): options must be an object, got ${describe(options)}`)
  }
  const given = Object.prototype.hasOwnProperty.call(options, 'bufferSize') ? options.bufferSize : undefined
  const bufferSize = given === undefined ? 100 : given
  if (typeof bufferSize !== 'number' || !Number.isInteger(bufferSize) || bufferSize < 1) {
    throw new RangeError(`messages(socket, { bufferSize }): bufferSize must be a whole number >= 1, got ${describe(bufferSize)}`)
  }
  return createMessageStream(
    bufferSize,
    (push) => socket.on('message', push),
    (end) => socket.on('state', (next) => next === 'closed' && end()),
    socket.state === 'closed',
  )
}

/**
 * The stream itself, for any source of messages (messages() above; lifeline-ws/tabs' shared socket).
 * `subscribe` starts delivering messages to `push` and returns its unbind; `onEnd` calls `end` when
 * the socket is closed for good and returns its unbind. Both are released on end, return() or break.
 */
export function createMessageStream(
  bufferSize: number,
  subscribe: (push: (data: unknown) => void) => () => void,
  onEnd: (end: () => void) => () => void,
  endedAlready: boolean,
): MessageStream {
  const buffer: unknown[] = []
  /** Callers of next() waiting for a message, oldest first (an async iterator queues them). */
  const waiting: ((result: IteratorResult<unknown>) => void)[] = []
  let done = endedAlready
  let dropped = 0

  const push = (data: unknown): void => {
    const resolve = waiting.shift()
    if (resolve) {
      resolve({ value: data, done: false })
      return
    }
    buffer.push(data)
    if (buffer.length > bufferSize) {
      buffer.shift()
      dropped++
    }
  }
  const finish = (): void => {
    if (done && !unsubscribe) return
    done = true
    unsubscribe?.()
    stopEnd?.()
    unsubscribe = stopEnd = undefined
    for (const resolve of waiting.splice(0)) resolve({ value: undefined, done: true })
  }
  let unsubscribe: (() => void) | undefined = done ? undefined : subscribe(push)
  let stopEnd: (() => void) | undefined = done ? undefined : onEnd(finish)

  return {
    get dropped() {
      return dropped
    },
    next() {
      if (buffer.length > 0) return Promise.resolve({ value: buffer.shift(), done: false })
      if (done) return Promise.resolve({ value: undefined, done: true })
      return new Promise((resolve) => waiting.push(resolve))
    },
    return() {
      buffer.length = 0
      finish()
      return Promise.resolve({ value: undefined, done: true })
    },
    [Symbol.asyncIterator]() {
      return this
    },
  }
}
