// 6b. The herd, for real and small: 500 lifeline-ws clients (defaults) against a local server that
// goes away (every connection terminated, listener closed) and is back after 5 s, counted at the
// server. Each trial has its own server and client processes; the trials overlap in time.
import { WebSocket } from 'ws'
import { resolveOptions, simulateHerd } from 'lifeline-ws/core'
import { start, startServer } from '../lib/spawn.mjs'
import { fmt, log, median, sleep } from '../lib/util.mjs'

const CLIENT = new URL('./herd-real-client.mjs', import.meta.url).pathname
const CLIENTS = 500
const OUTAGE = 5_000
const BUCKET = 100

function figures(times, outage) {
  // times: ms after the server was back
  const sorted = [...times].sort((a, b) => a - b)
  const buckets = new Array(Math.ceil(20_000 / BUCKET)).fill(0)
  for (const t of sorted) buckets[Math.min(buckets.length - 1, Math.max(0, Math.floor(t / BUCKET)))]++
  const target = Math.ceil(CLIENTS * 0.99)
  const timeTo99 = sorted.length >= target ? sorted[target - 1] : Infinity
  const last = Number.isFinite(timeTo99) ? Math.floor(timeTo99 / BUCKET) : buckets.length - 1
  const window = buckets.slice(0, last + 1)
  const peak = Math.max(...buckets)
  const mean = window.reduce((a, b) => a + b, 0) / window.length
  return { back: sorted.length, peak, peakToMean: peak / mean, timeTo99, histogram: buckets.slice(0, last + 1), outage }
}

async function trial(delay) {
  await sleep(delay)
  const server = await startServer()
  const clients = start(CLIENT, [String(server.port), String(CLIENTS)], { timeout: 90_000 })
  await clients.ready
  await sleep(500)
  await server.call('log') // forget the first connections
  await server.call('stop')
  await sleep(OUTAGE)
  await server.call('start') // the clock restarts: arrival times are ms after the return
  const deadline = Date.now() + 20_000
  while (Date.now() < deadline && (await server.call('count')) < CLIENTS) await sleep(100)
  const arrivals = (await server.call('log')).map(([t]) => t)
  await clients.exit()
  await server.exit()
  return figures(arrivals, OUTAGE)
}

export async function run({ rounds }) {
  const results = await Promise.all(Array.from({ length: rounds }, (_, i) => trial(i * 1500)))
  log('  herd-real: done')
  // the same herd in simulateHerd: clients notice at once here (the server terminates them)
  const policy = resolveOptions({ url: 'ws://127.0.0.1:1', WebSocket, timer: { setTimeout, clearTimeout, now: Date.now }, random: Math.random }).policy
  const sims = Array.from({ length: rounds }, (_, seed) => simulateHerd({ clients: CLIENTS, policy, outage: OUTAGE, noticeWithin: 10, seed: seed + 1 }))
  const rows = [
    [
      `real: ${CLIENTS} lifeline-ws clients, counted at the server`,
      fmt(median(results.map((r) => r.peak))),
      fmt(median(results.map((r) => r.peakToMean)), 2),
      fmt(median(results.map((r) => r.timeTo99))),
      `${fmt(median(results.map((r) => r.back)))} of ${CLIENTS}`,
    ],
    [
      `simulateHerd, same ${CLIENTS} clients, notice within 10 ms`,
      fmt(median(sims.map((r) => r.peakArrivals))),
      fmt(median(sims.map((r) => r.peakToMean)), 2),
      fmt(median(sims.map((r) => r.timeTo99))),
      `${fmt(CLIENTS - sims[0].gaveUp)} of ${CLIENTS}`,
    ],
  ]
  const histogram = results[0].histogram
  return {
    data: { clients: CLIENTS, outage: OUTAGE, rounds, real: results, sim: sims.map((s) => ({ peakArrivals: s.peakArrivals, peakToMean: s.peakToMean, timeTo99: s.timeTo99 })) },
    tables: [
      {
        title: `6b. The herd for real: ${CLIENTS} clients, server back after ${fmt(OUTAGE / 1000)} s`,
        headers: ['', 'peak arrivals /100 ms after return', 'peak/mean', 'time to 99 % back (ms)', 'back'],
        rows,
        notes: [
          `Median of ${rounds} trials (own server and client processes each, overlapping in time). The server terminates every connection and closes its listener (clients see the close at once and retry: refused), then listens again on the same port. Arrivals per 100 ms after the return, first trial: ${histogram.join(' ')}.`,
        ],
      },
    ],
  }
}
