/**
 * A connection attempt's first step: the URL and protocols (a provider's, awaited and checked
 * again, as a provider may return anything), then the WebSocket made from them. Whatever goes wrong
 * is handed back as the failure the core reads (`attempt-failed`), with a redacted message.
 */
import type { ErrorCode } from '../core/state.js'
import { describe } from '../options/messages.dev.js'
import { ownOnly } from '../options/read.js'
import { isUrl, normaliseUrl, redactUrl } from '../options/url.js'
import { checkProtocols, type Resolved } from '../options/validate.js'
import { logEffect } from './debug-log.js'
import { errorText } from './errors.js'
import type { WebSocketLike } from '../ports.js'

/** Who an attempt reports to (the driver). */
export interface AttemptHost {
  /** Whether attempt `id` is still the core's current one (a provider may take its time). */
  isCurrent(id: number): boolean
  attemptFailed(id: number, code: ErrorCode, message: string, fatal?: boolean): void
  /** The URL being tried, redacted: known before the constructor runs (or throws). */
  attemptUrl(url: string): void
  attemptStarted(id: number, ws: WebSocketLike): void
}

/** `endpoint`: which URL of a list (the core's choice). */
export function openSocket(options: Resolved, host: AttemptHost, id: number, endpoint: number): void {
  const { url: urlOption, protocols: protocolsOption, redactParams } = options
  // `session: true`: nothing connects before the session code is loaded
  const loading = options.sessionReady?.()
  if (loading) {
    loading.then(
      () => host.isCurrent(id) && openSocket(options, host, id, endpoint),
      (error: unknown) => {
        if (host.isCurrent(id)) host.attemptFailed(id, 'SESSION_LOAD', `lifeline-ws/session did not load: ${errorText(error, redactParams)}`)
      },
    )
    return
  }
  let url: unknown
  let protocols: unknown
  let pending: boolean
  try {
    url = typeof urlOption === 'function' ? urlOption() : isList(urlOption) ? urlOption[endpoint % urlOption.length] : urlOption
    protocols = typeof protocolsOption === 'function' ? protocolsOption() : protocolsOption
    // inside the try: reading `then` of what a provider returned may throw too
    pending = isThenable(url) || isThenable(protocols)
  } catch (error) {
    return host.attemptFailed(id, 'URL_PROVIDER', `url/protocols provider threw: ${errorText(error, redactParams)}`)
  }
  if (!pending) return construct(options, host, id, url, protocols)
  Promise.all([url, protocols]).then(
    ([u, p]) => construct(options, host, id, u, p),
    (error: unknown) => {
      if (host.isCurrent(id)) host.attemptFailed(id, 'URL_PROVIDER', `url/protocols provider rejected: ${errorText(error, redactParams)}`)
    },
  )
}

function construct(options: Resolved, host: AttemptHost, id: number, rawUrl: unknown, rawProtocols: unknown): void {
  if (!host.isCurrent(id)) return // the attempt was abandoned while the provider was busy
  const { WebSocket, wsOptions, debug, redactParams } = options
  let url: string
  try {
    if (typeof rawUrl !== 'string' && !isUrl(rawUrl)) {
      throw new TypeError(`expected a string or URL, got ${describe(rawUrl)}`)
    }
    url = normaliseUrl(rawUrl, 'url', redactParams)
    if (rawProtocols !== undefined) checkProtocols(rawProtocols, 'protocols')
  } catch (error) {
    return host.attemptFailed(id, 'URL_PROVIDER', `url/protocols provider gave a bad value: ${errorText(error, redactParams)}`)
  }
  const shown = redactUrl(url, redactParams)
  host.attemptUrl(shown)
  if (debug) logEffect(debug, { type: 'construct', id, url: shown })
  let ws: WebSocketLike
  try {
    const protocols = rawProtocols as string | string[] | undefined
    // read per attempt (a caller may change a header between attempts), own properties only:
    // ws must not find an inherited rejectUnauthorized on a polluted Object.prototype
    ws = wsOptions ? new WebSocket(url, protocols, ownOnly(wsOptions)) : new WebSocket(url, protocols)
  } catch (error) {
    // a TypeError/SyntaxError/RangeError thrown at construction (a header with a newline,
    // protocolVersion 99) is the configuration itself: every attempt would throw it again
    const config = isConfigError(error)
    // an adapter's own setting (HTTPS_PROXY…) names itself in the message; anything else came from wsOptions
    const why = config ? ` (a configuration error${wsOptions && !namesItsOption(error) ? ': check wsOptions' : ''}; not retried)` : ''
    return host.attemptFailed(id, 'SOCKET_ERROR', `WebSocket constructor threw: ${errorText(error, redactParams)}${why}`, config)
  }
  host.attemptStarted(id, ws)
}

function isConfigError(error: unknown): boolean {
  try {
    const name = (error as { name?: unknown } | null)?.name
    return name === 'TypeError' || name === 'SyntaxError' || name === 'RangeError'
  } catch {
    return false
  }
}

function namesItsOption(error: unknown): boolean {
  try {
    return typeof (error as { option?: unknown }).option === 'string'
  } catch {
    return false
  }
}

function isList(url: Resolved['url']): url is readonly (string | URL)[] {
  return Array.isArray(url)
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as PromiseLike<unknown> | undefined)?.then === 'function'
}
