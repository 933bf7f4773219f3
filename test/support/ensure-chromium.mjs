// Runs before `npm test`: the browser tests drive Debian's chromium (/usr/bin/chromium), never a
// downloaded browser. On a fresh machine of this project's kind we are root with apt: install it.
import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'

const CHROMIUM = '/usr/bin/chromium'
if (existsSync(CHROMIUM)) process.exit(0)

const root = typeof process.getuid === 'function' && process.getuid() === 0
if (!root) {
  console.error(`${CHROMIUM} is missing. Install Debian's chromium first: sudo apt-get update && sudo apt-get install -y chromium`)
  process.exit(1)
}
console.log(`${CHROMIUM} is missing: installing Debian's chromium with apt-get (once)…`)
const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }
execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env })
execFileSync('apt-get', ['install', '-y', '-qq', 'chromium'], { stdio: 'inherit', env })
if (!existsSync(CHROMIUM)) {
  console.error(`apt-get finished but ${CHROMIUM} is still missing`)
  process.exit(1)
}
