/**
 * Every runtime, for real: the built package (run `npm run build` first; `npm test` does) imported
 * as `'lifeline-ws'` by test/runtimes/smoke.mjs under Node 20 (the Node running this test), Node 22,
 * Node 24, Bun and Deno, each resolving package.json "exports" its own way, against a real `ws`
 * server on 127.0.0.1. Each run connects, echoes, completes a heartbeat round trip, survives one
 * abrupt server drop (TCP destroyed, no close frame) with three messages queued meanwhile,
 * reconnects, echoes again, closes and exits 0 by itself. Node 22 and 24 run a second time with
 * their own global WebSocket passed in: no ping frames there, so the heartbeat must fall back to
 * the 'ping' message.
 *
 * The runtimes are devDependencies (see test/runtimes/toolchain.ts for where they are looked up).
 * A missing one FAILS with a message saying how to install it: it is never skipped.
 */
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { copyFile, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { WebSocket } from 'ws'
import { closeAllServers, startWsServer, type TestWsServer } from '../support/servers.js'
import { findRuntime, type Runtime, type RuntimeName } from './toolchain.js'

const ROOT = resolve(import.meta.dirname, '../..')
const SMOKE = join(import.meta.dirname, 'smoke.mjs')
/** One smoke run must be over by then (the script's own watchdog is 20 s). */
const RUN_DEADLINE_MS = 25_000

type Heartbeat = 'ping frames' | "'ping' messages"

interface Case {
  runtime: RuntimeName
  /** 'global': pass the runtime's own globalThis.WebSocket as the WebSocket option. */
  websocket: 'default' | 'global'
  /** What the server must see as heartbeats. */
  heartbeat: Heartbeat
  /** Which build of the package the runtime resolved 'lifeline-ws' to (from the module path). */
  build: 'index.mjs' | 'worker.mjs'
}

const CASES: Case[] = [
  { runtime: 'node20', websocket: 'default', heartbeat: 'ping frames', build: 'index.mjs' },
  { runtime: 'node22', websocket: 'default', heartbeat: 'ping frames', build: 'index.mjs' },
  { runtime: 'node22', websocket: 'global', heartbeat: "'ping' messages", build: 'index.mjs' },
  { runtime: 'node24', websocket: 'default', heartbeat: 'ping frames', build: 'index.mjs' },
  { runtime: 'node24', websocket: 'global', heartbeat: "'ping' messages", build: 'index.mjs' },
  // Bun takes the "node" condition, so `ws` (which Bun serves from its own implementation)
  { runtime: 'bun', websocket: 'default', heartbeat: 'ping frames', build: 'index.mjs' },
  // Deno takes the "deno" condition: the worker build on Deno's own WebSocket, no ping frames
  { runtime: 'deno', websocket: 'default', heartbeat: "'ping' messages", build: 'worker.mjs' },
]

let temp: string
let consumer: string
const runtimes = new Map<RuntimeName, Runtime>()
const summary: string[] = []

beforeAll(async () => {
  if (!existsSync(join(ROOT, 'dist/index.mjs')) || !existsSync(join(ROOT, 'dist/worker.mjs'))) {
    throw new Error('dist/ is missing: run `npm run build` first')
  }
  // A consumer project: node_modules/lifeline-ws links to this repository, so every runtime resolves
  // the package through its package.json "exports"; `ws` and `isomorphic-ws` resolve from the
  // repository's node_modules (the link's real path).
  temp = await mkdtemp(join(tmpdir(), 'lifeline-runtimes-'))
  consumer = join(temp, 'consumer')
  await mkdir(join(consumer, 'node_modules'), { recursive: true })
  await writeFile(
    join(consumer, 'package.json'),
    JSON.stringify({ name: 'lifeline-runtimes-consumer', private: true, type: 'module' }, null, 2),
  )
  await symlink(ROOT, join(consumer, 'node_modules', 'lifeline-ws'), 'dir')
  await copyFile(SMOKE, join(consumer, 'smoke.mjs'))
  await mkdir(join(temp, 'deno-dir'))
}, 30_000)

afterAll(async () => {
  await closeAllServers()
  if (temp) await rm(temp, { recursive: true, force: true })
  if (summary.length > 0) console.log(`[runtimes]\n  ${summary.join('\n  ')}`)
})

/** The runtime, found once; a missing or wrong binary throws with instructions. */
async function runtime(name: RuntimeName): Promise<Runtime> {
  let found = runtimes.get(name)
  if (!found) {
    found = await findRuntime(name, ROOT)
    runtimes.set(name, found)
  }
  return found
}

/** The child's environment: ours without what would change how the runtime starts or resolves. */
function childEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {}
  for (const [key, value] of Object.entries(process.env)) {
    if (/^(NODE_OPTIONS|NODE_PATH|NODE_V8_COVERAGE|NODE_CHANNEL_FD|VITEST.*|TINYPOOL.*|npm_.*)$/i.test(key)) continue
    env[key] = value
  }
  env.NO_COLOR = '1'
  env.DENO_DIR = join(temp, 'deno-dir')
  env.DENO_NO_UPDATE_CHECK = '1'
  env.DENO_NO_PROMPT = '1'
  return env
}

interface SmokeLine {
  step: string
  [key: string]: unknown
}

interface SmokeRun {
  code: number | null
  signal: NodeJS.Signals | null
  lines: SmokeLine[]
  stdout: string
  stderr: string
  ms: number
}

/**
 * Run smoke.mjs under `rt`; on its 'ready' line, kill the server's TCP connections. Resolves when
 * the process exits; a process still running at the deadline is killed and reported.
 */
function runSmoke(rt: Runtime, url: string, websocket: Case['websocket'], server: TestWsServer): Promise<SmokeRun> {
  const started = performance.now()
  const child = spawn(rt.path, [...rt.runArgs, 'smoke.mjs', url, websocket], {
    cwd: consumer,
    env: childEnv(),
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stdout = ''
  let stderr = ''
  let pending = ''
  const lines: SmokeLine[] = []
  child.stdout.setEncoding('utf8')
  child.stderr.setEncoding('utf8')
  child.stdout.on('data', (chunk: string) => {
    stdout += chunk
    pending += chunk
    let nl: number
    while ((nl = pending.indexOf('\n')) >= 0) {
      const line = pending.slice(0, nl).trim()
      pending = pending.slice(nl + 1)
      if (!line.startsWith('SMOKE ')) continue
      const parsed = JSON.parse(line.slice('SMOKE '.length)) as SmokeLine
      lines.push(parsed)
      // the drop: every TCP connection destroyed, no close frame
      if (parsed.step === 'ready') server.killConnections()
    }
  })
  child.stderr.on('data', (chunk: string) => (stderr += chunk))
  return new Promise((done, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(
        new Error(
          `${rt.label} smoke.mjs still running after ${RUN_DEADLINE_MS} ms (killed)\nstdout:\n${stdout}\nstderr:\n${stderr}`,
        ),
      )
    }, RUN_DEADLINE_MS)
    child.once('error', (error) => {
      clearTimeout(timer)
      reject(new Error(`${rt.label}: could not start ${rt.path}: ${error.message}`))
    })
    child.once('close', (code, signal) => {
      clearTimeout(timer)
      done({ code, signal, lines, stdout, stderr, ms: Math.round(performance.now() - started) })
    })
  })
}

/** A `ws` echo server that answers the text 'ping' with 'pong' and counts ping frames. */
async function heartbeatServer(): Promise<{ server: TestWsServer; pingFrames: () => number }> {
  let frames = 0
  const server = await startWsServer({
    onMessage: (ws: WebSocket, data) => ws.send(data === 'ping' ? 'pong' : data),
    onConnection: (ws: WebSocket) => ws.on('ping', () => frames++), // ws answers with a pong itself
  })
  return { server, pingFrames: () => frames }
}

describe('lifeline-ws in every runtime (smoke.mjs)', () => {
  it.each(CASES)(
    '$runtime, WebSocket: $websocket — echo, abrupt drop, queued sends in order, reconnect, close, exit 0',
    async ({ runtime: name, websocket, heartbeat, build }) => {
      const rt = await runtime(name)
      const { server, pingFrames } = await heartbeatServer()
      const run = await runSmoke(rt, server.url, websocket, server)
      const output = `exit ${run.code ?? run.signal}\nstdout:\n${run.stdout}\nstderr:\n${run.stderr}`

      const failed = run.lines.find((l) => l.step === 'fail')
      expect(failed, `${rt.label} smoke.mjs failed: ${JSON.stringify(failed)}\n${output}`).toBeUndefined()
      expect(run.code, `${rt.label} smoke.mjs must exit 0 by itself\n${output}`).toBe(0)

      const info = run.lines.find((l) => l.step === 'runtime')
      const done = run.lines.find((l) => l.step === 'done')
      expect(info, output).toBeDefined()
      expect(done, output).toBeDefined()
      expect(info!.version, `${rt.label}: the script ran under a different version than found`).toBe(rt.version)
      expect(info!.build, `${rt.label} resolved 'lifeline-ws' to the wrong build`).toBe(build)

      // what reached the server, in order: the queued sends exactly between the two echoes
      const received = server.received.filter((m) => m !== 'ping')
      expect(received, `${rt.label}: what the server received (pings left out)`).toEqual([
        'echo-1',
        'queued-1',
        'queued-2',
        'queued-3',
        'echo-2',
      ])
      expect(done!.queuedWhileDown, 'the three sends were queued while the link was down').toBe(3)
      expect(done!.messages, 'what the script received back, in order').toEqual(['echo-1', 'queued-1', 'queued-2', 'queued-3', 'echo-2'])
      expect(done!.states).toEqual(['connecting', 'open', 'backoff', 'connecting', 'open', 'closed'])
      expect(server.connectionCount, 'one connection, and exactly one reconnect').toBe(2)

      const textPings = server.received.filter((m) => m === 'ping').length
      const seen: Heartbeat = pingFrames() > 0 ? 'ping frames' : "'ping' messages"
      expect(
        { seen, frames: pingFrames(), messages: textPings > 0 },
        `${rt.label} (WebSocket: ${websocket}): heartbeat by ${heartbeat} expected`,
      ).toEqual(
        heartbeat === 'ping frames'
          ? { seen, frames: expect.any(Number), messages: false }
          : { seen, frames: 0, messages: true },
      )
      expect(seen).toBe(heartbeat)

      summary.push(
        `${rt.label.padEnd(8)} ${String(rt.version).padEnd(9)} WebSocket: ${websocket.padEnd(7)} → ${build}, ` +
          `heartbeat by ${seen} (rtt ${done!.rtt} ms), ${run.ms} ms: ok`,
      )
    },
    RUN_DEADLINE_MS + 15_000,
  )
})
