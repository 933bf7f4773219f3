/**
 * The text of every error and warning about options, data and the socket's methods' arguments, in full: the option, what it must
 * be, and the value it got. The production build swaps in messages.prod.ts (same exports, short
 * texts: the option and the value); the error classes are chosen by the callers, so they are the
 * same in both builds.
 */
import { tagOf } from './read.js'
import { MIN_INITIAL_DELAY } from './types.js'

/** What a check expected, by name: call sites pass the short key, so only this build carries the text. */
const EXPECTED = {
  options: 'an object with a url',
  object: 'an object',
  objectOrFalse: 'an object or false',
  boolean: 'a boolean',
  number: 'a number',
  function: 'a function',
  WebSocket: 'a WebSocket constructor (lifeline-ws/core has no default)',
  timer: 'an object with setTimeout, clearTimeout and now (lifeline-ws/core has no default)',
  random: 'a function returning a number in [0, 1)',
  url: 'a string, a URL or a function returning one',
  urlList: 'a non-empty list of strings or URLs',
  urlEntry: 'a string or a URL',
  protocols: 'a string or an array of strings',
  redactParams: 'an array of non-empty strings',
  closeCodes: 'an array of close codes (whole numbers in 1000–4999)',
  data: 'a string, ArrayBuffer, ArrayBufferView or Blob',
  ms: 'a finite number of ms >= 0',
  positiveMs: 'a finite number of ms > 0',
  positiveMsOrInfinity: 'a number of ms > 0 or Infinity',
  factor: 'a finite number >= 1',
  count: 'a whole number >= 0',
  countOrInfinity: 'a whole number >= 0 or Infinity',
  session: "true, an object of session options ({ fallback }), false, or session() from 'lifeline-ws/session'",
  string: 'a string',
  closeCode: '1000 or an integer in 3000–4999',
  closeReason: 'at most 123 UTF-8 bytes',
}
export type Expected = keyof typeof EXPECTED

/** `<name> must be <expected>, got <the value described>`. */
export function mustBe(name: string, value: unknown, expected: Expected): string {
  return `${name} must be ${EXPECTED[expected]}, got ${describe(value)}`
}

/** `<name> must be "a", "b" or "c", got …`. */
export function mustBeOneOf(name: string, value: unknown, choices: readonly string[]): string {
  const quoted = choices.map((choice) => `"${choice}"`)
  const last = quoted.pop()
  return `${name} must be ${quoted.join(', ')} or ${last}, got ${describe(value)}`
}

/** on() with an event the socket does not have. */
export function unknownEvent(value: unknown, names: readonly string[]): string {
  return `on(event): unknown event ${describe(value)}; expected one of ${names.join(', ')}`
}

/** signal() with a name that is not an environment signal. */
export function unknownSignal(value: unknown, names: readonly string[]): string {
  return `signal(name): expected one of ${names.join(', ')}, got ${describe(value)}`
}

export function initialDelayTooSmall(value: unknown): string {
  return `backoff.initialDelay must be a finite number of ms >= ${MIN_INITIAL_DELAY} (less is a reconnect loop), got ${describe(value)}`
}

export function maxDelayBelowInitial(maxDelay: number, initialDelay: number): string {
  return `backoff.maxDelay (${maxDelay}) must be >= backoff.initialDelay (${initialDelay})`
}

/** An unknown key, with the nearest known one when a typo is likely. */
export function unknownOption(prefix: string, key: string, known: readonly string[]): string {
  const near = closest(key, known)
  return `Unknown option ${JSON.stringify(prefix + key)}${near ? `; did you mean ${JSON.stringify(prefix + near)}?` : ''}`
}

export const NO_PING_FRAMES: string =
  'heartbeat.mode is "protocol" but this WebSocket cannot send ping frames (browsers and workers cannot): use mode "message" with heartbeat.message'

export const PING_MESSAGE_REQUIRED: string = 'heartbeat.message is required when heartbeat.mode is "message", got undefined'

/** The react and tabs entries: `name` (their key option) names a connection whose url or protocols cannot be compared. */
export function nameRequired(name: string): string {
  return `${name} is required when url or protocols is a function`
}

/** `redacted` is the URL as redactUrl shows it: no message quotes a credential. */
export function invalidUrl(name: string, redacted: string): string {
  return `${name} is not a valid absolute URL, got ${JSON.stringify(redacted)}`
}

export function urlFragment(name: string, redacted: string): string {
  return `${name} must not contain a fragment (#…), got ${JSON.stringify(redacted)}`
}

export function urlScheme(name: string, scheme: string, redacted: string): string {
  return `${name} must use ws:, wss:, http: or https:, got "${scheme}" in ${JSON.stringify(redacted)}`
}

/** Never quotes the subprotocol: some carry a token (`['bearer', '<jwt>']`). */
export function invalidSubprotocol(name: string, index: number | undefined, value: unknown): string {
  const at = index === undefined ? '' : ` at index ${index}`
  const got = typeof value === 'string' ? `a string of ${value.length} characters` : typeof value
  return `${name} has an invalid subprotocol${at}: ${got} (RFC 6455 allows letters, digits and !#$%&'*+-.^_\`|~)`
}

export function repeatedSubprotocol(name: string, first: number, index: number): string {
  return `${name} lists one subprotocol twice, at index ${first} and at index ${index}`
}

export function detachedData(name: string, value: unknown): string {
  return `${name} must not be detached (its ArrayBuffer was transferred), got a detached ${describe(value)}`
}

export function forgedData(name: string, claimed: string): string {
  return `${name} must be ${EXPECTED.data}, got object with a forged Symbol.toStringTag "${claimed}"`
}

export const NO_HEARTBEAT_WARNING: string =
  "this socket has no heartbeat: its WebSocket cannot send ping frames (browsers and workers cannot) or hear their answers (`ws`'s own class as the WebSocket option: leave it out on Node, lifeline-ws brings a ws of its own) and heartbeat.message is not set, so a link that dies silently goes unnoticed and messages written to it are never confirmed (nor reported). Set heartbeat: { message: 'ping' } (your server answers 'pong'), or heartbeat: false to go without."

export const TLS_UNVERIFIED_WARNING: string =
  'wsOptions.rejectUnauthorized is false: TLS certificates are not verified, so anyone on the path can read and change the traffic. Pass the CA as wsOptions.ca instead.'

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
