/**
 * messages.dev.ts for the production build (tsup.config.ts swaps it in): the same exports, each
 * text only the option's name and the value, e.g. `backoff.initialDelay: 1e-9`. The checks, and the
 * error classes their callers choose, are the same in both builds.
 */
import type { Expected } from './messages.dev.js'

export type { Expected }

export function mustBe(name: string, value: unknown, _expected: Expected): string {
  return `${name}: ${describe(value)}`
}

export function mustBeOneOf(name: string, value: unknown, _choices: readonly string[]): string {
  return `${name}: ${describe(value)}`
}

export function unknownEvent(value: unknown, _names: readonly string[]): string {
  return `on(event): ${describe(value)}`
}

export function unknownSignal(value: unknown, _names: readonly string[]): string {
  return `signal(name): ${describe(value)}`
}

export function initialDelayTooSmall(value: unknown): string {
  return `backoff.initialDelay: ${describe(value)}`
}

export function maxDelayBelowInitial(maxDelay: number, initialDelay: number): string {
  return `backoff.maxDelay: ${maxDelay} < ${initialDelay}`
}

export function unknownOption(prefix: string, key: string, _known: readonly string[]): string {
  return `Unknown option ${JSON.stringify(prefix + key)}`
}

export const NO_PING_FRAMES: string = 'heartbeat.mode: "protocol" (no ping frames)'

export const PING_MESSAGE_REQUIRED: string = 'heartbeat.message: undefined'

export function nameRequired(name: string): string {
  return `${name}: undefined`
}

export function invalidUrl(name: string, redacted: string): string {
  return `${name}: ${JSON.stringify(redacted)}`
}

export const urlFragment = invalidUrl

export function urlScheme(name: string, _scheme: string, redacted: string): string {
  return invalidUrl(name, redacted)
}

/** Never quotes the subprotocol: some carry a token. */
export function invalidSubprotocol(name: string, index: number | undefined, _value: unknown): string {
  return `${name}${index === undefined ? '' : `[${index}]`}: invalid`
}

export function repeatedSubprotocol(name: string, _first: number, index: number): string {
  return `${name}[${index}]: repeated`
}

export function detachedData(name: string, _value: unknown): string {
  return `${name}: detached`
}

export function forgedData(name: string, claimed: string): string {
  return `${name}: forged "${claimed}"`
}

export const NO_HEARTBEAT_WARNING: string = 'heartbeat: none (no ping frames, no heartbeat.message)'

export const TLS_UNVERIFIED_WARNING: string = 'wsOptions.rejectUnauthorized: false (TLS not verified)'

/** Strings (quoted, cut at 60) and numbers as themselves, objects by their type; never throws, never calls user code. */
export function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value)
  return value !== null && (typeof value === 'object' || typeof value === 'function') ? typeof value : String(value)
}
