/**
 * A real redis-server (Debian's, installed by test/support/ensure-system-deps.mjs) for the tests:
 * on a free loopback port, its data in a temp dir, in the foreground (no daemonizing), with an
 * append-only file fsynced on every write so a restart (even a SIGKILL) keeps what it acknowledged.
 * `restart()` stops it and starts it again on the same port and data; `stop()` ends it (bounded),
 * and an exit hook kills it if the test process dies first.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { createServer, connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll } from 'vitest'

export const REDIS_SERVER = ['/usr/bin/redis-server', '/usr/sbin/redis-server'].find((path) => existsSync(path))

export interface RedisServer {
  port: number
  url: string
  restart(signal?: NodeJS.Signals): Promise<void>
  /** Stop the server, keeping its data for up(). */
  down(signal?: NodeJS.Signals): Promise<void>
  up(): Promise<void>
  stop(): Promise<void>
}

const running = new Set<ChildProcess>()
process.on('exit', () => {
  for (const child of running) child.kill('SIGKILL')
})

export async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as { port: number }).port
  await new Promise((resolve) => server.close(resolve))
  return port
}

/** Resolve once a TCP connect to the port succeeds and PING answers PONG (bounded). */
async function ready(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1')
      socket.setTimeout(500, () => socket.destroy())
      socket.on('error', () => resolve(false))
      socket.on('close', () => resolve(false))
      socket.on('connect', () => socket.write('PING\r\n'))
      socket.on('data', (data) => {
        resolve(data.toString().startsWith('+PONG'))
        socket.destroy()
      })
    })
    if (ok) return
    if (Date.now() > deadline) throw new Error(`redis-server on port ${port} not ready within ${timeoutMs} ms`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

export async function startRedis(): Promise<RedisServer> {
  if (!REDIS_SERVER) throw new Error('redis-server is not installed (node test/support/ensure-system-deps.mjs installs it)')
  const dir = mkdtempSync(join(tmpdir(), 'lifeline-redis-'))
  const port = await freePort()
  let child: ChildProcess | undefined
  let log = ''
  const launch = async (): Promise<void> => {
    const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--daemonize', 'no', '--save', '', '--appendonly', 'yes', '--appendfsync', 'always', '--protected-mode', 'no']
    child = spawn(REDIS_SERVER!, args, { stdio: ['ignore', 'pipe', 'pipe'] })
    running.add(child)
    child.stdout!.on('data', (d: Buffer) => void (log = (log + d.toString()).slice(-4000)))
    child.stderr!.on('data', (d: Buffer) => void (log = (log + d.toString()).slice(-4000)))
    child.on('exit', () => running.delete(child!))
    try {
      await ready(port, 10_000)
    } catch (error) {
      throw new Error(`${(error as Error).message}\n${log}`)
    }
  }
  const halt = async (signal: NodeJS.Signals = 'SIGTERM'): Promise<void> => {
    const c = child
    if (!c || c.exitCode !== null || c.signalCode !== null) return
    const exited = new Promise((resolve) => c.once('exit', resolve))
    c.kill(signal)
    const timer = setTimeout(() => c.kill('SIGKILL'), 5_000)
    await exited
    clearTimeout(timer)
  }
  await launch()
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    down: halt,
    up: launch,
    async restart(signal) {
      await halt(signal)
      await launch()
    },
    async stop() {
      await halt()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

/**
 * A real redis-server for a whole test file (started before its tests, stopped after), and a list
 * of cleanups run newest first after each test.
 */
export function useRedisForFile(): { fleet: { readonly redis: RedisServer }; cleanups: Array<() => Promise<void> | void> } {
  let redis: RedisServer | undefined
  const cleanups: Array<() => Promise<void> | void> = []
  beforeAll(async () => {
    redis = await startRedis()
  }, 20_000)
  afterAll(async () => {
    await redis?.stop()
  })
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
  })
  return { fleet: { get redis() { return redis! } }, cleanups }
}
