// Runs before `npm test`: the browser tests drive Debian's chromium (/usr/bin/chromium), never a
// downloaded browser, and the kernel-level half-open link test needs iptables (it is skipped with a
// printed reason without it). On a fresh machine of this project's kind we are root with apt:
// install what is missing.
import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'

const CHROMIUM = '/usr/bin/chromium'
const has = (path) => existsSync(path)
const missing = []
if (!has(CHROMIUM)) missing.push('chromium')
if (!has('/usr/sbin/iptables') && !has('/sbin/iptables')) missing.push('iptables')
if (missing.length === 0) process.exit(0)

const root = typeof process.getuid === 'function' && process.getuid() === 0
if (!root) {
  console.error(`missing: ${missing.join(', ')}. Install first: sudo apt-get update && sudo apt-get install -y ${missing.join(' ')}`)
  // without chromium the browser tests cannot run; without iptables one test is skipped, loudly
  process.exit(missing.includes('chromium') ? 1 : 0)
}
console.log(`missing: ${missing.join(', ')}: installing with apt-get (once)…`)
const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }
execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env })
execFileSync('apt-get', ['install', '-y', '-qq', ...missing], { stdio: 'inherit', env })
if (!existsSync(CHROMIUM)) {
  console.error(`apt-get finished but ${CHROMIUM} is still missing`)
  process.exit(1)
}
