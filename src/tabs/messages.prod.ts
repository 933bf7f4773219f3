/**
 * messages.dev.ts for the production build (tsup.config.ts swaps it in): the socket options' own
 * short form, `<name>: <the value described>`, which createSocket's bundle already carries. That
 * mustBe ignores what was expected, so it stands in for this one as it is (no wrapper to ship).
 */
import { mustBe as optionAndValue } from '../options/messages.dev.js'
import type { mustBe as full } from './messages.dev.js'

export const mustBe = optionAndValue as unknown as typeof full

/** What the debug option hears when this tab falls back to a socket of its own. */
export const ALONE = 'tabs: alone'
