/**
 * `intent(key, message)` on a shared socket (the `intents` option of createSharedSocket): what every
 * new connection of the leader's socket must say, for every tab. Each tab keeps its own intents and
 * tells the leader (a new leader again); the leader holds them on its socket as `<tab> <key>`, so
 * its socket says them on each connection, before the queue. Functions do not cross tabs: a
 * follower calls its provider when it registers and when a leader takes over.
 */
import type { Data } from '../core/queue.js'
import { LifelineError } from '../runtime/errors.js'
import { intentData, type IntentMessage } from '../runtime/intents.js'
import type { LifelineSocket, SocketEventName } from '../runtime/socket.js'
import type { Wire } from './shared-socket.js'

/** What a shared socket calls (see share() in ./shared-socket.ts). @internal */
export interface TabIntents {
  intent: LifelineSocket['intent']
  /** A new leader (this tab or another): tell it every intent of this tab. */
  lead(): void
  /** Leader: hold (or replace, in its place) intent `id` (`<tab> <key>`) on its socket; with no message, let go of it. */
  hold(id: string, message?: Data): void
  /** close(): the leader lets go of this tab's intents. */
  close(): void
}

/**
 * Pass as createSharedSocket's `intents` option to have `intent()` in every tab. The shared socket
 * calls it with `me` (this tab's name on the channel), `at` (the real socket while this tab leads,
 * else the leading tab's name, undefined while none leads), its `post` and `emit`, and `checker`
 * (a socket of this tab's closed for good: it checks arguments as a socket does, and says nothing).
 */
export function tabIntents(
  me: string,
  at: () => LifelineSocket | string | undefined,
  post: (message: Wire) => void,
  emit: (event: SocketEventName, ...args: unknown[]) => void,
  checker: LifelineSocket,
): TabIntents {
  /** This tab's intents by key. */
  const intents = new Map<string, IntentMessage>()
  /** Leader: the removers of every tab's intents on its socket, by `<tab> <key>`; a new socket, a new map. */
  let held = new Map<string, () => void>()
  const hold = (id: string, message?: IntentMessage): void => {
    message === undefined ? held.get(id)?.() : held.set(id, (at() as LifelineSocket).intent(id, message))
  }
  /** Tell the leader this tab's intent `key` as it stands now (a provider that fails is an 'error' here, and the leader holds none). */
  const claim = (key: string): void => {
    const message = intents.get(key)
    const id = `${me} ${key}`
    const leader = at()
    if (typeof leader === 'object') hold(id, message)
    else if (leader) post({ t: 'int', to: leader, k: id, d: message && intentData(key, message, (text) => emit('error', new LifelineError('SEND_FAILED', text))) })
  }
  return {
    intent(key, message) {
      checker.intent(key, message)()
      intents.set(key, message)
      claim(key)
      return () => {
        if (intents.get(key) !== message) return
        intents.delete(key)
        claim(key)
      }
    },
    lead() {
      held = new Map()
      intents.forEach((_, key) => claim(key))
    },
    hold,
    close() {
      for (const key of intents.keys()) intents.delete(key), claim(key)
    },
  }
}
