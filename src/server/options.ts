/**
 * attachSessions() options: the one defaults object and the checks. Every check happens once, at
 * attachSessions(); a bad value throws a TypeError or RangeError naming the option and the value.
 * Only own properties are read.
 */
import type { SessionStore, SharedSessionStore } from './store.js'

export interface HeartbeatOptions {
  /** How often the server sends PING on each session connection (ms). @default 25_000 */
  interval?: number
  /** How long after a PING the server waits for any frame before dropping the connection (ms); < interval. @default 10_000 */
  timeout?: number
}

export interface SessionServerOptions {
  /** How long a session outlives its connection, waiting for the client to resume (ms). @default 120_000 */
  resumeWindow?: number
  /** The server's PING to each session connection, and how long it waits for an answer. @default each field's own (25_000, 10_000) */
  heartbeat?: HeartbeatOptions
  /**
   * Unacknowledged bytes the server accepts from a client (its inbound window); a client writing
   * beyond it is closed with 1008. @default 1_048_576
   */
  maxUnacked?: number
  /**
   * Bytes of `session.send()` messages a session holds until the client acknowledges them, while
   * connected or away; beyond it the session ends with 4413 ('overflow'). @default 8_388_608
   */
  maxBufferedBytes?: number
  /** Largest message either way, in bytes (text as UTF-8). @default 1_048_576 */
  maxMessageBytes?: number
  /** Sessions alive at once (connected or within their resume window); more are closed with 1013. @default 10_000 */
  maxSessions?: number
  /** Payload bytes per DATA frame: larger messages go in chunks, so heartbeats and acks interleave. @default 16_384 */
  chunkSize?: number
  /** Longest the server waits before acknowledging what it has handled (ms). @default 50 */
  ackDelay?: number
  /**
   * How long a new connection may take to send its HELLO (ms), and then the server to answer it: a
   * HELLO the store leaves unanswered that long (Redis unreachable, another node not letting go) is
   * closed with 1013, which clients retry. @default 10_000
   */
  helloTimeout?: number
  /**
   * Where sessions' resume state is kept: memoryStore() (this process, written when a connection
   * ends) or a shared store persisting every step (redisStore() from lifeline-ws/server/redis), with
   * which any node of a fleet resumes any session. @default memoryStore()
   */
  store?: SessionStore | SharedSessionStore
}

export interface ResolvedOptions {
  resumeWindow: number
  heartbeatInterval: number
  heartbeatTimeout: number
  maxUnacked: number
  maxBufferedBytes: number
  maxMessageBytes: number
  maxSessions: number
  chunkSize: number
  ackDelay: number
  helloTimeout: number
  store: SessionStore | SharedSessionStore | undefined
}

const DEFAULTS = Object.freeze({
  resumeWindow: 120_000,
  heartbeatInterval: 25_000,
  heartbeatTimeout: 10_000,
  maxUnacked: 1 << 20,
  maxBufferedBytes: 8 << 20,
  maxMessageBytes: 1 << 20,
  maxSessions: 10_000,
  chunkSize: 16 << 10,
  ackDelay: 50,
  helloTimeout: 10_000,
})

const KNOWN = ['resumeWindow', 'heartbeat', 'maxUnacked', 'maxBufferedBytes', 'maxMessageBytes', 'maxSessions', 'chunkSize', 'ackDelay', 'helloTimeout', 'store']

function own(object: object, key: string): unknown {
  return Object.prototype.hasOwnProperty.call(object, key) ? (object as Record<string, unknown>)[key] : undefined
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value)
  if (typeof value === 'number' || typeof value === 'boolean' || value == null) return String(value)
  return Array.isArray(value) ? 'an array' : typeof value
}

function whole(name: string, value: unknown, fallback: number, min: number): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number') throw new TypeError(`attachSessions: ${name} must be a number, got ${describe(value)}`)
  if (!Number.isSafeInteger(value) || value < min) throw new RangeError(`attachSessions: ${name} must be a whole number >= ${min}, got ${describe(value)}`)
  return value
}

function group(name: string, value: unknown, known: string[]): object {
  if (value === undefined) return {}
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new TypeError(`attachSessions: ${name} must be an object, got ${describe(value)}`)
  for (const key of Object.keys(value)) {
    if (!known.includes(key)) throw new TypeError(`attachSessions: unknown option ${JSON.stringify(name === 'options' ? key : `${name}.${key}`)}`)
  }
  return value
}

export function resolveServerOptions(options: unknown): ResolvedOptions {
  const o = group('options', options, KNOWN)
  const heartbeat = group('heartbeat', own(o, 'heartbeat'), ['interval', 'timeout'])
  const resolved: ResolvedOptions = {
    resumeWindow: whole('resumeWindow', own(o, 'resumeWindow'), DEFAULTS.resumeWindow, 0),
    heartbeatInterval: whole('heartbeat.interval', own(heartbeat, 'interval'), DEFAULTS.heartbeatInterval, 1),
    heartbeatTimeout: whole('heartbeat.timeout', own(heartbeat, 'timeout'), DEFAULTS.heartbeatTimeout, 1),
    maxUnacked: whole('maxUnacked', own(o, 'maxUnacked'), DEFAULTS.maxUnacked, 1),
    maxBufferedBytes: whole('maxBufferedBytes', own(o, 'maxBufferedBytes'), DEFAULTS.maxBufferedBytes, 1),
    maxMessageBytes: whole('maxMessageBytes', own(o, 'maxMessageBytes'), DEFAULTS.maxMessageBytes, 1),
    maxSessions: whole('maxSessions', own(o, 'maxSessions'), DEFAULTS.maxSessions, 1),
    chunkSize: whole('chunkSize', own(o, 'chunkSize'), DEFAULTS.chunkSize, 1),
    ackDelay: whole('ackDelay', own(o, 'ackDelay'), DEFAULTS.ackDelay, 0),
    helloTimeout: whole('helloTimeout', own(o, 'helloTimeout'), DEFAULTS.helloTimeout, 1),
    store: own(o, 'store') as SessionStore | SharedSessionStore | undefined,
  }
  if (resolved.heartbeatTimeout >= resolved.heartbeatInterval) {
    throw new RangeError(`attachSessions: heartbeat.timeout (${resolved.heartbeatTimeout}) must be < heartbeat.interval (${resolved.heartbeatInterval})`)
  }
  if (resolved.maxMessageBytes > resolved.maxBufferedBytes) {
    throw new RangeError(`attachSessions: maxMessageBytes (${resolved.maxMessageBytes}) must be <= maxBufferedBytes (${resolved.maxBufferedBytes})`)
  }
  const store = resolved.store
  const shared = store !== null && typeof store === 'object' && (store as { shared?: unknown }).shared === true
  const methods = shared ? ['start', 'stop', 'create', 'secret', 'claim', 'requestRelease', 'release', 'append', 'fetch', 'progress', 'touch', 'delete'] : ['get', 'set', 'delete']
  if (store !== undefined && (store === null || typeof store !== 'object' || methods.some((m) => typeof (store as unknown as Record<string, unknown>)[m] !== 'function'))) {
    throw new TypeError(`attachSessions: store must be a SessionStore (get, set, delete) or a shared store (redisStore()), got ${describe(store)}`)
  }
  return resolved
}
