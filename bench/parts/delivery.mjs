// Issue 14: what confirming every message costs. Against the benchmark server (its own process;
// `ws` answers ping frames by itself):
//   a. confirmation latency at 1,000 and 4,000 messages/s: sendAsync() → resolution (an answered
//      confirmation ping, confirmDelay 20 ms after the first write it covers), p50 / p99 / max;
//   b. send throughput with confirmation on (heartbeat on) vs off (heartbeat: false), paired per
//      round, counted at the server; target ≥ 0.95× (the same paced loop for both: see throughput());
//   c. bytes held unconfirmed by one open socket at 1,000 messages/s (stats().held every 10 ms).
import { createSocket } from 'lifeline-ws'
import { monitor } from 'lifeline-ws/monitor'
import { opened, sendAsync } from 'lifeline-ws/promises'
import os from 'node:os'
import { startServer } from '../lib/spawn.mjs'
import { fmt, fullGc, median, now, ratio, sleep } from '../lib/util.mjs'

// 200,000 per run (about 2 s at this machine's ~110,000/s): at 50,000 (0.45 s) one GC pause or
// scheduling hiccup moved a round's ratio by 10-30 % (the same build, minutes apart: rounds 0.81-1.37
// at 50,000, 0.88-1.06 at 200,000)
const N = Number(process.env.BENCH_DELIVERY_N ?? 200_000)
const SECONDS = Number(process.env.BENCH_DELIVERY_SECONDS ?? 3)
const PAYLOAD = 'x'.repeat(64)
const HIGH_WATER = 1 << 20

function percentile(sorted, p) {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] : NaN
}

/** Send at `rate` per second for SECONDS with sendAsync; the latency of each confirmation, and what was held. */
async function latency(port, rate) {
  const socket = createSocket({ url: `ws://127.0.0.1:${port}/sink?n=${Number.MAX_SAFE_INTEGER}`, queue: { maxMessages: 100_000, maxBytes: 1 << 28 } })
  const stats = monitor(socket)
  await opened(socket)
  const samples = []
  const held = []
  let failed = 0
  const start = now()
  let sent = 0
  const pending = []
  while (now() - start < SECONDS * 1000) {
    const due = Math.floor(((now() - start) * rate) / 1000)
    for (; sent < due; sent++) {
      const t0 = now()
      pending.push(sendAsync(socket, PAYLOAD).then(() => samples.push(now() - t0), () => failed++))
    }
    held.push(stats.stats().held.bytes)
    await sleep(10)
  }
  await Promise.all(pending)
  socket.close()
  samples.sort((a, b) => a - b)
  held.sort((a, b) => a - b)
  return { p50: percentile(samples, 50), p99: percentile(samples, 99), max: samples.at(-1), failed, heldMedian: percentile(held, 50), heldMax: held.at(-1) }
}

/**
 * N messages through an open socket, counted at the server. The loop yields to the event loop after
 * every 1,000 sends (and waits while more than 1 MiB is buffered), on and off alike: confirmation
 * needs turns of the event loop (the ping timer, the pong), and a burst that never yields leaves all
 * N unconfirmed at once, which measures holding 200,000 messages (and, under the default limits,
 * queueing and overflow), not the cost per message. The limits are large enough never to be reached;
 * a drop would make the figure meaningless, so it is counted and reported.
 */
async function throughput(port, confirm) {
  let finish
  const done = new Promise((resolve) => (finish = resolve))
  const socket = createSocket({
    url: `ws://127.0.0.1:${port}/sink?n=${N}`,
    heartbeat: confirm ? {} : false,
    queue: { maxMessages: N, maxBytes: N * 256 },
  })
  let dropped = 0
  socket.on('drop', () => dropped++)
  socket.on('message', (d) => String(d) === 'done' && finish(now()))
  await opened(socket)
  fullGc()
  await sleep(5)
  const c0 = process.cpuUsage()
  const t0 = now()
  for (let i = 0; i < N; ) {
    const end = Math.min(N, i + 1000)
    for (; i < end; i++) socket.send(PAYLOAD)
    do await new Promise(setImmediate)
    while (socket.bufferedAmount > HIGH_WATER)
  }
  const t1 = await Promise.race([done, sleep(60_000).then(() => NaN)])
  const cpu = process.cpuUsage(c0)
  socket.close()
  await sleep(20)
  if (dropped > 0) throw new Error(`delivery throughput (confirmation ${confirm ? 'on' : 'off'}): ${dropped} messages dropped`)
  // messages per second at the server, and this (client) process's CPU time per message in ns
  return { rate: N / ((t1 - t0) / 1000), cpu: ((cpu.user + cpu.system) * 1000) / N }
}

export async function run({ rounds }) {
  const load = os.loadavg()[0]
  const server = await startServer()
  const { port } = server
  await throughput(port, true) // warm-up
  await throughput(port, false)
  const on = []
  const off = []
  const pairs = []
  const cpuOn = []
  const cpuOff = []
  for (let r = 0; r < rounds; r++) {
    const order = r % 2 ? [false, true] : [true, false]
    const got = {}
    for (const confirm of order) got[confirm] = await throughput(port, confirm)
    on.push(got.true.rate)
    off.push(got.false.rate)
    pairs.push(got.true.rate / got.false.rate)
    cpuOn.push(got.true.cpu)
    cpuOff.push(got.false.cpu)
  }
  const lat = {}
  for (const rate of [1_000, 4_000]) lat[rate] = await latency(port, rate)
  server.exit?.()
  const pairRatio = median(pairs)
  return {
    data: { N, SECONDS, rounds, load, on, off, pairs, cpuOn, cpuOff, latency: lat },
    tables: [
      {
        title: 'Delivery (issue 14): confirmation latency, and what confirming costs',
        headers: ['measure', 'value', 'target'],
        rows: [
          ...[1_000, 4_000].flatMap((rate) => [
            [`confirmation latency at ${fmt(rate)} msg/s, p50 / p99 / max (ms)`, `${fmt(lat[rate].p50, 1)} / ${fmt(lat[rate].p99, 1)} / ${fmt(lat[rate].max, 1)}`, ''],
            [`bytes held unconfirmed at ${fmt(rate)} msg/s, median / max`, `${fmt(lat[rate].heldMedian)} / ${fmt(lat[rate].heldMax)}`, ''],
          ]),
          [`send throughput, confirmation on (msgs/s)`, fmt(median(on)), ''],
          [`send throughput, confirmation off (heartbeat: false)`, fmt(median(off)), ''],
          ['client CPU per message, on / off (ns; their ratio, paired)', `${fmt(median(cpuOn))} / ${fmt(median(cpuOff))} (${ratio(median(cpuOn.map((x, i) => x / cpuOff[i])))})`, ''],
          [`on vs off (paired per round, median; min–max ${Math.min(...pairs).toFixed(2)}–${Math.max(...pairs).toFixed(2)})`, ratio(pairRatio), `≥ 0.95×: ${pairRatio >= 0.95 ? 'met' : 'missed'}`],
        ],
        notes: [
          `${fmt(N)} × 64 B text per throughput run, ${rounds} rounds, on/off order alternating, 1-minute load average ${load.toFixed(2)} at the start; the sender yields after every 1,000 sends (on and off alike) so that confirmation runs during the run; latency runs ${SECONDS} s per rate with sendAsync() (confirmDelay 20 ms, protocol ping frames, the server's ws answers them). Held bytes sampled every 10 ms.`,
        ],
      },
    ],
  }
}
