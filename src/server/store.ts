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

/**
 * A store shared by a fleet that persists every step of a session as it happens (redisStore()),
 * so a node dying at any instant loses nothing it acknowledged. The server then writes:
 * - a new session's record before its WELCOME;
 * - each `session.send()` message before it is written to the client (`append`, which numbers it);
 * - how far the application was handed client messages (`started`) before it runs the handlers, and
 *   how far they were handled (`handled`) before the ACK leaves: a message between the two when a
 *   node dies is delivered again on the next one, flagged `redelivered`;
 * - the client's ACK (`acked`, trimming what it holds), lazily: losing it only replays acknowledged
 *   messages, which the client's resume point skips.
 * Writes that change a session carry the writer's `owner` id and fail with {@link SessionMovedError}
 * unless it holds the session: a node that lost a session can no longer change it.
 */
export interface SharedSessionStore {
  readonly shared: true
  /** Start this node's presence (its lease) and its channel for posts and release requests. */
  start(owner: string, events: SharedStoreEvents): Promise<void>
  stop(): Promise<void>
  create(record: { id: string; secret: Uint8Array; protocol: string; owner: string }, ttl: number): Promise<void>
  /** The secret of a stored session, to check a resume token before claiming. */
  secret(id: string): Promise<Uint8Array | undefined>
  /**
   * Make `owner` hold the session and read its state. 'busy': a live node still holds it (ask it
   * with `requestRelease`, then claim again).
   */
  claim(id: string, owner: string, ttl: number): Promise<SharedRecord | 'busy' | undefined>
  requestRelease(id: string): Promise<void>
  /** Give the session up (after this node's earlier writes, which the store applies in order). */
  release(id: string, owner: string): Promise<void>
  /**
   * Store an outbound message; resolves with its sequence number. `notify`: tell the holding node.
   * `writer`: the holder's appends numbered 1, 2, … per writer id, which makes a retry safe: an
   * append already applied resolves with 0 (read the list to see it), one ahead of a missing
   * earlier one fails (retry it after that one).
   */
  append(id: string, message: Message, ttl: number, notify: boolean, writer?: { id: string; n: number }): Promise<number>
  /** The outbound messages from sequence number `from` on. */
  fetch(id: string, from: number): Promise<Message[]>
  progress(id: string, owner: string, field: 'started' | 'handled' | 'acked', count: number, ttl: number): Promise<void>
  /** Keep a connected session's record alive for another `ttl`; resolves with how many outbound messages are stored (numbered) so far. */
  touch(id: string, owner: string, ttl: number): Promise<number>
  delete(id: string, owner: string): Promise<void>
}

export interface SharedStoreEvents {
  /** A message was appended to session `id` by another node. */
  posted(id: string): void
  /** Another node wants session `id`. */
  release(id: string): void
  error(error: unknown): void
}

/** A shared record as claimed: what a node needs to take a session over. */
export interface SharedRecord {
  secret: Uint8Array
  protocol: string
  /** Outbound: acknowledged count and every message after it (all of which may have been written). */
  acked: number
  messages: Message[]
  /** Inbound: handed to the application (`started`) and handled. */
  started: number
  handled: number
}

/** A write from a node that no longer holds the session (another node took it, or it expired). */
export class SessionMovedError extends Error {
  constructor(id: string) {
    super(`session ${id} is held by another server (or expired)`)
    this.name = 'SessionMovedError'
  }
}

export function isShared(store: SessionStore | SharedSessionStore): store is SharedSessionStore {
  return (store as { shared?: unknown }).shared === true
}
