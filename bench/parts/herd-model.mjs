// A minimal herd model for schedules that simulateHerd cannot express, with exactly simulateHerd's
// assumptions: every client notices the loss at a uniformly random time in [0, noticeWithin);
// an attempt before the server is back fails at once and the next retry is scheduled; an attempt
// at or after the return succeeds at once. Used ONLY for the Socket.IO row (and, to validate the
// model, once with lifeline-ws's own 'spread' formula, to compare with simulateHerd).
import { seededRandom } from 'lifeline-ws/core'

/**
 * COPY of Socket.IO's reconnection delay, for the Socket.IO row only. socket.io-client
 * lib/contrib/backo2.ts `Backoff.duration()` with the Manager's defaults (reconnectionDelay 1000,
 * reconnectionDelayMax 5000, randomizationFactor 0.5, factor 2):
 *   ms = min · factor^attempts            (NOT capped before the jitter)
 *   rand = Math.random(); deviation = floor(rand · jitter · ms)
 *   ms = (floor(rand · 10) & 1) == 0 ? ms − deviation : ms + deviation
 *   return Math.min(ms, max) | 0
 * `scale` multiplies min and max (used to trace Socket.IO's frontier at other speeds).
 */
export function socketIoDelay(n, random, scale = 1) {
  let ms = 1000 * scale * 2 ** n
  const rand = random
  const deviation = Math.floor(rand * 0.5 * ms)
  ms = (Math.floor(rand * 10) & 1) === 0 ? ms - deviation : ms + deviation
  return Math.min(ms, 5000 * scale) | 0
}

/** lifeline-ws's 'spread' with the default backoff (the README's formula), for validating the model. */
export function spreadDelay(n, random) {
  const v = Math.min(5000, 1000 * 2 ** n)
  return v >= 5000 ? 5000 * (0.5 + random / 2) : Math.min(5000, v * (0.5 + random))
}

/** Same result shape as simulateHerd's (the fields the tables use). */
export function modelHerd({ clients, outage, delay, noticeWithin = 100, bucket = 100, horizon = 120_000, seed = 1 }) {
  const random = seededRandom(seed)
  const end = outage + horizon
  const buckets = Math.ceil(end / bucket) + 1
  const attempts = new Array(buckets).fill(0)
  const arrivals = new Array(buckets).fill(0)
  const backAt = []
  let during = 0
  for (let c = 0; c < clients; c++) {
    let t = random() * noticeWithin
    for (let n = 0; ; n++) {
      t += delay(n, random())
      if (t > end) break
      const i = Math.floor(t / bucket)
      attempts[i]++
      if (t < outage) {
        during++
        continue
      }
      arrivals[i]++
      backAt.push(t - outage)
      break
    }
  }
  backAt.sort((a, b) => a - b)
  const target = Math.ceil(clients * 0.99)
  const timeTo99 = backAt.length >= target ? backAt[target - 1] : Infinity
  return summarise({ attempts, arrivals, bucket, outage, timeTo99, attemptsPerClientDuringOutage: during / clients })
}

/** peaks and peak/mean exactly as simulateHerd computes them. */
export function summarise({ attempts, arrivals, bucket, outage, timeTo99, attemptsPerClientDuringOutage }) {
  const firstBack = Math.floor(outage / bucket)
  const lastBack = Number.isFinite(timeTo99) ? Math.floor((outage + timeTo99) / bucket) : arrivals.length - 1
  const window = arrivals.slice(firstBack, lastBack + 1)
  let peakArrivals = 0
  for (let i = firstBack; i < arrivals.length; i++) peakArrivals = Math.max(peakArrivals, arrivals[i])
  let peakAttempts = 0
  for (const a of attempts) peakAttempts = Math.max(peakAttempts, a)
  const mean = window.reduce((a, b) => a + b, 0) / Math.max(1, window.length)
  return { peakAttempts, peakArrivals, peakToMean: mean > 0 ? peakArrivals / mean : 0, timeTo99, attemptsPerClientDuringOutage, attempts, arrivals }
}
