// 7. Flap: a server that accepts every connection and closes it at once (1000). How often does
// each client come back? Real clients, a short run, counted at the server, extrapolated.
import { BEFORE_ISSUE_13 } from '../lib/baseline.mjs'
import { LABELS } from '../lib/clients.mjs'
import { start, startServer } from '../lib/spawn.mjs'
import { fmt, log, median } from '../lib/util.mjs'

const TRIAL = new URL('./flap-trial.mjs', import.meta.url).pathname
const LIBS = ['lifeline-ws', 'reconnecting-websocket', 'partysocket', 'websocket-ts']
const SECONDS = Number(process.env.BENCH_FLAP_SECONDS ?? 30)

export async function run({ rounds }) {
  const server = await startServer()
  await server.call('mark')
  await Promise.all(
    Array.from({ length: rounds }, (_, i) => start(TRIAL, [String(server.port), String(i), String(SECONDS)], { timeout: (SECONDS + 30) * 1000 }).result()),
  )
  const arrivals = await server.call('log')
  await server.exit()
  log('  flap: done')
  const per = {} // lib → trial → times
  for (const [t, id] of arrivals) {
    const [lib, trial] = id.split('@')
    ;((per[lib] ??= {})[trial] ??= []).push(t)
  }
  const rows = LIBS.map((lib) => {
    const trials = Object.values(per[lib] ?? {})
    const counts = trials.map((ts) => ts.length)
    const lastGaps = trials.filter((ts) => ts.length > 1).map((ts) => ts[ts.length - 1] - ts[ts.length - 2])
    const gap = median(lastGaps)
    return [
      LABELS[lib],
      fmt(median(counts)),
      fmt((median(counts) * 60) / SECONDS),
      `${fmt(gap / 1000, 1)} s → ${fmt(60_000 / gap, 0)}`,
      lib === 'lifeline-ws' ? target(median(counts)) : '',
    ]
  })
  return {
    data: { seconds: SECONDS, rounds, arrivals: per },
    tables: [
      {
        title: `7. Flap: the server accepts, then closes at once — attempts per client`,
        headers: ['client', `attempts in ${SECONDS} s (median of ${rounds})`, 'per minute, extrapolated ×' + fmt(60 / SECONDS, 0), 'last gap → per minute at that pace', 'target'],
        rows,
        notes: [
          `Real clients with their defaults, ${rounds} trials (one process each, all at once), ${SECONDS} s each; the server counts every upgrade. **Extrapolated**: a ${SECONDS} s run times ${fmt(60 / SECONDS, 0)} over-counts a first minute in which delays are still growing; the last column is the pace at the end of the run (60 s ÷ the last gap between attempts).`,
          `Issue 13: no more attempts than before it (${BEFORE_ISSUE_13.source}): ${fmt(BEFORE_ISSUE_13.flap.attemptsIn30s)} in 30 s, median of 5. Compared only for 30 s runs.`,
          "lifeline-ws counts a connection that closes before backoff.resetAfter (5 s) as a failure, so its delays keep growing to maxDelay (5 s, spread over 2.5–5 s); reconnecting-websocket and partysocket reset only after minUptime (5 s) too; websocket-ts (README's ConstantBackoff(1000)) retries every second. Raw ws does not reconnect.",
        ],
      },
    ],
  }
}

function target(attempts) {
  const before = BEFORE_ISSUE_13.flap.attemptsIn30s
  if (SECONDS !== 30) return `(before issue 13: ${fmt(before)} in 30 s; this run is ${SECONDS} s)`
  return `no more than before issue 13, ≤ ${fmt(before)} in 30 s: ${attempts <= before ? 'meets' : '**misses**'}`
}
