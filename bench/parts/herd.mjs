// 6. Thundering herd, simulated on the pure core (simulateHerd drives the real transition function
// in virtual time): 100,000 clients lose the server at once (each notices within 100 ms); it is
// back after 1 s, 5 s and 60 s. Deterministic (seeded): these figures are exact for seed 1, not
// medians of timings.
import { createHash } from 'node:crypto'
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { Worker } from 'node:worker_threads'
import { WebSocket } from 'ws'
import { resolveOptions } from 'lifeline-ws/core'
import { BEFORE_ISSUE_13 } from '../lib/baseline.mjs'
import { fmt, log } from '../lib/util.mjs'
import { modelHerd, socketIoDelay, spreadDelay, summarise } from './herd-model.mjs'

const CLIENTS = Number(process.env.BENCH_HERD_CLIENTS ?? 100_000)
const OUTAGES = [1_000, 5_000, 60_000]
const GROUPS = 40 // reconnecting-websocket's per-client random base delay, in strata

/** The policy resolveOptions gives for these backoff options (everything else default). */
export function policyFor(backoff = {}) {
  return resolveOptions({
    url: 'ws://127.0.0.1:1',
    WebSocket,
    timer: { setTimeout, clearTimeout, now: Date.now },
    random: Math.random,
    backoff,
  }).policy
}
// a policy is described by its backoff options (workers rebuild it: a policy holds a function)
const base = {}
const withBackoff = (backoff) => backoff

/** The schedules simulateHerd runs (on the real transition function). */
export const SCHEDULES = [
  { key: 'spread', label: "**lifeline-ws 'spread' (default)**", policy: base },
  { key: 'full', label: "lifeline-ws 'full'", policy: withBackoff({ jitter: 'full' }) },
  { key: 'equal', label: "lifeline-ws 'equal'", policy: withBackoff({ jitter: 'equal' }) },
  { key: 'none', label: "lifeline-ws 'none'", policy: withBackoff({ jitter: 'none' }) },
  { key: 'decorrelated', label: "lifeline-ws 'decorrelated'", policy: withBackoff({ jitter: 'decorrelated' }) },
  {
    key: 'peers-1s',
    label: 'partysocket / reconnecting-websocket as in the issue: 1 s ×1.3 ≤ 10 s, no jitter',
    policy: withBackoff({ jitter: 'none', initialDelay: 1000, factor: 1.3, maxDelay: 10_000 }),
  },
  {
    key: 'rws',
    label: `reconnecting-websocket defaults: U[1, 5) s per client ×1.3 ≤ 10 s (${GROUPS} strata)`,
    groups: Array.from({ length: GROUPS }, (_, g) =>
      withBackoff({ jitter: 'none', initialDelay: 1000 + (4000 * (g + 0.5)) / GROUPS, factor: 1.3, maxDelay: 10_000 }),
    ),
  },
]

function pool(jobs, threads) {
  return new Promise((resolve, reject) => {
    const results = new Map()
    let next = 0
    let running = 0
    const file = new URL('./herd-worker.mjs', import.meta.url)
    const workers = Array.from({ length: Math.min(threads, jobs.length) }, () => new Worker(file))
    const feed = (w) => {
      if (next < jobs.length) {
        running++
        w.postMessage(jobs[next++])
      } else w.postMessage(null)
    }
    for (const w of workers) {
      w.on('message', (m) => {
        running--
        results.set(m.id, m)
        if (results.size === jobs.length) resolve(results)
        feed(w)
      })
      w.on('error', reject)
      feed(w)
    }
  })
}

/** The Socket.IO row's scale that gives the same time-to-99 % as `target` (bisection). */
function socketIoAt(outage, target) {
  let lo = 0.05
  let hi = 20
  let best
  for (let i = 0; i < 18; i++) {
    const s = Math.sqrt(lo * hi)
    const r = modelHerd({ clients: CLIENTS, outage, delay: (n, x) => socketIoDelay(n, x, s) })
    best = { scale: s, ...r }
    if (r.timeTo99 > target) hi = s
    else lo = s
  }
  return best
}

// The simulation is deterministic: for the same build of the core and the same schedules it gives
// the same figures. It is also slow (minutes of CPU for 100,000 clients × 60 s), so its figures are
// kept in bench/.out/ keyed by a hash of dist/*.mjs and these sources; --fresh recomputes.
const CACHE = new URL('../.out/herd-cache.json', import.meta.url)
function cacheKey() {
  const hash = createHash('sha256')
  const dist = new URL('../../dist/', import.meta.url)
  for (const f of readdirSync(dist).filter((f) => f.endsWith('.mjs')).sort()) hash.update(f).update(readFileSync(new URL(f, dist)))
  for (const f of ['./herd.mjs', './herd-model.mjs', './herd-worker.mjs']) hash.update(readFileSync(new URL(f, import.meta.url)))
  return hash.update(String(CLIENTS)).digest('hex')
}

export async function run({ fresh } = {}) {
  const key = cacheKey()
  if (!fresh) {
    try {
      const cached = JSON.parse(readFileSync(CACHE, 'utf8'))
      if (cached.key === key) {
        log(`  herd: figures from bench/.out/herd-cache.json (same build; computed ${cached.computedAt})`)
        const note = `Simulation figures reused from bench/.out/herd-cache.json: computed ${cached.computedAt} in ${fmt(cached.result.data.simSeconds)} s for this exact build of dist/ (\`npm run bench -- herd --fresh\` recomputes).`
        cached.result.tables.at(-1).notes.push(note)
        return withIssue13Targets({ ...cached.result, data: { ...cached.result.data, fromCache: cached.computedAt } })
      }
    } catch {}
  }
  const result = await simulate()
  mkdirSync(new URL('../.out/', import.meta.url), { recursive: true })
  writeFileSync(CACHE, JSON.stringify({ key, computedAt: new Date().toISOString(), result }))
  return withIssue13Targets(result)
}

/**
 * Issue 13: the herd must not get worse. The default schedule's figures against the ones from
 * before it (bench/lib/baseline.mjs); "no worse" allows 2 %, as the Socket.IO comparison does,
 * since a change in how the core draws its random numbers moves a seeded figure a little.
 */
function withIssue13Targets(result) {
  const before = BEFORE_ISSUE_13.herd
  const lines = [`**Issue 13: no worse than before it** (${BEFORE_ISSUE_13.source}; 'spread', the default; 2 % allowed):`]
  if (result.data.clients !== before.clients) lines.push(`- not compared: this run simulates ${fmt(result.data.clients)} clients, the figures before issue 13 are for ${fmt(before.clients)}.`)
  else {
    for (const outage of result.data.outages) {
      const was = before.spread[outage]
      const now = result.data.figures[outage]?.spread
      if (!was || !now) continue
      const cells = [
        ['first-retry stampede', now.peakAttempts, was.peakAttempts, ''],
        ['post-return peak', now.peakArrivals, was.peakArrivals, ''],
        ['time to 99 % back', now.timeTo99, was.timeTo99, ' ms'],
      ].map(([what, x, y, unit]) => `${what} ${fmt(x)}${unit} (before ${fmt(y)}${unit}) → ${x <= y * 1.02 ? 'no worse' : '**worse**'}`)
      lines.push(`- ${fmt(outage / 1000)} s outage: ${cells.join('; ')}.`)
    }
  }
  const tables = result.tables.map((t, i) => (i === result.tables.length - 1 ? { ...t, notes: [...(t.notes ?? []), '', ...lines] } : t))
  return { ...result, tables }
}

async function simulate() {
  const t0 = performance.now()
  const jobs = []
  for (const outage of [...OUTAGES].reverse()) {
    for (const s of SCHEDULES) {
      if (s.groups) {
        s.groups.forEach((policy, g) =>
          jobs.push({ id: `${s.key}:${outage}:${g}`, options: { clients: CLIENTS / GROUPS, policy, outage, seed: g + 1 } }),
        )
      } else jobs.push({ id: `${s.key}:${outage}`, options: { clients: CLIENTS, policy: s.policy, outage } })
    }
  }
  const threads = Number(process.env.BENCH_HERD_THREADS ?? 2)
  const done = await pool(jobs, threads)
  log(`  herd: ${jobs.length} simulations in ${((performance.now() - t0) / 1000).toFixed(1)} s on ${threads} threads`)

  const figures = {}
  const tables = []
  const verdicts = []
  for (const outage of OUTAGES) {
    const rows = []
    figures[outage] = {}
    for (const s of SCHEDULES) {
      let r
      if (s.groups) {
        // sum the strata's histograms; time to 99 % from the summed histogram (to the 100 ms bucket)
        const parts = s.groups.map((_, g) => done.get(`${s.key}:${outage}:${g}`).result)
        const attempts = parts[0].attempts.map((_, i) => parts.reduce((a, p) => a + p.attempts[i], 0))
        const arrivals = parts[0].arrivals.map((_, i) => parts.reduce((a, p) => a + p.arrivals[i], 0))
        let cum = 0
        let timeTo99 = Infinity
        for (let i = 0; i < arrivals.length; i++) {
          cum += arrivals[i]
          if (cum >= Math.ceil(CLIENTS * 0.99)) {
            timeTo99 = (i + 1) * 100 - outage
            break
          }
        }
        const during = parts.reduce((a, p) => a + p.attemptsPerClientDuringOutage, 0) / parts.length
        r = summarise({ attempts, arrivals, bucket: 100, outage, timeTo99, attemptsPerClientDuringOutage: during })
      } else r = done.get(`${s.key}:${outage}`).result
      figures[outage][s.key] = pick(r)
      rows.push(row(s.label, r))
    }
    const sio = modelHerd({ clients: CLIENTS, outage, delay: (n, x) => socketIoDelay(n, x) })
    figures[outage].socketio = pick(sio)
    rows.push(row('Socket.IO defaults: 1 s ×2 ±50 % ≤ 5 s (bench model of its formula, see note)', sio))
    const ours = figures[outage].spread
    const at = socketIoAt(outage, ours.timeTo99)
    figures[outage].socketioAtOurTime = { scale: at.scale, ...pick(at) }
    rows.push(row(`Socket.IO scaled ×${at.scale.toFixed(2)} to our time to 99 % (its frontier at that point)`, at))
    const peakOk = ours.peakArrivals <= at.peakArrivals
    const stampedeOk = ours.peakAttempts <= sio.peakAttempts * 1.02
    verdicts.push(
      `- ${fmt(outage / 1000)} s outage: post-return peak ${fmt(ours.peakArrivals)} vs Socket.IO's ${fmt(at.peakArrivals)} at equal time to 99 % (${fmt(ours.timeTo99)} ms) → ${peakOk ? 'on or beyond its frontier' : '**behind its frontier**'}; first-retry stampede ${fmt(ours.peakAttempts)} vs ${fmt(sio.peakAttempts)} → ${stampedeOk ? 'no worse' : '**worse**'}.`,
    )
    tables.push({
      title: `6. Thundering herd, ${fmt(CLIENTS)} clients, server back after ${fmt(outage / 1000)} s`,
      headers: ['schedule', 'peak attempts /100 ms (any time)', 'peak arrivals /100 ms after return', 'peak/mean (recovery)', 'time to 99 % back', 'attempts/client during outage'],
      rows,
    })
  }
  // the model's fidelity: lifeline's own 'spread' formula through the model vs simulateHerd
  const check = OUTAGES.map((outage) => {
    const m = modelHerd({ clients: CLIENTS, outage, delay: spreadDelay })
    const s = figures[outage].spread
    return `${fmt(outage / 1000)} s: peak arrivals ${fmt(m.peakArrivals)} vs ${fmt(s.peakArrivals)}, time to 99 % ${fmt(m.timeTo99)} vs ${fmt(s.timeTo99)} ms`
  })
  tables[tables.length - 1].notes = [
    '**Default policy against Socket.IO\'s frontier** (target: at equal time to 99 % a post-return peak no higher, and a first-retry stampede no worse; "no worse" allows 2 % for sampling noise between two random streams):',
    ...verdicts,
    '',
    'lifeline-ws and the peer schedules run on `simulateHerd` (the real `transition`, virtual time, seed 1; reconnecting-websocket\'s per-client random base is simulated as ' +
      `${GROUPS} strata of ${fmt(CLIENTS / GROUPS)} clients, its time to 99 % read from the summed histogram, to 100 ms). ` +
      "partysocket's own default base is 3 s, not 1 s (same lock-step shape, later); websocket-ts is not listed: its README's ConstantBackoff(1000) retries the whole fleet in lock-step every second, by construction.",
    "**Socket.IO rows are not simulateHerd**: simulateHerd cannot express Socket.IO's delay, so bench/parts/herd-model.mjs has a clearly labelled copy of its formula (socket.io-client lib/contrib/backo2.ts: `ms = 1000·2^n`, ±`floor(rand·0.5·ms)`, sign from the same rand, then `min(ms, 5000)`) in a minimal event model with simulateHerd's assumptions. Note the base is not capped before the jitter: 90 % of 4th retries (8 s ± 50 %) and **every** retry from the 5th on (16 s ± 50 % ≥ 8 s) land on exactly 5,000 ms, not half of them; the clients stay spread only because their earlier, jittered retries left them out of phase.",
    `Model check (lifeline's 'spread' formula through the same model vs simulateHerd): ${check.join('; ')}.`,
    'Times in ms. "Peak attempts" counts every connection attempt in any 100 ms bucket from the loss on (the first-retry stampede); "peak/mean" divides the peak arrivals by the mean arrivals per bucket from the return until 99 % are back.',
  ]
  return { data: { clients: CLIENTS, outages: OUTAGES, figures, simSeconds: (performance.now() - t0) / 1000 }, tables }
}

function pick(r) {
  return {
    peakAttempts: r.peakAttempts,
    peakArrivals: r.peakArrivals,
    peakToMean: r.peakToMean,
    timeTo99: r.timeTo99,
    attemptsPerClientDuringOutage: r.attemptsPerClientDuringOutage,
  }
}

function row(label, r) {
  return [label, fmt(r.peakAttempts), fmt(r.peakArrivals), fmt(r.peakToMean, 2), fmt(r.timeTo99), fmt(r.attemptsPerClientDuringOutage, 2)]
}
