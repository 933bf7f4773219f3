/**
 * The options a user passes and their defaults: every option's TSDoc carries its `@default`, and
 * {@link DEFAULTS} holds the values (a test reads both and checks they agree). Validation is in
 * validate.ts, URL helpers in url.ts.
 */
import { defaultShouldReconnect } from '../core/close-codes.js'
import type { Jitter } from '../core/policy.js'
import type { Data, Overflow } from '../core/queue.js'
import type { CloseInfo } from '../core/state.js'
import type { Clock, HandshakeOption, SessionOption, SessionOptions, WebSocketConstructor } from '../ports.js'

type MaybePromise<T> = T | Promise<T>
export type UrlOption = string | URL | readonly (string | URL)[] | (() => MaybePromise<string | URL>)
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
  /**
   * Where to connect: a ws/wss/http/https URL, a list of them (attempts rotate through the list
   * with the backoff; one that works is kept until it fails: README, "Endpoints"), or a function
   * called before every attempt.
   */
  url: UrlOption
  /** Subprotocols to offer, or a function called before every attempt. @default undefined */
  protocols?: ProtocolsOption
  /** `true`: stay `'idle'` until `connect()` or the first `send()`. @default false */
  lazy?: boolean
  /**
   * ms for TCP + TLS + HTTP upgrade (with a `session`, also HELLO and the server's WELCOME: a server
   * that takes lifeline.v1 and never answers is this timeout) before the attempt fails with
   * `CONNECT_TIMEOUT`, then retried per `backoff`. @default 10000
   */
  connectTimeout?: number
  /** The retry policy. @default each field's own (`DEFAULTS.backoff`) */
  backoff?: BackoffOptions
  /** The outbound queue used while not open. @default each field's own (`DEFAULTS.queue`) */
  queue?: QueueOptions
  /** Whether a close from the server is retried. @default defaultShouldReconnect (stop on 1002, 1003, 1007–1010) */
  shouldReconnect?: (close: CloseInfo) => boolean
  /** Binary messages arrive as `'arraybuffer'` or `'blob'` (Node: also `'nodebuffer'`). @default 'arraybuffer' */
  binaryType?: 'arraybuffer' | 'blob' | 'nodebuffer'
  /** Liveness pings; `false` turns them off. @default each field's own (`DEFAULTS.heartbeat`) */
  heartbeat?: HeartbeatOptions | false
  /**
   * What happens to a message written to a socket that dies before it is confirmed (an answered
   * ping confirms every write before it; so does a clean close): `'report'`: a 'drop' event, reason
   * `'unconfirmed'` (the server may or may not have read it); `'resend'`: written again first on the
   * next connection (the server may see it twice). Needs a heartbeat: without one nothing is
   * confirmed, and a message counts as sent once written. With a `session` the server's ACKs confirm
   * (no heartbeat needed), and this decides what a session the server lost (`resumed: false`) never
   * acknowledged: reported, or resent first on the new session. @default 'report'
   */
  delivery?: 'report' | 'resend'
  /**
   * ms from the first write no ping covers yet to the confirmation ping: one ping confirms a whole
   * burst (at 1,000 messages/s, about 20 per ping), and sendAsync() resolves about confirmDelay +
   * one round trip after the write. @default 20
   */
  confirmDelay?: number
  /** Reconnect when no application message arrives for this many ms (heartbeat answers and pings do not count). @default undefined (off) */
  idleTimeout?: number
  /** Rebuild the connection after this many ms (±10 %). @default undefined (never) */
  maxLifetime?: number
  /**
   * Runs after each socket opens and before `'open'` fires and the queue is written (README,
   * "Handshake"): `async ({ socket, attempt, signal }) => …`, where `socket.send()` and
   * `socket.receive()` talk on the new connection. Resolve: open. Reject with an error whose own
   * `kind` is `'auth'`: the url/protocols providers are called again and one attempt is made at
   * once, then the normal backoff; `'fatal'`: give up (`'giveup'` reason `'handshake'`); anything
   * else: back off. @default undefined (none)
   */
  handshake?: HandshakeOption
  /** ms the `handshake` may take before the attempt fails with `HANDSHAKE_TIMEOUT` (and backs off). @default 10000 */
  handshakeTimeout?: number
  /**
   * Close codes by which a server says the credentials expired: when `url` or `protocols` is a
   * provider, such a close refreshes them and retries once at once (then the normal backoff, and
   * `shouldReconnect` judges the code). Without a provider they are ordinary closes. @default [4001, 4401, 1008]
   */
  authCloseCodes?: readonly number[]
  /**
   * ms of failing to connect (from the first failure since the last open) after which the socket
   * is suspended (README, "Long outages"): a `'suspended'` event, and retries every
   * `suspendedDelay` until a connection opens or `online`, `visible` or `reconnect()` ends it.
   * `Infinity`: never. @default 120000
   */
  suspendAfter?: number
  /** ms between retries while suspended (±25 %). @default 30000 */
  suspendedDelay?: number
  /**
   * Queued messages while suspended: `'keep'` them for the next connection, or `'drop'` them (and
   * every later `send()` until the suspension ends) with reason `'suspended'`. @default 'keep'
   */
  suspendedQueue?: 'keep' | 'drop'
  /** The WebSocket constructor. Required in `lifeline-ws/core`. @default the adapter's (the global WebSocket; Node: `ws`) */
  WebSocket?: WebSocketConstructor
  /** Timers and the clock. Required in `lifeline-ws/core`. @default the adapter's (setTimeout, clearTimeout, Date.now, performance.now) */
  timer?: Clock
  /** Random numbers in [0, 1). Required in `lifeline-ws/core`. @default the adapter's (Math.random) */
  random?: () => number
  /**
   * Node only: passed as the third argument to `ws`'s constructor (headers, `ca`, `cert`,
   * `rejectUnauthorized`, `maxPayload`, `agent`…). @default undefined
   */
  wsOptions?: Record<string, unknown>
  /**
   * Node only (the built-in `ws` WebSocket): the HTTP proxy to connect through (README, "Node behind
   * a proxy"). `'env'`: the one `HTTPS_PROXY`/`http_proxy`/`ALL_PROXY` names unless `NO_PROXY` lists
   * the host (curl's rules); an http: or https: URL: always that one; `false`: none. Your own
   * `wsOptions.agent` wins. Other runtimes ignore it. @default 'env'
   */
  proxy?: 'env' | string | false
  /**
   * More parameter names to redact, on top of the built-in words (token, auth, key, secret, pass,
   * sig, session, bearer, sid, otp, nonce, csrf, hash, private…; see README "Redaction"): a query or
   * path parameter whose name contains one (case-insensitive) shows as `name=***` in `socket.url`,
   * debug lines, errors and events. @default []
   */
  redactParams?: readonly string[]
  /** A logger receiving one line per transition and effect (URLs redacted), e.g. console.debug. @default undefined */
  debug?: (line: string, fields: Record<string, unknown>) => void
  /**
   * A lifeline.v1 session with a `lifeline-ws/server` (README, "Sessions"): `true`, or the session
   * options (`{ fallback }`), and the session code is loaded on demand (a chunk of its own, fetched
   * before the first connection); or `session()` from `'lifeline-ws/session'`, which bundles it up
   * front. Every message both ways is then delivered exactly once, in order, across reconnects, and
   * `open` says `{ resumed }`. The server leads the heartbeat, so `heartbeat` is not used.
   * @default undefined (no session; `false` is the same)
   */
  session?: boolean | SessionOptions | SessionOption
}

/**
 * Every default, once (the ports, WebSocket, timer and random, come from the adapter). Frozen all
 * the way down; validate.ts merges the options a user passes over it. (`@__PURE__`: a bundle that
 * never validates options, `transition` alone, drops it.)
 */
export const DEFAULTS = /* @__PURE__ */ Object.freeze({
  protocols: undefined,
  lazy: false,
  connectTimeout: 10_000,
  backoff: /* @__PURE__ */ Object.freeze({
    initialDelay: 1_000,
    maxDelay: 5_000,
    factor: 2,
    jitter: 'spread',
    maxRetries: Infinity,
    resetAfter: 5_000,
  }),
  queue: /* @__PURE__ */ Object.freeze({
    maxMessages: 1_000,
    maxBytes: 1_048_576,
    overflow: 'reject',
    ttl: undefined,
  }),
  shouldReconnect: defaultShouldReconnect,
  binaryType: 'arraybuffer',
  heartbeat: /* @__PURE__ */ Object.freeze({
    interval: 25_000,
    timeout: 10_000,
    mode: 'auto',
    message: undefined,
    isPong: (data: unknown): boolean => data === 'pong',
  }),
  delivery: 'report',
  confirmDelay: 20,
  idleTimeout: undefined,
  maxLifetime: undefined,
  handshake: undefined,
  handshakeTimeout: 10_000,
  authCloseCodes: /* @__PURE__ */ Object.freeze([4001, 4401, 1008]) as readonly number[],
  suspendAfter: 120_000,
  suspendedDelay: 30_000,
  suspendedQueue: 'keep',
  wsOptions: undefined,
  proxy: 'env',
  redactParams: /* @__PURE__ */ Object.freeze([]) as readonly string[],
  debug: undefined,
  session: undefined,
})

/**
 * The smallest backoff.initialDelay: below it a server that fails every attempt is retried hundreds
 * of times a second (1e-9 ms made ~650 connects/s), which is a reconnect loop, not a backoff.
 */
export const MIN_INITIAL_DELAY = 10
