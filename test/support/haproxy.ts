/**
 * A real haproxy (Debian's, installed by test/support/ensure-system-deps.mjs) in front of the fleet
 * tests' nodes: round-robin over the given loopback ports, no stickiness, a fast health check so a
 * killed node is taken out (and a connect to it redispatched) within a few hundred ms. Generated
 * config in a temp dir, foreground (`-db`), on a free loopback port; `stop()` is bounded and an exit
 * hook kills it if the test process dies first.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { freePort } from './redis.js'

export const HAPROXY = ['/usr/sbin/haproxy', '/usr/bin/haproxy'].find((path) => existsSync(path))

export interface Haproxy {
  port: number
  url: string
  stop(): Promise<void>
}

const running = new Set<ChildProcess>()
process.on('exit', () => {
  for (const child of running) child.kill('SIGKILL')
})

function config(port: number, backends: number[]): string {
  return [
    'global',
    '  maxconn 2000',
    'defaults',
    '  mode http',
    '  timeout connect 500ms',
    '  timeout client 30s',
    '  timeout server 30s',
    '  timeout tunnel 30s',
    '  retries 3',
    '  option redispatch 1',
    'frontend fleet',
    `  bind 127.0.0.1:${port}`,
    '  default_backend nodes',
    'backend nodes',
    '  balance roundrobin',
    ...backends.map((p, i) => `  server n${i} 127.0.0.1:${p} check inter 100ms fall 1 rise 1`),
    '',
  ].join('\n')
}

async function accepting(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1')
      socket.on('connect', () => {
        socket.destroy()
        resolve(true)
      })
      socket.on('error', () => resolve(false))
    })
    if (ok) return
    if (Date.now() > deadline) throw new Error(`haproxy on port ${port} not accepting within ${timeoutMs} ms`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

export async function startHaproxy(backends: number[]): Promise<Haproxy> {
  if (!HAPROXY) throw new Error('haproxy is not installed (node test/support/ensure-system-deps.mjs installs it)')
  const dir = mkdtempSync(join(tmpdir(), 'lifeline-haproxy-'))
  const port = await freePort()
  const cfg = join(dir, 'haproxy.cfg')
  writeFileSync(cfg, config(port, backends))
  let log = ''
  const child = spawn(HAPROXY, ['-f', cfg, '-db'], { stdio: ['ignore', 'pipe', 'pipe'] })
  running.add(child)
  child.stdout!.on('data', (d: Buffer) => void (log = (log + d.toString()).slice(-4000)))
  child.stderr!.on('data', (d: Buffer) => void (log = (log + d.toString()).slice(-4000)))
  child.on('exit', () => running.delete(child))
  try {
    await accepting(port, 10_000)
  } catch (error) {
    child.kill('SIGKILL')
    throw new Error(`${(error as Error).message}\n${log}`)
  }
  return {
    port,
    url: `ws://127.0.0.1:${port}`,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve))
        child.kill('SIGTERM')
        const timer = setTimeout(() => child.kill('SIGKILL'), 3_000)
        await exited
        clearTimeout(timer)
      }
      rmSync(dir, { recursive: true, force: true })
    },
  }
}
