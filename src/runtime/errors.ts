/** The Error carried by `'error'` events: a stable `code` to branch on, a readable message. */
import type { ErrorCode } from '../core/state.js'

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
