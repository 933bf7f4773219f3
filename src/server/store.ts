/**
 * Where a session's resume state lives between connections. The server writes a record when a
 * session's connection ends (expiry: the resume window), reads it when a client resumes a session
 * this process does not hold, and deletes it when the session ends. A shared store (Redis, issue 16)
 * lets any node behind a balancer resume the session; memoryStore() serves one process.
 */
import type { Message } from '../protocol/session-state.js'

/** A session's resume state: plain data, so a store may serialize it. */
export interface SessionRecord {
  /** The session id (22 base64url characters, 128 random bits). */
  id: string
  /** The secret bound to the id (16 random bytes); a resume must present it. */
  secret: Uint8Array
  /** The application subprotocol chosen when the session began ('' for none). */
  protocol: string
  /** Which server instance wrote the record last (a random id per attachSessions()). */
  owner: string
  /** Server → client: the `acked` count, how many were written whole, and every message after `acked`, oldest first. */
  outbound: { acked: number; written: number; messages: Message[] }
  /** Client → server: how many messages the application has handled (the client resumes after them). */
  inbound: { handled: number }
}

/** Every method may answer synchronously or with a promise. */
export interface SessionStore {
  get(id: string): SessionRecord | undefined | Promise<SessionRecord | undefined>
  /** Keep `record` for `ttl` ms (the resume window), replacing any record with its id. */
  set(record: SessionRecord, ttl: number): void | Promise<void>
  delete(id: string): void | Promise<void>
}

/** A store in this process's memory: records expire after their ttl. */
export function memoryStore(): SessionStore & { readonly size: number } {
  const records = new Map<string, { record: SessionRecord; timer: ReturnType<typeof setTimeout> }>()
  const drop = (id: string): void => {
    const entry = records.get(id)
    if (!entry) return
    clearTimeout(entry.timer)
    records.delete(id)
  }
  return {
    get size() {
      return records.size
    },
    get: (id) => records.get(id)?.record,
    set(record, ttl) {
      drop(record.id)
      const timer = setTimeout(() => records.delete(record.id), ttl)
      // an expiry must not keep the process alive
      timer.unref?.()
      records.set(record.id, { record, timer })
    },
    delete: drop,
  }
}
