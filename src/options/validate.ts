/**
 * Options validated into a frozen {@link Policy} and the rest of what the runtime needs. Every check
 * happens once, synchronously, at `createSocket()`; a bad value throws a TypeError, RangeError or
 * SyntaxError naming the option and the value it got (the texts are in messages.dev.ts).
 */
import { kindOf, viewParts } from '../core/data.js'
import { CLOSE_TIMEOUT, type BackoffPolicy, type DeliveryPolicy, type HeartbeatPolicy, type Policy, type SuspendPolicy } from '../core/policy.js'
import type { Data, QueuePolicy } from '../core/queue.js'
import type { CloseInfo } from '../core/state.js'
import type { Clock, HandshakeOption, SessionOption, SessionOptions, WebSocketConstructor } from '../ports.js'
import { shareEqual, type Share } from './intern.js'
import * as text from './messages.dev.js'
import { hasMember, memberOf, ownOnly, tagOf } from './read.js'
import { DEFAULTS, MIN_INITIAL_DELAY, type BackoffOptions, type HeartbeatOptions, type ProtocolsOption, type QueueOptions, type SocketOptions, type UrlOption } from './types.js'
import { isUrl, normaliseUrl } from './url.js'
import { warnOnce } from './warn.js'

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
  /**
   * lifeline-ws/session's `session()`, or (`session: true` / `{ … }`) the checked options of a
   * session whose code createSocket loads on demand; createSocket makes the socket's session from it.
   */
  readonly session: SessionOption | Required<SessionOptions> | undefined
  /** With a session: the `delivery` option, for what the server lost (a session needs no heartbeat for it). */
  readonly sessionDelivery?: 'report' | 'resend'
  /** The socket's session code is still loading (`session: true`): what an attempt waits for (the driver's copy only). */
  readonly sessionReady?: () => PromiseLike<void> | undefined
  /** Whether the session resumed at the last open (the socket's own options, with a session only). */
  readonly sessionResumed?: () => boolean
  /** Run on every opened socket before 'open' (policy.handshakeTimeout bounds it). */
  readonly handshake: HandshakeOption | undefined
}

const TIMER_KEYS = ['setTimeout', 'clearTimeout', 'now']

/** Validate options and normalise them, sharing equal policies between sockets (see intern.ts). Throws synchronously on the first bad value. */
export function resolveOptions(options: SocketOptions, defaults: Partial<SocketOptions> = {}): Resolved {
  return resolveWith(options, defaults, shareEqual)
}

/** resolveOptions, with the objects made by `share`. */
export function resolveWith(options: SocketOptions, defaults: Partial<SocketOptions>, share: Share): Resolved {
  if (options === null || typeof options !== 'object') throw new TypeError(text.mustBe('options', options, 'options'))
  // every option's name: those with a default, and the ports the adapters fill in (listed here, not
  // at load time, so that a bundle without resolveOptions drops DEFAULTS)
  checkKeys(options, ['url', ...Object.keys(DEFAULTS), 'WebSocket', 'timer', 'random'], '')
  // own properties only, into an object with no prototype: a key polluting Object.prototype
  // (wsOptions, debug, heartbeat…) must not fill in an option the caller did not set
  const merged = ownOnly(defaults, definedOnly(options)) as unknown as SocketOptions

  // first: every later message that quotes a URL redacts these too
  const redactParams = checkRedactParams(merged.redactParams)
  const url = checkUrlOption(merged.url, redactParams)
  const protocols = checkProtocolsOption(merged.protocols)
  // undefined means the default; null is a wrong value like any other (heartbeat: false is the one
  // documented "off")
  const lazy = orDefault(merged.lazy, DEFAULTS.lazy)
  if (typeof lazy !== 'boolean') throw new TypeError(text.mustBe('lazy', lazy, 'boolean'))
  const connectTimeout = duration('connectTimeout', orDefault(merged.connectTimeout, DEFAULTS.connectTimeout), true)

  const backoff = resolveBackoff(merged.backoff, share)
  const queue = resolveQueue(merged.queue, share)

  const shouldReconnect = checkFunction('shouldReconnect', orDefault(merged.shouldReconnect, DEFAULTS.shouldReconnect))
  const binaryType = oneOf('binaryType', orDefault(merged.binaryType, DEFAULTS.binaryType), ['arraybuffer', 'blob', 'nodebuffer'])

  const WebSocket = checkFunction('WebSocket', merged.WebSocket, 'WebSocket')
  const timer = checkTimer(merged.timer)
  const random = checkFunction('random', merged.random, 'random')
  const wsOptions = merged.wsOptions
  if (wsOptions !== undefined && (wsOptions === null || typeof wsOptions !== 'object')) throw new TypeError(text.mustBe('wsOptions', wsOptions, 'object'))
  if (wsOptions && Object.prototype.hasOwnProperty.call(wsOptions, 'rejectUnauthorized') && wsOptions.rejectUnauthorized === false) {
    warnOnce('rejectUnauthorized', text.TLS_UNVERIFIED_WARNING)
  }

  const debug = merged.debug === undefined ? undefined : checkFunction('debug', merged.debug)

  const prototype = (WebSocket as { prototype?: unknown }).prototype
  // ping frames count only with `onpong` to hear the answers: `ws`'s own class has ping() but reports
  // pongs as events, so its pings would go unanswered and time out on every idle link
  const pingFrames =
    typeof prototype === 'object' && prototype !== null && typeof memberOf(prototype, 'ping') === 'function' && hasMember(prototype, 'onpong')
  const session = resolveSession(merged.session)
  // a session's server leads the heartbeat (PING, and the client notices silence): no ping of our own, nothing to warn about
  const { heartbeat, pingMessage, isPong } = session ? resolveHeartbeat(false, pingFrames, share) : resolveHeartbeat(merged.heartbeat, pingFrames, share)
  const delivery = resolveDelivery(merged.delivery, merged.confirmDelay, heartbeat, share)
  const idleTimeout = optionalDuration('idleTimeout', merged.idleTimeout)
  const maxLifetime = optionalDuration('maxLifetime', merged.maxLifetime)
  const handshake = merged.handshake === undefined ? undefined : checkFunction('handshake', merged.handshake)
  const handshakeTimeout = duration('handshakeTimeout', orDefault(merged.handshakeTimeout, DEFAULTS.handshakeTimeout), true)
  // expired credentials are only worth a retry when the next attempt asks a provider for new ones
  const authCloseCodes = checkCloseCodes('authCloseCodes', merged.authCloseCodes)
  const refreshable = typeof url === 'function' || typeof protocols === 'function'
  const suspend = resolveSuspend(merged.suspendAfter, merged.suspendedDelay, merged.suspendedQueue, share)

  const policy: Policy = shareFields(share, 'policy', {
    connectTimeout,
    backoff,
    heartbeat,
    idleTimeout,
    maxLifetime,
    shouldReconnect: guardPredicate(shouldReconnect),
    closeTimeout: heartbeat?.timeout ?? CLOSE_TIMEOUT,
    delivery,
    handshakeTimeout: handshake ? handshakeTimeout : undefined,
    authCloseCodes: refreshable ? authCloseCodes : NO_CODES,
    suspend,
    endpoints: Array.isArray(url) ? url.length : undefined,
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
    session,
    sessionDelivery: session ? oneOf('delivery', orDefault(merged.delivery, DEFAULTS.delivery), ['report', 'resend'] as const) : undefined,
    handshake,
  }
  // shared only when it holds nothing that belongs to one socket (a provider, ws options,
  // a logger): the cache must not keep those alive
  const perSocket = typeof url !== 'string' || typeof protocols === 'function' || wsOptions || debug || typeof pingMessage === 'object' || session || handshake
  if (perSocket) return Object.freeze(resolved)
  // protocols by content, so equal lists given as different arrays still share
  return share(['resolved', url, JSON.stringify(protocols), JSON.stringify(redactParams), lazy, binaryType, pingMessage, policy, queue, WebSocket, timer, random, isPong], resolved)
}

function resolveBackoff(input: BackoffOptions | undefined, share: Share): BackoffPolicy {
  const b = optionGroup('backoff', input, DEFAULTS.backoff)
  const initialDelay = number('backoff.initialDelay', b.initialDelay)
  if (!Number.isFinite(initialDelay) || !(initialDelay >= MIN_INITIAL_DELAY)) {
    throw new RangeError(text.initialDelayTooSmall(initialDelay))
  }
  const maxDelay = duration('backoff.maxDelay', b.maxDelay)
  if (maxDelay < initialDelay) throw new RangeError(text.maxDelayBelowInitial(maxDelay, initialDelay))
  const factor = number('backoff.factor', b.factor)
  if (!Number.isFinite(factor) || factor < 1) throw new RangeError(text.mustBe('backoff.factor', factor, 'factor'))
  const jitter = oneOf('backoff.jitter', b.jitter, ['spread', 'full', 'equal', 'none', 'decorrelated'])
  const maxRetries = count('backoff.maxRetries', b.maxRetries, 'countOrInfinity')
  const resetAfter = duration('backoff.resetAfter', b.resetAfter)
  return shareFields(share, 'backoff', { initialDelay, maxDelay, factor, jitter, maxRetries, resetAfter })
}

function resolveQueue(input: QueueOptions | undefined, share: Share): QueuePolicy {
  const q = optionGroup('queue', input, DEFAULTS.queue)
  const maxMessages = count('queue.maxMessages', q.maxMessages)
  const maxBytes = count('queue.maxBytes', q.maxBytes)
  const overflow = oneOf('queue.overflow', q.overflow, ['reject', 'drop-oldest'])
  const ttl = optionalDuration('queue.ttl', q.ttl)
  return shareFields(share, 'queue', { maxMessages, maxBytes, overflow, ttl })
}

function resolveHeartbeat(
  input: HeartbeatOptions | false | undefined,
  pingFrames: boolean,
  share: Share,
): { heartbeat: HeartbeatPolicy | undefined; pingMessage: Resolved['pingMessage']; isPong: Resolved['isPong'] } {
  if (input === false) return { heartbeat: undefined, pingMessage: undefined, isPong: DEFAULTS.heartbeat.isPong }
  const h: HeartbeatOptions = optionGroup('heartbeat', input, DEFAULTS.heartbeat, 'objectOrFalse')
  const interval = duration('heartbeat.interval', h.interval, true)
  const timeout = duration('heartbeat.timeout', h.timeout, true)
  const mode = oneOf('heartbeat.mode', h.mode, ['auto', 'protocol', 'message'])
  const message = h.message
  if (message !== undefined && typeof message !== 'function') checkData('heartbeat.message', message)
  const isPong = checkFunction('heartbeat.isPong', h.isPong)
  if (mode === 'protocol' && !pingFrames) throw new TypeError(text.NO_PING_FRAMES)
  if (mode === 'message' && message === undefined) throw new TypeError(text.PING_MESSAGE_REQUIRED)
  const resolved: 'protocol' | 'message' | undefined =
    mode === 'protocol' || (mode === 'auto' && pingFrames) ? 'protocol' : message !== undefined ? 'message' : undefined
  // heartbeat not false, yet nothing to ping with (a browser or worker without a message): a link
  // that dies silently would go unnoticed, and nothing else would say so
  if (resolved === undefined) warnOnce('no-heartbeat', text.NO_HEARTBEAT_WARNING)
  return {
    heartbeat: resolved ? shareFields(share, 'heartbeat', { interval, timeout, mode: resolved }) : undefined,
    pingMessage: message,
    isPong,
  }
}

/**
 * `session()`'s port as given; `true` or `{ … }` (checked now): one that loads the session code when
 * the socket first connects; `false`/undefined: none.
 */
function resolveSession(value: unknown): Resolved['session'] {
  if (value === undefined || value === false) return undefined
  if (typeof value === 'function') return value as SessionOption
  const options = optionGroup('session', value === true ? undefined : value, { fallback: 'fail' }, 'session')
  return { fallback: oneOf('session.fallback', options.fallback, ['fail', 'plain']) }
}

/** Long outages: undefined when suspendAfter is Infinity (never suspended). */
function resolveSuspend(after: unknown, delay: unknown, queue: unknown, share: Share): SuspendPolicy | undefined {
  const suspendAfter = number('suspendAfter', orDefault(after, DEFAULTS.suspendAfter))
  if (!(suspendAfter > 0)) throw new RangeError(text.mustBe('suspendAfter', suspendAfter, 'positiveMsOrInfinity'))
  const suspendedDelay = duration('suspendedDelay', orDefault(delay, DEFAULTS.suspendedDelay), true)
  const suspendedQueue = oneOf('suspendedQueue', orDefault(queue, DEFAULTS.suspendedQueue), ['keep', 'drop'])
  return suspendAfter === Infinity ? undefined : shareFields(share, 'suspend', { after: suspendAfter, delay: suspendedDelay, queue: suspendedQueue })
}

/** Confirmation of written messages: checked always, in force only with a heartbeat to ping with. */
function resolveDelivery(mode: unknown, confirmDelay: unknown, heartbeat: HeartbeatPolicy | undefined, share: Share): DeliveryPolicy | undefined {
  const checkedMode = oneOf('delivery', orDefault(mode, DEFAULTS.delivery), ['report', 'resend'])
  const delay = duration('confirmDelay', orDefault(confirmDelay, DEFAULTS.confirmDelay))
  return heartbeat ? shareFields(share, 'delivery', { mode: checkedMode, confirmDelay: delay }) : undefined
}

/** `fields` frozen, or the equal object an earlier socket made: the key is `kind` then the values in field order. */
function shareFields<T extends object>(share: Share, kind: string, fields: T): T {
  return share([kind, ...Object.values(fields)], fields)
}

// ── small checks ─────────────────────────────────────────────────────────────────────────────────

function checkFunction<T>(name: string, value: T, expected: text.Expected = 'function'): T & Function {
  if (typeof value !== 'function') throw new TypeError(text.mustBe(name, value, expected))
  return value
}

/** `value` if it is one of `choices`, else a TypeError listing them. */
function oneOf<T extends string>(name: string, value: unknown, choices: readonly T[]): T {
  if (choices.includes(value as T)) return value as T
  throw new TypeError(text.mustBeOneOf(name, value, choices))
}

function checkUrlOption(url: unknown, redactParams: readonly string[]): UrlOption {
  if (typeof url === 'function') return url as UrlOption
  if (Array.isArray(url)) {
    if (url.length === 0) throw new TypeError(text.mustBe('url', url, 'urlList'))
    url.forEach((entry: unknown, i) => {
      if (typeof entry !== 'string' && !isUrl(entry)) throw new TypeError(text.mustBe(`url[${i}]`, entry, 'urlEntry'))
      normaliseUrl(entry, `url[${i}]`, redactParams)
    })
    // a copy: the caller may change its array
    return Object.freeze([...url]) as readonly (string | URL)[]
  }
  if (typeof url === 'string' || isUrl(url)) {
    normaliseUrl(url, 'url', redactParams)
    return url as UrlOption
  }
  throw new TypeError(text.mustBe('url', url, 'url'))
}

const NO_CODES: readonly number[] = /* @__PURE__ */ Object.freeze([])

/** A list of close codes a server may send (1000–4999); the default list when undefined. */
function checkCloseCodes(name: string, value: unknown): readonly number[] {
  if (value === undefined) return DEFAULTS.authCloseCodes
  if (!Array.isArray(value) || !value.every((code) => Number.isInteger(code) && code >= 1000 && code <= 4999)) {
    throw new TypeError(text.mustBe(name, value, 'closeCodes'))
  }
  return Object.freeze([...value] as number[])
}

function checkRedactParams(value: unknown): readonly string[] {
  if (value === undefined) return DEFAULTS.redactParams
  if (!Array.isArray(value) || !value.every((word) => typeof word === 'string' && word !== '')) {
    throw new TypeError(text.mustBe('redactParams', value, 'redactParams'))
  }
  return Object.freeze(value.map((word: string) => word.toLowerCase()))
}

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
  if (!Array.isArray(list)) throw new TypeError(text.mustBe(name, protocols, 'protocols'))
  const seen = new Map<string, number>()
  list.forEach((p: unknown, i) => {
    if (typeof p !== 'string' || !/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(p)) {
      throw new SyntaxError(text.invalidSubprotocol(name, single ? undefined : i, p))
    }
    const first = seen.get(p)
    if (first !== undefined) throw new SyntaxError(text.repeatedSubprotocol(name, first, i))
    seen.set(p, i)
  })
}

function checkTimer(timer: unknown): Clock {
  if (timer === null || typeof timer !== 'object') throw new TypeError(text.mustBe('timer', timer, 'timer'))
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
      throw new TypeError(text.detachedData(name, data))
    }
    return
  }
  if (kind !== undefined) return
  // by brand, not by tag: an object that only claims to be binary data would break the queue's sums
  const claimed = typeof data === 'object' && data !== null ? tagOf(data) : ''
  if (BINARY_TAG.test(claimed)) throw new TypeError(text.forgedData(name, claimed))
  throw new TypeError(text.mustBe(name, data, 'data'))
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

/**
 * An option group (`backoff`, `queue`, `heartbeat`) checked for unknown keys and merged over its
 * defaults; undefined fields take the default.
 */
function optionGroup<T extends object>(name: string, value: unknown, defaults: T, expected: text.Expected = 'object'): T {
  if (value === undefined) return ownOnly(defaults) as T
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new TypeError(text.mustBe(name, value, expected))
  checkKeys(value, Object.keys(defaults), `${name}.`)
  return ownOnly(defaults, definedOnly(value)) as T
}

/** `value`, or `fallback` when it is undefined (only then: null is a value, and a wrong one). */
function orDefault<T>(value: T | undefined, fallback: T): T {
  return value === undefined ? fallback : value
}

function number(name: string, value: unknown): number {
  if (typeof value !== 'number') throw new TypeError(text.mustBe(name, value, 'number'))
  return value
}

/** A delay in ms: finite and >= 0 (or > 0 where zero makes no sense). */
function duration(name: string, value: unknown, positive = false): number {
  const n = number(name, value)
  if (!Number.isFinite(n) || n < 0 || (positive && n === 0)) throw new RangeError(text.mustBe(name, n, positive ? 'positiveMs' : 'ms'))
  return n
}

function optionalDuration(name: string, value: unknown): number | undefined {
  return value === undefined ? undefined : duration(name, value, true)
}

/** A whole number >= 0, or Infinity (which only backoff.maxRetries mentions in its message). */
function count(name: string, value: unknown, expected: text.Expected = 'count'): number {
  const n = number(name, value)
  if (!(n >= 0) || (Number.isFinite(n) && !Number.isInteger(n))) throw new RangeError(text.mustBe(name, n, expected))
  return n
}

function checkKeys(object: object, known: readonly string[], prefix: string): void {
  for (const key of Object.keys(object)) {
    if (!known.includes(key)) throw new TypeError(text.unknownOption(prefix, key, known))
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
