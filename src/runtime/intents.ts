/**
 * Intents (`socket.intent(key, message)`): what must be said again on every new connection
 * (subscribe, join), kept by key in registration order. The core decides when they go out (after
 * the handshake, before the queue, not on a resumed session: the `intents` command); this holds
 * them and resolves each message.
 */
import type { Data } from '../core/queue.js'
import { checkData } from '../options/validate.js'
import { errorText } from './errors.js'

export type IntentMessage = Data | (() => Data)

export class Intents {
  readonly #byKey = new Map<string, IntentMessage>()

  /** Register (or replace) `key`; the remover removes only this registration, not a later one. */
  add(key: string, message: IntentMessage): () => void {
    this.#byKey.set(key, message)
    return () => {
      if (this.#byKey.get(key) === message) this.#byKey.delete(key)
    }
  }

  /** Each intent's message, in order; one that cannot be had is reported through `failed` and skipped. */
  each(write: (data: Data) => void, failed: (message: string) => void): void {
    for (const [key, message] of this.#byKey) {
      const data = intentData(key, message, failed)
      if (data !== undefined) write(data)
    }
  }
}

/** The message to write now: a provider's result, checked; undefined (and `failed` told) when it throws or returns no data. */
export function intentData(key: string, message: IntentMessage, failed: (message: string) => void): Data | undefined {
  try {
    const data = typeof message === 'function' ? message() : message
    checkData(`intent ${JSON.stringify(key)}: message`, data)
    return data
  } catch (error) {
    failed(`intent ${JSON.stringify(key)} failed: ${errorText(error)}`)
    return undefined
  }
}
