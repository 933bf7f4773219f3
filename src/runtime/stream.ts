/** `socket.messages()`: inbound messages as a bounded async iterator. */

export interface MessageStream extends AsyncIterableIterator<any> {
  /** Messages discarded because the consumer fell more than bufferSize behind. */
  readonly dropped: number
}

/**
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
