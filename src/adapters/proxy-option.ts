/**
 * The `proxy` option (Node only) and its validation: no Node import here, so that the shared option
 * checks can use it in every build. What it does: src/adapters/node-proxy.ts.
 */
import { describe } from '../options/messages.dev.js'
import { redactUrl } from '../options/url.js'

/**
 * `'env'`: the proxy the environment names (as curl reads `HTTPS_PROXY`, `http_proxy`,
 * `ALL_PROXY`, `NO_PROXY`…); a URL string: always this proxy; `false`: never a proxy.
 */
export type ProxyOption = 'env' | string | false

/**
 * Check a `proxy` option as given; returns it with `undefined` read as the default `'env'`.
 * A string must be an absolute http: or https: URL; every message shows the value redacted.
 */
export function checkProxyOption(value: unknown): ProxyOption {
  if (value === undefined || value === 'env' || value === false) return value ?? 'env'
  if (typeof value !== 'string') {
    throw new TypeError(`proxy must be "env", false or an http: or https: URL string, got ${describe(value)}`)
  }
  checkProxyUrl(value, 'proxy')
  return value
}

/**
 * An absolute http: or https: URL, else a SyntaxError naming `name` and the value, redacted. The
 * error's `option` says which setting to fix (an attempt that fails on it must not point at wsOptions).
 */
export function checkProxyUrl(text: string, name: string): void {
  let url: URL
  try {
    url = new URL(text)
  } catch {
    throw naming(new SyntaxError(`${name} is not a valid absolute URL, got ${JSON.stringify(redactUrl(text))}`), name)
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw naming(new SyntaxError(`${name} must use http: or https:, got "${url.protocol}" in ${JSON.stringify(redactUrl(text))}`), name)
  }
}

/** `error` with a non-enumerable `option` (it names the setting; the message stays what it was). */
function naming(error: SyntaxError, option: string): SyntaxError {
  return Object.defineProperty(error, 'option', { value: option })
}
