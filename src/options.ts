/**
 * The options a user passes, their defaults, and their validation into a frozen {@link Policy}.
 * Every check happens once, synchronously, at `createSocket()`; a bad value throws a TypeError,
 * RangeError or SyntaxError naming the option and the value it got.
 */
import { defaultShouldReconnect } from './core/close-codes.js'
import { kindOf, viewParts } from './core/data.js'
import { CLOSE_TIMEOUT, type BackoffPolicy, type HeartbeatPolicy, type Jitter, type Policy } from './core/policy.js'
import type { Data, Overflow, QueuePolicy } from './core/queue.js'
import type { CloseInfo } from './core/state.js'
import type { Clock, WebSocketConstructor } from './runtime/ports.js'
import { redactUrl } from './runtime/redact.js'
import { intern, keyOf } from './intern.js'
import { warnOnce } from './runtime/warn.js'

type MaybePromise<T> = T | Promise<T>
export type UrlOption = string | URL | (() => MaybePromise<string | URL>)
export type ProtocolsOption = string | string[] | (() => MaybePromise<string | string[] | undefined>)

export interface BackoffOptions {
  /** Base of the first retry's delay in ms; at least 10 (MIN_INITIAL_DELAY). @default 1000 */
  initialDelay?: number
  /** No delay is longer than this (ms). @default 5000 */
  maxDelay?: number
  /** Growth per retry. @default 2 */
  factor?: number
  /**
   * How delays are randomised: `'spread'` (±50 %, still spread at the cap), `'full'`, `'equal'`,
   * `'none'`, or `'decorrelated'`. @default 'spread'
   */
  jitter?: Jitter
  /** Failed attempts in a row after which the socket gives up (`'giveup'`). @default Infinity */
  maxRetries?: number
  /** A connection must stay open this long (ms) before the attempt count resets. @default 5000 */
  resetAfter?: number
}

export interface QueueOptions {
  /** Most messages held while not open. @default 1000 */
  maxMessages?: number
  /** Most bytes held while not open (UTF-8 for strings). @default 1048576 */
  maxBytes?: number
  /** When full: `'reject'` the new message, or `'drop-oldest'` to make room. @default 'reject' */
  overflow?: Overflow
  /** ms a queued message may wait before it is dropped with reason `'ttl'`. @default undefined (forever) */
  ttl?: number
}

export interface HeartbeatOptions {
  /** Send a ping after this many ms without inbound data. @default 25000 */
  interval?: number
  /** The link is dead if nothing arrives this many ms after a ping. @default 10000 */
  timeout?: number
  /**
   * `'protocol'`: ping frames (Node `ws`). `'message'`: an app-level message the server answers.
   * `'auto'`: protocol frames where the socket has them, else the message if one is set, else none.
   * @default 'auto'
   */
  mode?: 'auto' | 'protocol' | 'message'
  /** App-level ping payload, or a function returning it. @default undefined */
  message?: Data | (() => Data)
  /** Which inbound messages answer a ping; they are never emitted as 'message'. @default (data) => data === 'pong' */
  isPong?: (data: unknown) => boolean
}

export interface SocketOptions {
  /** Where to connect: a ws/wss/http/https URL, or a function called before every attempt. */
  url: UrlOption
  /** Subprotocols to offer, or a function called before every attempt. @default undefined */
  protocols?: ProtocolsOption
  /** `true`: stay `'idle'` until `connect()` or the first `send()`. @default false */
  lazy?: boolean
  /** ms for TCP + TLS + HTTP upgrade before the attempt fails with `CONNECT_TIMEOUT`. @default 10000 */
  connectTimeout?: number
  /** The retry policy. @default { initialDelay: 1000, maxDelay: 5000, factor: 2, jitter: 'spread', maxRetries: Infinity, resetAfter: 5000 } */
  backoff?: BackoffOptions
  /** The outbound queue used while not open. @default { maxMessages: 1000, maxBytes: 1048576, overflow: 'reject' } */
  queue?: QueueOptions
  /** Whether a close from the server is retried. @default the close-code table (stop on 1002, 1003, 1007–1010) */
  shouldReconnect?: (close: CloseInfo) => boolean
  /** Binary messages arrive as `'arraybuffer'` or `'blob'` (Node: also `'nodebuffer'`). @default 'arraybuffer' */
  binaryType?: 'arraybuffer' | 'blob' | 'nodebuffer'
  /** Liveness pings; `false` turns them off. @default { interval: 25000, timeout: 10000, mode: 'auto' } */
  heartbeat?: HeartbeatOptions | false
  /** Reconnect when no application message arrives for this many ms (heartbeat answers and pings do not count). @default undefined (off) */
  idleTimeout?: number
  /** Rebuild the connection after this many ms (±10 %). @default undefined (never) */
  maxLifetime?: number
  /** The WebSocket constructor. Required in `lifeline-ws/core`; adapters fill it in. */
  WebSocket?: WebSocketConstructor
  /** Timers and the clock. Required in `lifeline-ws/core`; adapters use the globals. */
  timer?: Clock
  /** Random numbers in [0, 1). @default Math.random (from the adapter) */
  random?: () => number
  /**
   * Node only: passed as the third argument to `ws`'s constructor (headers, `ca`, `cert`,
   * `rejectUnauthorized`, `maxPayload`, `agent`…). @default undefined
   */
  wsOptions?: Record<string, unknown>
  /**
   * More parameter names to redact, on top of the built-in words (token, auth, key, secret, pass,
   * sig, session, bearer, sid, otp, nonce, csrf, hash, private…; see README "Redaction"): a query or
   * path parameter whose name contains one (case-insensitive) shows as `name=***` in `socket.url`,
   * debug lines, errors and events. @default []
   */
  redactParams?: readonly string[]
  /** A logger receiving one line per transition and effect (URLs redacted), e.g. console.debug. @default undefined */
  debug?: (line: string, fields: Record<string, unknown>) => void
}

export const BACKOFF_DEFAULTS: Readonly<Required<BackoffOptions>> = Object.freeze({
  initialDelay: 1_000,
  maxDelay: 5_000,
  factor: 2,
  jitter: 'spread',
  maxRetries: Infinity,
  resetAfter: 5_000,
})

export const QUEUE_DEFAULTS = Object.freeze({
  maxMessages: 1_000,
  maxBytes: 1_048_576,
  overflow: 'reject' as Overflow,
  ttl: undefined as number | undefined,
})

export const HEARTBEAT_DEFAULTS = Object.freeze({ interval: 25_000, timeout: 10_000, mode: 'auto' as const })

export const DEFAULT_CONNECT_TIMEOUT = 10_000

/**
 * The smallest backoff.initialDelay: below it a server that fails every attempt is retried hundreds
 * of times a second (1e-9 ms made ~650 connects/s), which is a reconnect loop, not a backoff.
 */
export const MIN_INITIAL_DELAY = 10

const defaultIsPong = (data: unknown): boolean => data === 'pong'

/** Everything the runtime needs, validated: the core's policy plus what the driver uses. */
export interface Resolved {
  readonly policy: Policy
  readonly queue: QueuePolicy
  readonly url: UrlOption
  readonly protocols: ProtocolsOption | undefined
  readonly lazy: boolean
  readonly binaryType: string
  readonly WebSocket: WebSocketConstructor
  readonly timer: Clock
  readonly random: () => number
  readonly wsOptions: Record<string, unknown> | undefined
  readonly pingMessage: Data | (() => Data) | undefined
  readonly isPong: (data: unknown) => boolean
  readonly debug: ((line: string, fields: Record<string, unknown>) => void) | undefined
  /** Lowercased; redactUrl's extra words. */
  readonly redactParams: readonly string[]
}

const TOP_KEYS = [
  'url',
  'protocols',
  'lazy',
  'connectTimeout',
  'backoff',
  'queue',
  'shouldReconnect',
  'binaryType',
  'heartbeat',
  'idleTimeout',
  'maxLifetime',
  'WebSocket',
  'timer',
  'random',
  'wsOptions',
  'redactParams',
  'debug',
]
const HEARTBEAT_KEYS = ['interval', 'timeout', 'mode', 'message', 'isPong']
const TIMER_KEYS = ['setTimeout', 'clearTimeout', 'now']

/** Validate options and normalise them. Throws synchronously on the first bad value. */
export function resolveOptions(options: SocketOptions, defaults: Partial<SocketOptions> = {}): Resolved {
  if (options === null || typeof options !== 'object') throw mustBe('options', 'an object with a url', options)
  checkKeys(options, TOP_KEYS, '')
  // own properties only, into an object with no prototype: a key polluting Object.prototype
  // (wsOptions, debug, heartbeat…) must not fill in an option the caller did not set
  const merged = ownOnly(defaults, definedOnly(options)) as unknown as SocketOptions

  // first: every later message that quotes a URL redacts these too
  const redactParams = checkRedactParams(merged.redactParams)
  const url = checkUrlOption(merged.url, redactParams)
  const protocols = checkProtocolsOption(merged.protocols)
  // undefined means the default; null is a wrong value like any other (heartbeat: false is the one
  // documented "off")
  const lazy = orDefault(merged.lazy, false)
  if (typeof lazy !== 'boolean') throw mustBe('lazy', 'a boolean', lazy)
  const connectTimeout = duration('connectTimeout', orDefault(merged.connectTimeout, DEFAULT_CONNECT_TIMEOUT), true)

  const backoff = resolveBackoff(merged.backoff)
  const queue = resolveQueue(merged.queue)

  const shouldReconnect = checkFunction('shouldReconnect', orDefault(merged.shouldReconnect, defaultShouldReconnect))
  const binaryType = oneOf('binaryType', orDefault(merged.binaryType, 'arraybuffer'), ['arraybuffer', 'blob', 'nodebuffer'])

  const WebSocket = checkFunction('WebSocket', merged.WebSocket, 'a WebSocket constructor (lifeline-ws/core has no default)')
  const timer = checkTimer(merged.timer)
  const random = checkFunction('random', merged.random, 'a function returning a number in [0, 1)')
  const wsOptions = merged.wsOptions
  if (wsOptions !== undefined && (wsOptions === null || typeof wsOptions !== 'object')) throw mustBe('wsOptions', 'an object', wsOptions)
  if (wsOptions && Object.prototype.hasOwnProperty.call(wsOptions, 'rejectUnauthorized') && wsOptions.rejectUnauthorized === false) {
    warnOnce(
      'rejectUnauthorized',
      'wsOptions.rejectUnauthorized is false: TLS certificates are not verified, so anyone on the path can read and change the traffic. Pass the CA as wsOptions.ca instead.',
    )
  }

  const debug = merged.debug === undefined ? undefined : checkFunction('debug', merged.debug)

  const prototype = (WebSocket as { prototype?: unknown }).prototype
  const pingFrames = typeof prototype === 'object' && prototype !== null && typeof memberOf(prototype, 'ping') === 'function'
  const { heartbeat, pingMessage, isPong } = resolveHeartbeat(merged.heartbeat, pingFrames)
  const idleTimeout = optionalDuration('idleTimeout', merged.idleTimeout)
  const maxLifetime = optionalDuration('maxLifetime', merged.maxLifetime)

  const policy: Policy = share('policy', {
    connectTimeout,
    backoff,
    heartbeat,
    idleTimeout,
    maxLifetime,
    shouldReconnect: guardPredicate(shouldReconnect),
    closeTimeout: heartbeat?.timeout ?? CLOSE_TIMEOUT,
  })
  const resolved: Resolved = {
    policy,
    queue,
    url,
    protocols,
    lazy,
    binaryType,
    WebSocket,
    timer,
    random,
    wsOptions,
    pingMessage,
    isPong,
    debug,
    redactParams,
  }
  // shared only when it holds nothing that belongs to one socket (a provider, ws options, a
  // logger): the cache must not keep those alive
  const perSocket = typeof url !== 'string' || typeof protocols === 'function' || wsOptions || debug || typeof pingMessage === 'object'
  if (perSocket) return Object.freeze(resolved)
  // protocols by content, so equal lists given as different arrays still share
  const key = ['resolved', url, JSON.stringify(protocols), JSON.stringify(redactParams), lazy, binaryType, pingMessage, policy, queue, WebSocket, timer, random, isPong]
  return intern(keyOf(key), () => resolved)
}

function resolveBackoff(input: BackoffOptions | undefined): BackoffPolicy {
  const b = optionGroup('backoff', input, BACKOFF_DEFAULTS)
  const initialDelay = number('backoff.initialDelay', b.initialDelay)
  if (!Number.isFinite(initialDelay) || !(initialDelay >= MIN_INITIAL_DELAY)) {
    throw mustBe('backoff.initialDelay', `a finite number of ms >= ${MIN_INITIAL_DELAY} (less is a reconnect loop)`, initialDelay, RangeError)
  }
  const maxDelay = duration('backoff.maxDelay', b.maxDelay)
  if (maxDelay < initialDelay) {
    throw new RangeError(`backoff.maxDelay (${maxDelay}) must be >= backoff.initialDelay (${initialDelay})`)
  }
  const factor = number('backoff.factor', b.factor)
  if (!Number.isFinite(factor) || factor < 1) throw mustBe('backoff.factor', 'a finite number >= 1', factor, RangeError)
  const jitter = oneOf('backoff.jitter', b.jitter, ['spread', 'full', 'equal', 'none', 'decorrelated'])
  const maxRetries = count('backoff.maxRetries', b.maxRetries, 'a whole number >= 0 or Infinity')
  const resetAfter = duration('backoff.resetAfter', b.resetAfter)
  return share('backoff', { initialDelay, maxDelay, factor, jitter, maxRetries, resetAfter })
}

function resolveQueue(input: QueueOptions | undefined): QueuePolicy {
  const q = optionGroup('queue', input, QUEUE_DEFAULTS)
  const maxMessages = count('queue.maxMessages', q.maxMessages)
  const maxBytes = count('queue.maxBytes', q.maxBytes)
  const overflow = oneOf('queue.overflow', q.overflow, ['reject', 'drop-oldest'])
  const ttl = optionalDuration('queue.ttl', q.ttl)
  return share('queue', { maxMessages, maxBytes, overflow, ttl })
}

function resolveHeartbeat(
  input: HeartbeatOptions | false | undefined,
  pingFrames: boolean,
): { heartbeat: HeartbeatPolicy | undefined; pingMessage: Resolved['pingMessage']; isPong: Resolved['isPong'] } {
  if (input === false) return { heartbeat: undefined, pingMessage: undefined, isPong: defaultIsPong }
  const h: HeartbeatOptions = optionGroup('heartbeat', input, HEARTBEAT_DEFAULTS, HEARTBEAT_KEYS, 'an object or false')
  const interval = duration('heartbeat.interval', h.interval, true)
  const timeout = duration('heartbeat.timeout', h.timeout, true)
  const mode = oneOf('heartbeat.mode', h.mode, ['auto', 'protocol', 'message'])
  const message = h.message
  if (message !== undefined && typeof message !== 'function') checkData('heartbeat.message', message)
  const isPong = checkFunction('heartbeat.isPong', orDefault(h.isPong, defaultIsPong))
  if (mode === 'protocol' && !pingFrames) {
    throw new TypeError(
      'heartbeat.mode is "protocol" but this WebSocket cannot send ping frames (browsers and workers cannot): use mode "message" with heartbeat.message',
    )
  }
  if (mode === 'message' && message === undefined) {
    throw new TypeError('heartbeat.message is required when heartbeat.mode is "message", got undefined')
  }
  const resolved: 'protocol' | 'message' | undefined =
    mode === 'protocol' || (mode === 'auto' && pingFrames) ? 'protocol' : message !== undefined ? 'message' : undefined
  if (resolved === undefined) {
    // heartbeat not false, yet nothing to ping with (a browser or worker without a message): a link
    // that dies silently would go unnoticed, and nothing else would say so
    warnOnce(
      'no-heartbeat',
      "this socket has no heartbeat: its WebSocket cannot send ping frames (browsers and workers cannot) and heartbeat.message is not set, so a link that dies silently goes unnoticed. Set heartbeat: { message: 'ping' } (your server answers 'pong'), or heartbeat: false to go without.",
    )
  }
  return {
    heartbeat: resolved ? share('heartbeat', { interval, timeout, mode: resolved }) : undefined,
    pingMessage: message,
    isPong,
  }
}

/**
 * The one frozen object with these fields' values, made now or by an earlier socket (see intern.ts).
 * The key is `kind` then the values in field order, objects and functions by identity.
 */
function share<T extends object>(kind: string, fields: T): T {
  return intern(keyOf([kind, ...Object.values(fields)]), () => fields)
}

// ── small checks ─────────────────────────────────────────────────────────────────────────────────

/** The error for a bad value: `<name> must be <expected>, got <what it got>`. */
function mustBe(name: string, expected: string, value: unknown, ErrorType: new (message: string) => Error = TypeError): Error {
  return new ErrorType(`${name} must be ${expected}, got ${describe(value)}`)
}

function checkFunction<T>(name: string, value: T, expected = 'a function'): T & Function {
  if (typeof value !== 'function') throw mustBe(name, expected, value)
  return value
}

/** `value` if it is one of `choices`, else a TypeError listing them as `"a", "b" or "c"`. */
function oneOf<T extends string>(name: string, value: unknown, choices: readonly T[]): T {
  if (choices.includes(value as T)) return value as T
  const quoted = choices.map((choice) => `"${choice}"`)
  const last = quoted.pop()
  throw mustBe(name, `${quoted.join(', ')} or ${last}`, value)
}

function checkUrlOption(url: unknown, redactParams: readonly string[]): UrlOption {
  if (typeof url === 'function') return url as UrlOption
  if (typeof url === 'string' || isUrl(url)) {
    normaliseUrl(url, 'url', redactParams)
    return url as UrlOption
  }
  throw mustBe('url', 'a string, a URL or a function returning one', url)
}

/** A WHATWG URL, from this realm or another (instanceof would miss the latter). */
export function isUrl(value: unknown): value is URL {
  return tagOf(value) === 'URL'
}

/**
 * Parse and check a URL; http(s) becomes ws(s) as WHATWG WebSocket does. Throws SyntaxError with the
 * (redacted) value on a bad URL or scheme. Used at creation and for every provider result.
 */
export function normaliseUrl(value: string | URL, name: string, redactParams?: readonly string[]): string {
  const text = typeof value === 'string' ? value : value.href
  let parsed: URL
  try {
    parsed = new URL(text)
  } catch {
    throw new SyntaxError(`${name} is not a valid absolute URL, got ${JSON.stringify(redactUrl(text, redactParams))}`)
  }
  if (parsed.hash) {
    // a WebSocket URL cannot carry a fragment (ws refuses one on every attempt): say so now
    throw new SyntaxError(`${name} must not contain a fragment (#…), got ${JSON.stringify(redactUrl(text, redactParams))}`)
  }
  const scheme = parsed.protocol
  if (scheme === 'http:') parsed.protocol = 'ws:'
  else if (scheme === 'https:') parsed.protocol = 'wss:'
  else if (scheme !== 'ws:' && scheme !== 'wss:') {
    throw new SyntaxError(
      `${name} must use ws:, wss:, http: or https:, got "${scheme}" in ${JSON.stringify(redactUrl(text, redactParams))}`,
    )
  }
  return parsed.href
}

function checkRedactParams(value: unknown): readonly string[] {
  if (value === undefined) return NO_PARAMS
  if (!Array.isArray(value) || !value.every((word) => typeof word === 'string' && word !== '')) {
    throw mustBe('redactParams', 'an array of non-empty strings', value)
  }
  return Object.freeze(value.map((word: string) => word.toLowerCase()))
}
const NO_PARAMS: readonly string[] = Object.freeze([])

function checkProtocolsOption(protocols: unknown): ProtocolsOption | undefined {
  if (protocols === undefined || typeof protocols === 'function') return protocols as ProtocolsOption | undefined
  checkProtocols(protocols, 'protocols')
  // a copy: sockets may share their options (intern.ts), and a caller may reuse its array
  return Array.isArray(protocols) ? Object.freeze([...protocols]) as string[] : (protocols as string)
}

/**
 * Subprotocol tokens must be non-empty strings without separators (RFC 6455 §4.1). The messages
 * never quote a subprotocol: some carry a token (`['bearer', '<jwt>']`).
 */
export function checkProtocols(protocols: unknown, name: string): void {
  const single = typeof protocols === 'string'
  const list = single ? [protocols] : protocols
  if (!Array.isArray(list)) throw mustBe(name, 'a string or an array of strings', protocols)
  const seen = new Map<string, number>()
  list.forEach((p: unknown, i) => {
    const at = single ? '' : ` at index ${i}`
    if (typeof p !== 'string' || !/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(p)) {
      const got = typeof p === 'string' ? `a string of ${p.length} characters` : typeof p
      throw new SyntaxError(`${name} has an invalid subprotocol${at}: ${got} (RFC 6455 allows letters, digits and !#$%&'*+-.^_\`|~)`)
    }
    const first = seen.get(p)
    if (first !== undefined) throw new SyntaxError(`${name} lists one subprotocol twice, at index ${first} and at index ${i}`)
    seen.set(p, i)
  })
}

function checkTimer(timer: unknown): Clock {
  if (timer === null || typeof timer !== 'object') {
    throw mustBe('timer', 'an object with setTimeout, clearTimeout and now (lifeline-ws/core has no default)', timer)
  }
  for (const key of TIMER_KEYS) checkFunction(`timer.${key}`, memberOf(timer, key))
  const monotonic = memberOf(timer, 'monotonic')
  if (monotonic !== undefined) checkFunction('timer.monotonic', monotonic)
  // the runtime reads timer.monotonic: one that only a polluted Object.prototype supplies must not count
  return monotonic === undefined && (timer as Clock).monotonic !== undefined ? withoutMonotonic(timer as Clock) : (timer as Clock)
}

/** The clock without a monotonic(), one per clock (sockets on one clock share its timer heap). */
function withoutMonotonic(timer: Clock): Clock {
  let clock = wallClockOnly.get(timer)
  if (!clock) {
    clock = ownOnly({
      setTimeout: (callback: () => void, ms: number) => timer.setTimeout(callback, ms),
      clearTimeout: (handle: unknown) => timer.clearTimeout(handle),
      now: () => timer.now(),
    }) as unknown as Clock
    wallClockOnly.set(timer, clock)
  }
  return clock
}
const wallClockOnly = new WeakMap<Clock, Clock>()

/** What `send()` and `heartbeat.message` accept; throws a TypeError naming `name` otherwise. */
export function checkData(name: string, data: unknown): asserts data is Data {
  const kind = kindOf(data)
  if (kind === 'view' || kind === 'buffer') {
    // a transferred buffer (postMessage, structuredClone) cannot be read, sent or queued
    if (isDetached(kind === 'view' ? (viewParts(data as ArrayBufferView)[0] as ArrayBuffer) : (data as ArrayBuffer))) {
      throw new TypeError(`${name} must not be detached (its ArrayBuffer was transferred), got a detached ${describe(data)}`)
    }
    return
  }
  if (kind !== undefined) return
  const expected = 'a string, ArrayBuffer, ArrayBufferView or Blob'
  // by brand, not by tag: an object that only claims to be binary data would break the queue's sums
  const claimed = typeof data === 'object' && data !== null ? tagOf(data) : ''
  if (BINARY_TAG.test(claimed)) throw new TypeError(`${name} must be ${expected}, got object with a forged Symbol.toStringTag "${claimed}"`)
  throw mustBe(name, expected, data)
}

/** Tags of the kinds checkData accepts (or of a view): an object carrying one and failing the brand checks forged it. */
const BINARY_TAG = /^(ArrayBuffer|Blob|File|DataView|\w+Array)$/

/** Whether a buffer was transferred away (only an empty one can be; `detached` is not in Node 20). */
function isDetached(buffer: ArrayBufferLike): boolean {
  if (buffer.byteLength !== 0) return false
  try {
    new Uint8Array(buffer)
    return false
  } catch {
    return true
  }
}

/** The built-in type tag (`'URL'`, `'Blob'`…), which works across realms where instanceof does not. */
function tagOf(value: unknown): string {
  return Object.prototype.toString.call(value).slice(8, -1)
}

/**
 * An option group (`backoff`, `queue`, `heartbeat`) checked for unknown keys and merged over its
 * defaults; undefined fields take the default.
 */
function optionGroup<T extends object>(name: string, value: unknown, defaults: T, known = Object.keys(defaults), what = 'an object'): T {
  if (value === undefined) return ownOnly(defaults) as T
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw mustBe(name, what, value)
  checkKeys(value, known, `${name}.`)
  return ownOnly(defaults, definedOnly(value)) as T
}

/** The own enumerable properties of `sources`, later ones winning, on an object with no prototype. */
export function ownOnly(...sources: object[]): Record<string, unknown> {
  return Object.assign(Object.create(null) as Record<string, unknown>, ...sources)
}

/**
 * `object[key]` if the object or a prototype of its own class has it; never what a polluted
 * Object.prototype adds (a class instance's methods count, `Object.prototype.ping = …` does not).
 */
export function memberOf(object: object, key: string): unknown {
  for (let o: object | null = object; o !== null && o !== Object.prototype; o = Object.getPrototypeOf(o)) {
    if (Object.prototype.hasOwnProperty.call(o, key)) return (object as Record<string, unknown>)[key]
  }
  return undefined
}

/** `value`, or `fallback` when it is undefined (only then: null is a value, and a wrong one). */
function orDefault<T>(value: T | undefined, fallback: T): T {
  return value === undefined ? fallback : value
}

function number(name: string, value: unknown): number {
  if (typeof value !== 'number') throw mustBe(name, 'a number', value)
  return value
}

/** A delay in ms: finite and >= 0 (or > 0 where zero makes no sense). */
function duration(name: string, value: unknown, positive = false): number {
  const n = number(name, value)
  if (!Number.isFinite(n) || n < 0 || (positive && n === 0)) {
    throw mustBe(name, `a finite number of ms ${positive ? '> 0' : '>= 0'}`, n, RangeError)
  }
  return n
}

function optionalDuration(name: string, value: unknown): number | undefined {
  return value === undefined ? undefined : duration(name, value, true)
}

/** A whole number >= 0, or Infinity (which only backoff.maxRetries mentions in its message). */
function count(name: string, value: unknown, expected = 'a whole number >= 0'): number {
  const n = number(name, value)
  if (!(n >= 0) || (Number.isFinite(n) && !Number.isInteger(n))) {
    throw mustBe(name, expected, n, RangeError)
  }
  return n
}

function checkKeys(object: object, known: readonly string[], prefix: string): void {
  for (const key of Object.keys(object)) {
    if (known.includes(key)) continue
    const near = closest(key, known)
    throw new TypeError(
      `Unknown option ${JSON.stringify(prefix + key)}${near ? `; did you mean ${JSON.stringify(prefix + near)}?` : ''}`,
    )
  }
}

function definedOnly<T extends object>(object: T): Partial<T> {
  return Object.fromEntries(Object.entries(object).filter(([, value]) => value !== undefined)) as Partial<T>
}

/** A user predicate that throws must not take the connection down: it counts as "retry". */
function guardPredicate(fn: (close: CloseInfo) => boolean): (close: CloseInfo) => boolean {
  let guarded = guards.get(fn)
  if (!guarded) {
    guarded = (close) => {
      try {
        return fn(close) !== false
      } catch {
        return true
      }
    }
    // one guard per predicate, so sockets sharing a predicate can share their policy
    guards.set(fn, guarded)
  }
  return guarded
}
const guards = new WeakMap<(close: CloseInfo) => boolean, (close: CloseInfo) => boolean>()

function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined
  let bestDistance = Math.max(2, Math.floor(word.length / 3)) + 1
  for (const candidate of candidates) {
    const d = editDistance(word.toLowerCase(), candidate.toLowerCase())
    if (d < bestDistance) {
      best = candidate
      bestDistance = d
    }
  }
  return best
}

function editDistance(a: string, b: string): number {
  let row = Array.from({ length: b.length + 1 }, (_, i) => i)
  for (let i = 1; i <= a.length; i++) {
    const next = [i]
    for (let j = 1; j <= b.length; j++) {
      next[j] = Math.min(row[j]! + 1, next[j - 1]! + 1, row[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1))
    }
    row = next
  }
  return row[b.length]!
}

/** A short, safe rendering of any value for error messages; never throws (a revoked Proxy included). */
export function describe(value: unknown): string {
  try {
    return describeValue(value)
  } catch {
    return typeof value
  }
}

function describeValue(value: unknown): string {
  if (value === null || value === undefined) return String(value)
  switch (typeof value) {
    case 'string':
      return `string ${JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value)}`
    case 'number':
      return `number ${Object.is(value, -0) ? '-0' : value}`
    case 'bigint':
      return `bigint ${value}n`
    case 'boolean':
      return `boolean ${value}`
    case 'symbol':
      return `symbol ${value.description ?? ''}`.trim()
    case 'function':
      return `function ${value.name || '(anonymous)'}`
    default: {
      if (Array.isArray(value)) return `array of length ${value.length}`
      const tag = tagOf(value)
      return tag === 'Object' ? 'object' : `${tag} object`
    }
  }
}
