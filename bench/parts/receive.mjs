// 2. Receive throughput, two ways.
//
// 2a. Steady state (the figure the target is about): each client in its own process on one
// long-lived connection, warmed up, never forced to GC (parts/receive-client.mjs). All clients
// stay connected at once; the parent asks one at a time for a burst (the order rotates each round),
// so only one client receives while the others idle. The server (its own process) writes
// pre-encoded frames straight to the TCP socket, far faster than any client reads: the 'server
// ceiling' row, a TCP reader that only counts bytes, shows how far.
//
// 2b. Recovery after deopt: the old measure. Every library in this one process, a fresh
// connection per round and a forced GC before each; V8 may drop the optimised receive path across
// those, and this shows how fast it comes back.
import { connect, LABELS, LIBS } from '../lib/clients.mjs'
import { start, startServer } from '../lib/spawn.mjs'
import { fmt, fullGc, log, median, now, ratio, rotate, sleep } from '../lib/util.mjs'

const CLIENT = new URL('./receive-client.mjs', import.meta.url).pathname
/** Messages per burst for 64 B; 4 KiB bursts carry a quarter as many (the bytes, not the count, bound them). */
const N = Number(process.env.BENCH_RECEIVE_N ?? 200_000)
const N_FOR = { 64: N, 4096: Math.round(N / 4) }
const RECOVERY_N = Number(process.env.BENCH_RECEIVE_RECOVERY_N ?? 100_000)
const SIZES = [64, 4096]
const CLIENTS = [...LIBS, 'ws-on']
const STEADY = [...CLIENTS, 'tcp']
const TARGET = 1.0
const WARMUP_BURSTS = 3
const label = (lib) => (lib === 'tcp' ? 'server ceiling: a TCP reader counting bytes (no WebSocket parsing)' : LABELS[lib])
const sizeLabel = (size) => (size === 64 ? '64 B' : '4 KiB')

export async function run({ rounds }) {
  const steady = await runSteady(rounds)
  const recovery = await runRecovery(rounds)
  return {
    data: { steady: steady.data, recovery: recovery.data },
    tables: [steady.table, recovery.table],
  }
}

// ── 2a. steady state ────────────────────────────────────────────────────────────────────────────

async function runSteady(rounds) {
  const server = await startServer()
  const rates = {}
  const cpu = {}
  for (const lib of STEADY) (rates[lib] = { 64: [], 4096: [] }), (cpu[lib] = { 64: [], 4096: [] })
  const children = {}
  try {
    // one size per child process, so that a client never switches between the two
    for (const lib of STEADY) {
      children[lib] = {}
      for (const size of SIZES) {
        const child = start(CLIENT, [lib, String(server.port), String(N_FOR[size]), String(size), String(WARMUP_BURSTS)], { timeout: 30 * 60_000 })
        await child.ready
        children[lib][size] = child
      }
    }
    log(`  receive (steady state): ${STEADY.length * SIZES.length} clients connected and warmed up`)
    for (let r = 0; r < rounds; r++) {
      for (const lib of rotate(STEADY, r)) {
        for (const size of SIZES) {
          const m = await children[lib][size].call('burst', { size })
          if (!m) throw new Error(`receive: the ${lib} client (${size} B) exited`)
          rates[lib][size].push(N_FOR[size] / (m.ms / 1000))
          cpu[lib][size].push(m.cpuNs)
        }
      }
      log(`  receive (steady state): round ${r + 1}/${rounds} done`)
    }
  } finally {
    for (const bySize of Object.values(children)) for (const child of Object.values(bySize)) child.kill()
    await server.exit()
  }
  const ratios = (table, lib, size) => table[lib][size].map((x, i) => x / table.ws[size][i])
  const rows = STEADY.flatMap((lib) =>
    SIZES.map((size) => {
      const r = ratios(rates, lib, size)
      const q = median(r)
      let target = ''
      if (lib === 'lifeline-ws' && size === 64) {
        const noise = Math.min(...r) < TARGET && Math.max(...r) >= TARGET ? ', within the round-to-round spread' : ''
        target = `≥ ${TARGET.toFixed(2)}×: ${q >= TARGET ? 'meets' : '**misses**'} (${ratio(q)}${noise})`
      }
      return [
        `${label(lib)}, ${sizeLabel(size)}`,
        fmt(median(rates[lib][size])),
        lib === 'ws' ? '1.00×' : `${ratio(q)} (${Math.min(...r).toFixed(2)}–${Math.max(...r).toFixed(2)})`,
        fmt(median(cpu[lib][size])),
        lib === 'ws' ? '1.00×' : ratio(median(ratios(cpu, lib, size))),
        target,
      ]
    }),
  )
  return {
    data: { N: N_FOR, rounds, warmupBursts: WARMUP_BURSTS, rates, cpu },
    table: {
      title: `2a. Receive throughput, steady state: a long-lived connection per client, each in its own process (${fmt(N_FOR[64])} × 64 B, ${fmt(N_FOR[4096])} × 4 KiB per burst)`,
      headers: ['client, message size', 'msgs/s', 'vs raw ws (min–max over rounds)', 'client CPU ns/msg', 'CPU vs raw ws', 'target'],
      rows,
      notes: [
        `Median of ${rounds} interleaved rounds (the order rotates each round); ratios pair by pair within a round. Each client (and each message size) runs in its own process on one connection it keeps for the whole part, after ${WARMUP_BURSTS} warm-up bursts; nothing forces a GC. Timed from the client's 'push' request until its listener saw the last message of the burst; only one client receives at a time.`,
        'The server writes pre-encoded frames (a 1 MiB Buffer of them) straight to the TCP socket: the "server ceiling" row, a TCP reader that only counts the bytes, is how fast it delivers, so every WebSocket client below it is the bottleneck of its own figure.',
        '"Client CPU" is process.cpuUsage() (user + system) of the receiving process over the burst, per message: it moves far less with the machine\'s load than msgs/s does. The ceiling is raw ws with onmessage (a MessageEvent and a string per text message, as every wrapper delivers); ws\'s own on(\'message\') (a Buffer, no UTF-8 decode, no event object) is shown below it for reference.',
      ],
    },
  }
}

// ── 2b. recovery after deopt ────────────────────────────────────────────────────────────────────

async function measureFresh(lib, port, n, size) {
  let count = 0
  let finish
  const done = new Promise((resolve) => (finish = resolve))
  const client = connect(lib, `ws://127.0.0.1:${port}/push?c=${lib}`, {
    onMessage: () => {
      if (++count === n) finish(now())
    },
  })
  await client.opened
  fullGc()
  await sleep(5)
  const c0 = process.cpuUsage()
  const t0 = now()
  client.send(`push:${n}:${size}`)
  const t1 = await Promise.race([done, sleep(60_000).then(() => NaN)])
  const cpu = process.cpuUsage(c0)
  client.close()
  await sleep(20)
  return { rate: n / ((t1 - t0) / 1000), cpu: ((cpu.user + cpu.system) * 1000) / n }
}

async function runRecovery(rounds) {
  const server = await startServer()
  const { port } = server
  const rates = {}
  const cpu = {}
  for (const lib of CLIENTS) (rates[lib] = { 64: [], 4096: [] }), (cpu[lib] = { 64: [], 4096: [] })
  try {
    for (const lib of CLIENTS) for (const size of SIZES) await measureFresh(lib, port, RECOVERY_N / 10, size) // warm-up
    for (let r = 0; r < rounds; r++) {
      for (const lib of rotate(CLIENTS, r)) {
        for (const size of SIZES) {
          const m = await measureFresh(lib, port, RECOVERY_N, size)
          rates[lib][size].push(m.rate)
          cpu[lib][size].push(m.cpu)
        }
      }
      log(`  receive (recovery after deopt): round ${r + 1}/${rounds} done`)
    }
  } finally {
    await server.exit()
  }
  const ratios = (table, lib, size) => table[lib][size].map((x, i) => x / table.ws[size][i])
  const rows = CLIENTS.flatMap((lib) =>
    SIZES.map((size) => {
      const r = ratios(rates, lib, size)
      return [
        `${LABELS[lib]}, ${sizeLabel(size)}`,
        fmt(median(rates[lib][size])),
        lib === 'ws' ? '1.00×' : `${ratio(median(r))} (${Math.min(...r).toFixed(2)}–${Math.max(...r).toFixed(2)})`,
        fmt(median(cpu[lib][size])),
        lib === 'ws' ? '1.00×' : ratio(median(ratios(cpu, lib, size))),
      ]
    }),
  )
  return {
    data: { N: RECOVERY_N, rounds, rates, cpu },
    table: {
      title: `2b. Receive throughput, recovery after deopt: a fresh connection and a forced GC per round, every library in one process (${fmt(RECOVERY_N)} messages)`,
      headers: ['client, message size', 'msgs/s', 'vs raw ws (min–max over rounds)', 'client CPU ns/msg', 'CPU vs raw ws'],
      rows,
      notes: [
        `Median of ${rounds} interleaved rounds (after a warm-up round of ${fmt(RECOVERY_N / 10)} per library and size); ratios pair by pair within a round. Same server as 2a.`,
        'Not the steady state: every library shares this process, each round opens a new connection, and two gc() calls run before each measurement. V8 can drop the optimised receive path across those (node --trace-deopt shows it), and the figure shows how quickly a library\'s path recovers. The target (2a) is about the steady state; issue 13 asks for both to be fixed.',
      ],
    },
  }
}
