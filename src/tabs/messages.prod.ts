/**
 * messages.dev.ts for the production build (tsup.config.ts swaps it in): the socket options' own
 * short form, `<name>: <the value described>`, which createSocket's bundle already carries.
 */
import { mustBe as optionAndValue } from '../options/messages.dev.js'
import type { mustBe as full } from './messages.dev.js'

export const mustBe: typeof full = (name, value) => optionAndValue(name, value, 'object')
