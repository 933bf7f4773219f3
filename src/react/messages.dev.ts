/**
 * useSocket's errors in full: the option, what it must be, and the value. The production build
 * swaps in messages.prod.ts (the option and the value only, as the socket's own options say them).
 */
import { describe } from '../options/messages.dev.js'

/** What a check expected, by name: call sites pass the key, so only this build carries the text. */
const EXPECTED = {
  key: 'a non-empty string',
  boolean: 'a boolean',
  linger: 'a number of ms >= 0',
  function: 'a function',
}
export type Expected = keyof typeof EXPECTED

/** `<name> must be <expected>, got <the value described>`. */
export function mustBe(name: string, value: unknown, expected: Expected): string {
  return `${name} must be ${EXPECTED[expected]}, got ${describe(value)}`
}
