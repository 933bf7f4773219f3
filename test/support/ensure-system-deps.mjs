// Runs before `npm test`: the browser tests drive Debian's chromium (/usr/bin/chromium), never a
// downloaded browser, the kernel-level half-open link test needs iptables, and the proxy tests need a
// real HTTP CONNECT proxy, tinyproxy (each of the last two is skipped with a printed reason without
// it). On a fresh machine of this project's kind we are root with apt:
// install what is missing.
import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'

const CHROMIUM = '/usr/bin/chromium'
const has = (path) => existsSync(path)
/** Each apt package this machine lacks, and why the tests want it. */
const WHY = {
  chromium: `test/browser and the Chromium part of the UMD tests drive ${CHROMIUM} (never a downloaded browser)`,
  iptables: 'test/integration/netns.test.ts black-holes a veth link with iptables (skipped, with the reason printed, without it)',
  tinyproxy: 'test/integration/proxy.test.ts connects through a real HTTP CONNECT proxy on loopback (skipped, with the reason printed, without it)',
  'redis-server': 'test/fleet/ runs lifeline-ws/server/redis against a real redis-server on a random loopback port (started and stopped by test/support/redis.ts)',
  haproxy: 'test/fleet/ puts 3 session server processes behind a real round-robin haproxy on loopback, no stickiness',
}
const missing = []
if (!has(CHROMIUM)) missing.push('chromium')
if (!has('/usr/sbin/iptables') && !has('/sbin/iptables')) missing.push('iptables')
if (!has('/usr/bin/tinyproxy') && !has('/usr/sbin/tinyproxy')) missing.push('tinyproxy')
if (!has('/usr/bin/redis-server') && !has('/usr/sbin/redis-server')) missing.push('redis-server')
if (!has('/usr/sbin/haproxy') && !has('/usr/bin/haproxy')) missing.push('haproxy')
if (missing.length === 0) {
  console.log('[system deps] chromium, iptables, tinyproxy, redis-server and haproxy are present: nothing to install')
  process.exit(0)
}

const list = missing.map((name) => `  - ${name}: ${WHY[name]}`).join('\n')
const root = typeof process.getuid === 'function' && process.getuid() === 0
if (!root) {
  console.error(`[system deps] missing apt packages:\n${list}\nInstall first: sudo apt-get update && sudo apt-get install -y ${missing.join(' ')}`)
  console.error('[system deps] or run `npm run test:quick` (no browsers, no extra runtimes, no root)')
  // without chromium the browser tests cannot run; without iptables or tinyproxy some tests are skipped, loudly
  process.exit(missing.includes('chromium') ? 1 : 0)
}
console.log(`[system deps] installing apt packages with apt-get update && apt-get install -y ${missing.join(' ')}:\n${list}`)
const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }
execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env })
execFileSync('apt-get', ['install', '-y', '-qq', ...missing], { stdio: 'inherit', env })
if (!existsSync(CHROMIUM)) {
  console.error(`apt-get finished but ${CHROMIUM} is still missing`)
  process.exit(1)
}
