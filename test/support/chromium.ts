/**
 * Debian's chromium for the browser tests (never a downloaded browser; `npm test`'s pretest
 * installs it). The flags keep it headless and off the network: without the background-networking
 * ones it keeps trying Google's hosts, which this machine's closed network refuses.
 */
import { existsSync } from 'node:fs'

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
]

/** Fail loudly, never skip: a missing browser is a broken setup, not a reason to test less. */
export function requireChromium(): void {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} is missing: run \`node test/support/ensure-system-deps.mjs\` (npm test does) or set CHROMIUM_PATH`)
  }
}
