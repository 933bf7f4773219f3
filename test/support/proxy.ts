/**
 * A real HTTP CONNECT proxy for integration tests: Debian's tinyproxy in the foreground (`-d`) on
 * a free loopback port, with a generated config in a temp dir. `connects()` counts the CONNECT
 * requests it logged, so a test can tell a tunnelled connection from a direct one. `stop()` kills
 * it (SIGTERM, then SIGKILL after a bound) and removes the temp dir; `stopAllProxies()` (for
 * afterEach) stops every one still running.
 *
 * tinyproxy is installed by test/support/ensure-system-deps.mjs (`npm test`); `TINYPROXY` is its
 * path or undefined, for a describe.skipIf with a printed reason.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import net from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { waitFor } from './wait.js'

export const TINYPROXY = ['/usr/bin/tinyproxy', '/usr/sbin/tinyproxy'].find((path) => existsSync(path))

export interface TinyproxyOptions {
  /** The only ports CONNECT may reach; any other gets 403. @default [] (every port) */
  connectPorts?: readonly number[]
  /** Require these credentials (HTTP Basic); a request without them gets 407. */
  basicAuth?: { user: string; password: string }
}

export interface Tinyproxy {
  readonly port: number
  /** http://127.0.0.1:port/ */
  readonly url: string
  /** CONNECT requests logged so far. */
  connects(): number
  /** Everything tinyproxy printed (for failure messages). */
  log(): string
  stop(): Promise<void>
}

const running = new Set<Tinyproxy>()
const children = new Set<ChildProcess>()
// a safety net: a test worker that ends (or fails in a hook before stopAllProxies) leaves no proxy behind
process.once('exit', () => {
  for (const child of children) child.kill('SIGKILL')
})

export async function stopAllProxies(): Promise<void> {
  await Promise.all([...running].map((proxy) => proxy.stop()))
}

/** Start tinyproxy; retried on another port if the free one was taken in between (a narrow race). */
export async function startTinyproxy(options: TinyproxyOptions = {}): Promise<Tinyproxy> {
  if (!TINYPROXY) throw new Error('tinyproxy is not installed: run node test/support/ensure-system-deps.mjs as root')
  let lastError: unknown
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      return await startOn(await freePort(), options)
    } catch (error) {
      lastError = error
    }
  }
  throw lastError
}

async function startOn(port: number, options: TinyproxyOptions): Promise<Tinyproxy> {
  const dir = mkdtempSync(join(tmpdir(), 'lifeline-tinyproxy-'))
  const config = [
    `Port ${port}`,
    'Listen 127.0.0.1',
    'Allow 127.0.0.1',
    'Timeout 30',
    'MaxClients 50',
    'LogLevel Info',
    // no LogFile and no Syslog: in the foreground tinyproxy logs to stdout, read below
    ...(options.connectPorts ?? []).map((p) => `ConnectPort ${p}`),
    ...(options.basicAuth ? [`BasicAuth ${options.basicAuth.user} ${options.basicAuth.password}`] : []),
  ]
  writeFileSync(join(dir, 'tinyproxy.conf'), `${config.join('\n')}\n`)
  const child = spawn(TINYPROXY!, ['-d', '-c', join(dir, 'tinyproxy.conf')], { stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()))
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()))
  children.add(child)
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  void exited.then(() => children.delete(child))
  let stopped: Promise<void> | undefined
  const proxy: Tinyproxy = {
    port,
    url: `http://127.0.0.1:${port}/`,
    connects: () => output.match(/: CONNECT /g)?.length ?? 0,
    log: () => output,
    stop: () => {
      running.delete(proxy)
      stopped ??= stop(child, exited).finally(() => rmSync(dir, { recursive: true, force: true }))
      return stopped
    },
  }
  running.add(proxy)
  try {
    await waitFor(() => child.exitCode !== null || /Accepting connections/.test(output), 5_000, `tinyproxy to listen on ${port}`, {
      describe: () => `output:\n${output}`,
    })
    if (child.exitCode !== null) throw new Error(`tinyproxy exited with ${child.exitCode}:\n${output}`)
    await accepts(port)
  } catch (error) {
    await proxy.stop()
    throw error
  }
  return proxy
}

async function stop(child: ChildProcess, exited: Promise<void>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  child.kill('SIGTERM')
  let timer: NodeJS.Timeout | undefined
  const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), 2_000)))
  if ((await Promise.race([exited, late])) === 'late') {
    child.kill('SIGKILL')
    await exited
  }
  clearTimeout(timer)
}

/** Resolve once a TCP connection to the port succeeds (bounded). */
async function accepts(port: number): Promise<void> {
  const deadline = Date.now() + 5_000
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, '127.0.0.1')
      socket.once('connect', () => {
        socket.destroy()
        resolve(true)
      })
      socket.once('error', () => resolve(false))
    })
    if (ok) return
    if (Date.now() > deadline) throw new Error(`tinyproxy never accepted a connection on ${port}`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

/** A port nothing listens on right now: bind port 0, read it, release it. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo
      server.close(() => resolve(port))
    })
  })
}
