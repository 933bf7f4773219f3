/** The Error carried by `'error'` events: a stable `code` to branch on, a readable message. */
import type { ErrorCode } from '../core/state.js'
import { describe } from '../options/messages.dev.js'
import { redactUrl } from '../options/url.js'

export type { ErrorCode }

export class LifelineError extends Error {
  override readonly name = 'LifelineError'
  readonly code: ErrorCode

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.code = code
  }
}

/** True for a LifelineError from any realm or copy of the package (instanceof is not enough). */
export function isLifelineError(value: unknown): value is LifelineError {
  return (
    value instanceof Error &&
    (value as { name?: unknown }).name === 'LifelineError' &&
    typeof (value as { code?: unknown }).code === 'string'
  )
}

/**
 * A message for any thrown value, with URLs in it redacted. Total: a value with no string form
 * (Object.create(null), a revoked Proxy, a throwing toString or message getter) is described, so
 * reporting a failure can never fail itself.
 */
export function errorText(error: unknown, redactParams?: readonly string[]): string {
  let text: string
  try {
    const message = error instanceof Error ? error.message : error
    text = typeof message === 'string' ? message : String(message)
  } catch {
    return `${describe(error)} (no string form)`
  }
  return text.replace(/\b(wss?|https?):\/\/[^\s"')]+/g, (url) => redactUrl(url, redactParams))
}
