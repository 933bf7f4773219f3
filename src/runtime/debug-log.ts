/**
 * The `debug` option's lines: one per transition (input, phase before and after) and one per
 * effect, as `key=value` text and as the same fields. Only called when `debug` is set.
 */
import type { Input, State } from '../core/state.js'

/** A debug logger: one line per transition and effect, and the same as fields. */
export type DebugLogger = (line: string, fields: Record<string, unknown>) => void

export function logTransition(debug: DebugLogger, input: Input, prev: State, next: State): void {
  log(debug, 'transition', { ...input, from: prev.phase, to: next.phase })
}

/** A command carried out, or a step of one (`{ type: 'construct', id, url }`). */
export function logEffect(debug: DebugLogger, effect: object): void {
  log(debug, 'effect', effect)
}

function log(debug: DebugLogger, kind: 'transition' | 'effect', subject: object): void {
  const fields: Record<string, unknown> = { kind, ...subject }
  const text = Object.entries(fields)
    .filter(([key, value]) => key !== 'kind' && key !== 'random' && value !== undefined && typeof value !== 'object')
    .map(([key, value]) => `${key}=${typeof value === 'string' && /\s/.test(value) ? JSON.stringify(value) : String(value)}`)
    .join(' ')
  try {
    debug(`lifeline-ws ${kind} ${text}`, fields)
  } catch {
    // a broken logger must not break the connection
  }
}
