/**
 * The normalised policy the core runs on: plain data (plus one user predicate), frozen, produced by
 * `options.ts` from what the user passed. The core never sees raw options.
 */
import type { CloseInfo } from './state.js'

export type Jitter = 'spread' | 'full' | 'equal' | 'none' | 'decorrelated'

export interface BackoffPolicy {
  readonly initialDelay: number
  readonly maxDelay: number
  readonly factor: number
  readonly jitter: Jitter
  readonly maxRetries: number
  readonly resetAfter: number
}

export interface HeartbeatPolicy {
  readonly interval: number
  readonly timeout: number
  /** Resolved against the socket's abilities: protocol ping frames, or an app-level message. */
  readonly mode: 'protocol' | 'message'
}

/** Confirmation of written messages (issue 14): only with a heartbeat, which pings for it. */
export interface DeliveryPolicy {
  /** What happens to messages unconfirmed when their socket dies. */
  readonly mode: 'report' | 'resend'
  /** ms from the first write no ping covers to the confirmation ping. */
  readonly confirmDelay: number
}

export interface Policy {
  readonly connectTimeout: number
  readonly backoff: BackoffPolicy
  /** undefined: no heartbeat (disabled, or nothing to ping with on this runtime). */
  readonly heartbeat: HeartbeatPolicy | undefined
  readonly idleTimeout: number | undefined
  readonly maxLifetime: number | undefined
  readonly shouldReconnect: (close: CloseInfo) => boolean
  /** undefined: messages are not confirmed (no heartbeat to ping with). */
  readonly delivery?: DeliveryPolicy | undefined
  /**
   * How long a graceful close may wait for the peer's answer before the socket is terminated
   * (a dead link never answers; Node's ws would otherwise wait 30 s). heartbeat.timeout, or 5 s.
   */
  readonly closeTimeout: number
  /** The `handshake` option's deadline in ms; undefined: no handshake (open is open). */
  readonly handshakeTimeout?: number | undefined
  /**
   * Close codes that mean "credentials expired": refreshed and retried once at once. Empty when
   * there is nothing to refresh (no url/protocols provider).
   */
  readonly authCloseCodes?: readonly number[] | undefined
  /** How many URLs `url` lists (undefined: one). */
  readonly endpoints?: number | undefined
  /** Long outages; undefined: never suspended (suspendAfter Infinity). */
  readonly suspend?: SuspendPolicy | undefined
}

export interface SuspendPolicy {
  /** ms of failing to connect after which the socket is suspended. */
  readonly after: number
  /** The retry delay while suspended (±25 %). */
  readonly delay: number
  /** What happens to queued messages (and later sends) while suspended. */
  readonly queue: 'keep' | 'drop'
}

/** The close handshake deadline when there is no heartbeat timeout to reuse. */
export const CLOSE_TIMEOUT = 5_000

/** A probe (page visible again, wake from sleep) waits at most this long for an answer. */
export const PROBE_TIMEOUT = 2_000

/** A timer firing this much later than asked means the machine slept or the page was frozen. */
export const SLEEP_THRESHOLD = 5_000

/** `online` ends a backoff wait early, after a random pause below this (so a fleet does not stampede). */
export const ONLINE_JITTER = 1_000
