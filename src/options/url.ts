/**
 * URLs: checking and normalising the `url` option (and every provider result), and redaction:
 * credentials and tokens never reach an error message, a log line or an event.
 *
 * The redaction rule (README, "Redaction"): `user:password@` becomes `***@`; a fragment becomes
 * `#***`; and a parameter's value becomes `***` when its name, decoded and lowercased, contains one of
 * SECRET_WORDS or one of the socket's `redactParams`. Parameters are those of the query (separated
 * by `&` or `;`) and of path segments (`/app;jsessionid=…`). A text that does not parse as a URL
 * loses everything from its first `?` or `;`.
 */
import { invalidUrl, urlFragment, urlScheme } from './messages.dev.js'
import { tagOf } from './read.js'

/** Words that mark a parameter as secret wherever they occur in its name (`access_token`, `X-Sid`). */
export const SECRET_WORDS: readonly string[] = /* @__PURE__ */ Object.freeze([
  'token', 'auth', 'key', 'secret', 'pass', 'pwd', 'sig', 'session', 'jwt', 'credential', 'code', 'ticket',
  'bearer', 'sid', 'hmac', 'otp', 'nonce', 'assertion', 'policy', 'csrf', 'pin', 'hash', 'private',
])

const NONE: readonly string[] = /* @__PURE__ */ Object.freeze([])
/** `name=value` after `?`, `&` or `;` in a query. */
const QUERY_PARAM = /([?&;])([^&;=]*)=([^&;]*)/g
/** `;name=value` in a path segment. */
const PATH_PARAM = /;([^;/=]*)=([^;/]*)/g

/** The URL with credentials, the fragment and secret-looking parameter values replaced by `***`. */
export function redactUrl(text: string, extraWords: readonly string[] = NONE): string {
  let url: URL
  try {
    url = new URL(text)
  } catch {
    // not parseable: strip anything that looks like credentials, parameters or a query, to be safe
    return text.replace(/\/\/[^/@]*@/, '//***@').replace(/[?;].*$/, (rest) => `${rest[0]}***`).replace(/#.*$/, '#***')
  }
  if (url.username || url.password) {
    url.username = '***'
    url.password = ''
  }
  const secret = (name: string): boolean => isSecret(name, extraWords)
  if (url.pathname.includes(';')) url.pathname = url.pathname.replace(PATH_PARAM, (all, name: string) => (secret(name) ? `;${name}=***` : all))
  if (url.search) url.search = url.search.replace(QUERY_PARAM, (all, sep: string, name: string) => (secret(name) ? `${sep}${name}=***` : all))
  // a fragment is never sent, but OAuth-style flows put tokens there: never show it
  if (url.hash) url.hash = '***'
  return sameText(url.href, text)
}

/**
 * `text` itself when `href` spells it: a URL every socket was given then stays one string, not a
 * copy per socket (10,000 sockets on one URL would otherwise hold 10,000 equal strings, twice).
 */
function sameText(href: string, text: string): string {
  return href === text ? text : href
}

function isSecret(name: string, extraWords: readonly string[]): boolean {
  let decoded = name
  try {
    decoded = decodeURIComponent(name.replace(/\+/g, ' '))
  } catch {
    // a malformed escape: match the name as written
  }
  const lower = decoded.toLowerCase()
  return SECRET_WORDS.some((word) => lower.includes(word)) || extraWords.some((word) => lower.includes(word))
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
    throw new SyntaxError(invalidUrl(name, redactUrl(text, redactParams)))
  }
  if (parsed.hash) {
    // a WebSocket URL cannot carry a fragment (ws refuses one on every attempt): say so now
    throw new SyntaxError(urlFragment(name, redactUrl(text, redactParams)))
  }
  const scheme = parsed.protocol
  if (scheme === 'http:') parsed.protocol = 'ws:'
  else if (scheme === 'https:') parsed.protocol = 'wss:'
  else if (scheme !== 'ws:' && scheme !== 'wss:') throw new SyntaxError(urlScheme(name, scheme, redactUrl(text, redactParams)))
  return sameText(parsed.href, text)
}
