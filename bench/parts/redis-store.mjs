// 12. Redis store (lifeline-ws/server/redis): what each message costs on the server and in Redis,
// at 1,000 and 10,000 client messages/s (each echoed back by the server: one message each way),
// and how long a session takes to resume on another node after its node was SIGKILLed.
// A redis-server (Debian's) on a free loopback port, AOF on with appendfsync everysec (its
// default durability); the node in its own process (its CPU measured there); the clients, the
// product's (createSocket with session()), in this process.
import { spawn, execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createSocket } from '../../dist/index.mjs'
import { session } from '../../dist/session.mjs'
import { here, start } from '../lib/spawn.mjs'
import { fmt, log, median, sleep, until } from '../lib/util.mjs'

const NODE = here('./redis-node.mjs', import.meta.url)
const SECONDS = 5

async function freePort() {
  const server = createServer()
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address()
  await new Promise((resolve) => server.close(resolve))
  return port
}

async function startRedis() {
  const dir = mkdtempSync(join(tmpdir(), 'lifeline-bench-redis-'))
  const port = await freePort()
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'yes', '--appendfsync', 'everysec'], { stdio: 'ignore' })
  process.on('exit', () => child.kill('SIGKILL'))
  const cli = (...args) => execFileSync('redis-cli', ['-p', String(port), ...args], { encoding: 'utf8' })
  await until(() => {
    try {
      return cli('PING').trim() === 'PONG'
    } catch {
      return false
    }
  }, 10_000, 5, 'redis-server up')
  return {
    url: `redis://127.0.0.1:${port}`,
    /** CPU µs of redis-server, bytes in and out, commands processed. */
    stats() {
      const fields = readFileSync(`/proc/${child.pid}/stat`, 'utf8').split(') ')[1].split(' ')
      const ticks = Number(fields[11]) + Number(fields[12])
      const info = Object.fromEntries(cli('INFO', 'stats').split('\r\n').filter((l) => l.includes(':')).map((l) => l.split(':')))
      return { cpu: (ticks * 1e6) / 100, in: Number(info.total_net_input_bytes), out: Number(info.total_net_output_bytes), commands: Number(info.total_commands_processed) }
    },
    stop() {
      child.kill('SIGKILL')
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

async function startNode(url) {
  const port = await freePort()
  const node = start(NODE, [String(port), url], { timeout: 600_000 })
  await node.ready
  return { node, url: `ws://127.0.0.1:${port}` }
}

function client(url) {
  const c = { socket: createSocket({ url, session: session(), backoff: { initialDelay: 50, maxDelay: 500 } }), received: 0, opens: [] }
  c.socket.on('message', () => void c.received++)
  c.socket.on('open', ({ resumed }) => void c.opens.push({ resumed, at: performance.now() }))
  return c
}

/** `rate` client messages/s for SECONDS over `clients` sessions; the cost per message, measured between the first and the last second. */
async function cost(redis, rate, clients) {
  const { node, url } = await startNode(redis.url)
  const cs = Array.from({ length: clients }, () => client(url))
  await until(() => cs.every((c) => c.opens.length > 0), 20_000, 5, 'clients open')
  const perTick = rate / clients / 100 // a send round every 10 ms
  let sent = 0
  let owed = 0
  const tick = setInterval(() => {
    owed += perTick
    for (; owed >= 1; owed--) for (const c of cs) (c.socket.send(`m${sent}`), sent++)
  }, 10)
  await sleep(1000)
  const [n0, r0, s0, t0] = [await node.call('stats'), redis.stats(), sent, performance.now()]
  await sleep(SECONDS * 1000)
  const [n1, r1, s1, t1] = [await node.call('stats'), redis.stats(), sent, performance.now()]
  clearInterval(tick)
  await until(() => cs.reduce((n, c) => n + c.received, 0) >= sent, 30_000, 10, 'every echo back').catch(() => {})
  const echoed = cs.reduce((n, c) => n + c.received, 0)
  for (const c of cs) c.socket.close()
  node.kill()
  const messages = s1 - s0
  return {
    rate,
    clients,
    achieved: (messages * 1000) / (t1 - t0),
    serverCpuPerMessage: (n1.cpu - n0.cpu) / messages,
    roundTripsPerMessage: (n1.commands - n0.commands) / messages,
    redisCommandsPerMessage: (r1.commands - r0.commands) / messages,
    redisCpuPerMessage: (r1.cpu - r0.cpu) / messages,
    bytesInPerMessage: (r1.in - r0.in) / messages,
    bytesOutPerMessage: (r1.out - r0.out) / messages,
    echoedAll: echoed >= sent,
    errors: n1.errors,
  }
}

/** SIGKILL the node a session is on, point the client at another: ms from the kill to `open` resumed. */
async function resumeAfterKill(redis) {
  const [a, b] = [await startNode(redis.url), await startNode(redis.url)]
  let target = a.url
  const c = client(() => target)
  await until(() => c.opens.length === 1, 10_000, 5, 'open on A')
  for (let i = 0; i < 20; i++) c.socket.send(`m${i}`)
  await until(() => c.received === 20, 10_000, 5, 'echoes from A')
  target = b.url
  const killed = performance.now()
  a.node.kill()
  await until(() => c.opens.length === 2, 30_000, 1, 'resumed on B')
  const open = c.opens[1]
  c.socket.close()
  b.node.kill()
  return { ms: open.at - killed, resumed: open.resumed }
}

export async function run({ rounds }) {
  const redis = await startRedis()
  try {
    const loads = []
    for (const [rate, clients] of [
      [1_000, 20],
      [10_000, 100],
    ]) {
      loads.push(await cost(redis, rate, clients))
      log(`  redis-store: ${rate} msg/s done`)
    }
    const resumes = []
    for (let i = 0; i < Math.min(rounds, 3); i++) resumes.push(await resumeAfterKill(redis))
    log('  redis-store: resumes done')
    const rows = loads.map((l) => [
      `${fmt(l.rate)} (${l.clients} sessions)`,
      `${fmt(l.achieved)}${l.echoedAll ? '' : ' (not all echoed)'}`,
      fmt(l.serverCpuPerMessage, 1),
      fmt(l.roundTripsPerMessage, 2),
      fmt(l.redisCpuPerMessage, 1),
      `${fmt(l.bytesInPerMessage)} / ${fmt(l.bytesOutPerMessage)}`,
    ])
    const ms = resumes.map((r) => r.ms)
    return {
      data: { loads, resumes },
      tables: [
        {
          title: '12. Redis store: cost per client message (each echoed: one message each way)',
          headers: ['target msg/s', 'achieved msg/s', 'server CPU µs / message', 'Redis round trips / message', 'redis-server CPU µs / message', 'bytes to / from Redis per message'],
          rows,
          notes: [
            `One node process (attachSessions + redisStore, an echo app), a local redis-server 7 (AOF, appendfsync everysec), the product's clients in the bench process; ${SECONDS} s measured after 1 s of warm-up; payloads of 2–7 bytes. Round trips are the store's commands (each one EVALSHA, or a plain command); coalesced writes ('started', 'handled', 'acked': one in flight each per session) make them fewer per message as the rate per session grows. Everything shares the machine's cores.`,
            `Resume on another node after a SIGKILL (${resumes.length} trials, default leaseTtl 3,000 ms): median ${fmt(median(ms))} ms (${ms.map((x) => fmt(x)).join(', ')}); all resumed: ${resumes.every((r) => r.resumed)}. The killed node's lease must run out before another can claim its sessions: the time is bounded by leaseTtl plus the client's reconnect.`,
          ],
        },
      ],
    }
  } finally {
    redis.stop()
  }
}
