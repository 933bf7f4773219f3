/**
 * Which close codes end the connection for good and which are retried, plus the hints a server can
 * give about when to come back. Pure tables and functions.
 */
import type { CloseInfo } from './state.js'

/**
 * Codes that mean "retrying would repeat the same failure": protocol error, unsupported data,
 * invalid payload, policy violation, message too big, missing extension.
 */
export const STOP_CODES: ReadonlySet<number> = new Set([1002, 1003, 1007, 1008, 1009, 1010])

/** The default `shouldReconnect`: every code retries except {@link STOP_CODES}. */
export function defaultShouldReconnect(close: CloseInfo): boolean {
  return !STOP_CODES.has(close.code)
}

/** 1013 Try Again Later: wait at least a quarter of `maxDelay`. */
export const TRY_AGAIN_LATER = 1013

const RETRY_AFTER = /(?:^|[\s;,])retry-after=(\d+(?:\.\d+)?)(?:$|[\s;,])/i

/** `retry-after=<seconds>` in a close reason, as milliseconds; undefined when absent. */
export function retryAfterMs(reason: string): number | undefined {
  const match = RETRY_AFTER.exec(reason)
  return match ? Number(match[1]) * 1000 : undefined
}

/** User-chosen close codes: 1000, or the application range 3000–4999 (as WHATWG WebSocket allows). */
export function isUserCloseCode(code: number): boolean {
  return code === 1000 || (Number.isInteger(code) && code >= 3000 && code <= 4999)
}

/**
 * Codes lifeline-ws closes with when it ends a socket itself. All are codes a browser lets a page
 * send (1000 or 3000–4999), so the close frame goes out where the link still carries it.
 */
export const CLIENT_CLOSE = Object.freeze({
  /** reconnect() and maxLifetime: an ordinary, graceful close. */
  normal: 1000,
  heartbeatTimeout: 4000,
  idleTimeout: 4001,
  offline: 4002,
  /** The `handshake` option failed or timed out. */
  handshakeFailed: 4003,
})
