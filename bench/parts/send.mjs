// 1. Send throughput: N messages through each client to one local server (its own process),
// measured at the server: from the first send() until the server has counted all N and its
// 'done' came back (one loopback hop, ~0.1 ms, included for every client alike).
import { connect, LABELS, LIBS } from '../lib/clients.mjs'
import { startServer } from '../lib/spawn.mjs'
import { fmt, fullGc, log, median, now, ratio, rotate, sleep } from '../lib/util.mjs'

const N = Number(process.env.BENCH_SEND_N ?? 100_000)
const QUEUE_N = { 64: Math.round(N / 5), 4096: Math.round(N / 20) }
const SIZES = [64, 4096]
const HIGH_WATER = 1 << 20
const QUEUE_LIBS = ['ws-queue', 'lifeline-ws', 'reconnecting-websocket', 'partysocket', 'websocket-ts']

export async function measure(lib, port, n, size, queued) {
  const payload = 'x'.repeat(size)
  let finish
  const done = new Promise((resolve) => (finish = resolve))
  const client = connect(lib, `ws://127.0.0.1:${port}/sink?n=${n}&c=${lib}`, {
    onMessage: (d) => String(d) === 'done' && finish(now()),
    // lifeline's queue holds 1,000 messages / 1 MiB by default, and the messages written but not
    // yet confirmed by an answered ping count against it too (issue 14's back-pressure): raised so
    // that all N fit, queued or written in bursts of 1,000 between confirmations; past the limit
    // they would be refused as 'overflow' and the server would never count N
    queue: { maxMessages: n, maxBytes: n * size * 2 },
  })
  if (!queued) await client.opened
  fullGc()
  await sleep(5)
  const c0 = process.cpuUsage()
  const t0 = now()
  for (let i = 0; i < n; ) {
    const end = Math.min(n, i + 1000)
    for (; i < end; i++) client.send(payload)
    // the same flow control for every client: wait while more than 1 MiB is buffered
    if (!queued) while (client.bufferedAmount > HIGH_WATER) await new Promise(setImmediate)
  }
  const timeout = sleep(60_000).then(() => NaN)
  const t1 = await Promise.race([done, timeout])
  const cpu = process.cpuUsage(c0)
  client.close()
  await sleep(20)
  // messages per second, and this (client) process's CPU time per message in ns
  return { rate: n / ((t1 - t0) / 1000), cpu: ((cpu.user + cpu.system) * 1000) / n }
}

export async function run({ rounds }) {
  const server = await startServer()
  const { port } = server
  const direct = {} // lib → size → [rates per round]
  const queue = {}
  const cpu = {} // lib → size → [client CPU ns per message, per round]
  for (const lib of LIBS) (direct[lib] = { 64: [], 4096: [] }), (cpu[lib] = { 64: [], 4096: [] })
  for (const lib of QUEUE_LIBS) queue[lib] = { 64: [], 4096: [] }
  // warm-up round (not counted): JIT, connection setup, server
  for (const lib of LIBS) for (const size of SIZES) await measure(lib, port, N / 20, size, false)
  for (const lib of QUEUE_LIBS) for (const size of SIZES) await measure(lib, port, QUEUE_N[size] / 10, size, true)
  for (let r = 0; r < rounds; r++) {
    for (const lib of rotate(LIBS, r)) {
      for (const size of SIZES) {
        const m = await measure(lib, port, N, size, false)
        direct[lib][size].push(m.rate)
        cpu[lib][size].push(m.cpu)
      }
    }
    for (const lib of rotate(QUEUE_LIBS, r)) for (const size of SIZES) queue[lib][size].push((await measure(lib, port, QUEUE_N[size], size, true)).rate)
    log(`  send: round ${r + 1}/${rounds} done`)
  }
  await server.exit()

  const ratios = (table, base, lib, size) => table[lib][size].map((x, i) => x / table[base][size][i])
  const pairwise = (table, base, lib, size) => median(ratios(table, base, lib, size))
  const range = (table, base, lib, size) => {
    const r = ratios(table, base, lib, size)
    return `${Math.min(...r).toFixed(2)}–${Math.max(...r).toFixed(2)}`
  }
  const verdict = (table, lib, size) => {
    const q = pairwise(table, 'ws', lib, size)
    const r = ratios(table, 'ws', lib, size)
    const noise = Math.min(...r) < 0.98 && Math.max(...r) >= 0.98 ? ', within the round-to-round spread' : ''
    return q >= 0.98 ? `meets${noise}` : `**misses** (${ratio(q)}${noise})`
  }
  const rows = LIBS.flatMap((lib) =>
    SIZES.map((size) => [
      `${LABELS[lib]}, ${size === 64 ? '64 B' : '4 KiB'}`,
      fmt(median(direct[lib][size])),
      lib === 'ws' ? '1.00×' : `${ratio(pairwise(direct, 'ws', lib, size))} (${range(direct, 'ws', lib, size)})`,
      fmt(median(cpu[lib][size])),
      lib === 'ws' ? '1.00×' : ratio(pairwise(cpu, 'ws', lib, size)),
      lib === 'lifeline-ws' ? `≥ 0.98×: ${verdict(direct, lib, size)}` : '',
    ]),
  )
  const qrows = QUEUE_LIBS.map((lib) => [
    LABELS[lib],
    fmt(median(queue[lib][64])),
    lib === 'ws-queue' ? '1.00×' : ratio(pairwise(queue, 'ws-queue', lib, 64)),
    fmt(median(queue[lib][4096])),
    lib === 'ws-queue' ? '1.00×' : ratio(pairwise(queue, 'ws-queue', lib, 4096)),
  ])
  return {
    data: { N, QUEUE_N, rounds, direct, cpu, queue },
    tables: [
      {
        title: `1. Send throughput: ${fmt(N)} messages to an open socket, counted at the server`,
        headers: ['client, message size', 'msgs/s at the server', 'vs raw ws (min–max over rounds)', 'client CPU ns/msg', 'CPU vs raw ws', 'target'],
        rows,
        notes: [
          `Median of ${rounds} interleaved rounds (after one warm-up round); each ratio is taken pair by pair within a round, then the median.`,
          'Text messages; every client runs the same loop: send() 1,000 at a time, then wait while its bufferedAmount is above 1 MiB. Server: ws in its own process. "Client CPU" is process.cpuUsage() of the sending process over the same span, per message: it moves far less with the machine\'s load than throughput does (ws spends ~3 µs per message in its own write path).',
        ],
      },
      {
        title: `1b. Queue path: messages sent while connecting, flushed on open (${fmt(QUEUE_N[64])} × 64 B, ${fmt(QUEUE_N[4096])} × 4 KiB)`,
        headers: ['client', '64 B msgs/s', 'vs ceiling', '4 KiB msgs/s', 'vs ceiling'],
        rows: qrows,
        notes: [
          'Timed from the first send() (socket created just before, still connecting: the connect handshake is inside the figure) until the server has all N.',
          `lifeline-ws's queue is bounded (1,000 messages / 1 MiB by default); raised here to hold all N. raw ws has no queue: the ceiling is a plain array flushed in onopen. N is smaller here (the whole batch sits in memory at once, and the run must stay short).`,
        ],
      },
    ],
  }
}
