/**
 * createSharedSocket's option errors in full: the option, what it must be, and the value. The
 * production build swaps in messages.prod.ts (the option and the value only, as the socket's own
 * options say them).
 */
import { describe } from '../options/messages.dev.js'

/** What a check expected, by name: call sites pass the key, so only this build carries the text. */
const EXPECTED = {
  options: 'an object with a url',
  channel: 'a non-empty string',
  takeoverTimeout: 'a number of ms > 0',
  sharedWorker: 'a script URL',
  monitor: 'monitor from lifeline-ws/monitor',
  intents: 'tabIntents from lifeline-ws/tabs (for intent())',
}
export type Expected = keyof typeof EXPECTED

/** `<name> must be <expected>, got <the value described>`. */
export function mustBe(name: string, value: unknown, expected: Expected): string {
  return `${name} must be ${EXPECTED[expected]}, got ${describe(value)}`
}

/** What the debug option hears when this tab falls back to a socket of its own. */
export const ALONE = 'tabs: no Web Locks or BroadcastChannel; one socket per tab'
