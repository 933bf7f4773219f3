// 2. Receive throughput: the server (its own process) pushes N text messages; timed from the
// client's 'push' request until its message listener has seen all N.
import { connect, LABELS, LIBS } from '../lib/clients.mjs'
import { startServer } from '../lib/spawn.mjs'
import { fmt, fullGc, log, median, now, ratio, rotate, sleep } from '../lib/util.mjs'

const N = Number(process.env.BENCH_RECEIVE_N ?? 100_000)
const SIZES = [64, 4096]
const CLIENTS = [...LIBS, 'ws-on']

async function measure(lib, port, n, size) {
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
  // messages per second, and this (client) process's CPU time per message in ns
  return { rate: n / ((t1 - t0) / 1000), cpu: ((cpu.user + cpu.system) * 1000) / n }
}

export async function run({ rounds }) {
  const server = await startServer()
  const { port } = server
  const rates = {}
  const cpu = {}
  for (const lib of CLIENTS) (rates[lib] = { 64: [], 4096: [] }), (cpu[lib] = { 64: [], 4096: [] })
  for (const lib of CLIENTS) for (const size of SIZES) await measure(lib, port, N / 10, size) // warm-up
  for (let r = 0; r < rounds; r++) {
    for (const lib of rotate(CLIENTS, r)) {
      for (const size of SIZES) {
        const m = await measure(lib, port, N, size)
        rates[lib][size].push(m.rate)
        cpu[lib][size].push(m.cpu)
      }
    }
    log(`  receive: round ${r + 1}/${rounds} done`)
  }
  await server.exit()
  const ratios = (table, lib, size) => table[lib][size].map((x, i) => x / table.ws[size][i])
  const rows = CLIENTS.flatMap((lib) =>
    SIZES.map((size) => {
      const r = ratios(rates, lib, size)
      return [
        `${LABELS[lib]}, ${size === 64 ? '64 B' : '4 KiB'}`,
        fmt(median(rates[lib][size])),
        lib === 'ws' ? '1.00×' : `${ratio(median(r))} (${Math.min(...r).toFixed(2)}–${Math.max(...r).toFixed(2)})`,
        fmt(median(cpu[lib][size])),
        lib === 'ws' ? '1.00×' : ratio(median(ratios(cpu, lib, size))),
      ]
    }),
  )
  return {
    data: { N, rounds, rates, cpu },
    tables: [
      {
        title: `2. Receive throughput: the server pushes ${fmt(N)} messages, until the client's listener saw all`,
        headers: ['client, message size', 'msgs/s', 'vs raw ws (min–max over rounds)', 'client CPU ns/msg', 'CPU vs raw ws'],
        rows,
        notes: [
          `Median of ${rounds} interleaved rounds (after a warm-up round); ratios pair by pair within a round. No target was set for this one.`,
          'The server sends in corked batches of 256 frames so that the client is the bottleneck; "client CPU" is process.cpuUsage() of the receiving process over the same span, per message.',
          "The ceiling is raw ws with onmessage (a MessageEvent and a string per text message, as every wrapper delivers); ws's own on('message') (a Buffer, no UTF-8 decode, no event object) is shown below it for reference.",
        ],
      },
    ],
  }
}
