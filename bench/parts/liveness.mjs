// 4. Liveness: how long until a silent link is noticed (heartbeat interval 1 s, timeout 1 s), and
// how long until a client is open again after its server restarted. Each trial runs in its own
// process; the trials run at the same time (timer-bound, ~11 s each).
import { LABELS } from '../lib/clients.mjs'
import { start } from '../lib/spawn.mjs'
import { fmt, log, max, median, min } from '../lib/util.mjs'

const TRIAL = new URL('./liveness-trial.mjs', import.meta.url).pathname
const LIBS = ['lifeline-ws', 'reconnecting-websocket', 'partysocket', 'websocket-ts']
const OUTAGE = 1000
const TARGET = (1000 + 1000) * 1.1

export async function run({ rounds }) {
  const trials = await Promise.all(
    Array.from({ length: rounds }, async (_, i) => {
      const child = start(TRIAL, [String(OUTAGE)], { timeout: 60_000 })
      const r = await child.result()
      log(`  liveness: trial ${i + 1}/${rounds} done`)
      return r
    }),
  )
  const rows = LIBS.map((lib) => {
    const silent = trials.map((t) => t.silent[lib]).filter(Boolean)
    const back = trials.map((t) => t.restarted[lib]).filter(Boolean)
    const fromSilence = silent.map((x) => x.fromSilence)
    const fromLast = silent.map((x) => x.fromLastData)
    const reopened = back.map((x) => x.reopened)
    const noticedAll = silent.length === rounds
    let target = ''
    if (lib === 'lifeline-ws') {
      const worst = noticedAll ? max(fromLast) : Infinity
      target = `≤ ${fmt(TARGET)} ms after the last data: ${worst <= TARGET ? `meets (worst ${fmt(worst)} ms)` : `**misses** (worst ${fmt(worst)} ms)`}`
    }
    return [
      LABELS[lib],
      silent.length === 0 ? 'not noticed in 10 s' : `${fmt(median(fromSilence))}${noticedAll ? '' : ` (only ${silent.length} of ${rounds})`}`,
      silent.length === 0 ? '–' : `${fmt(median(fromLast))} / ${fmt(max(fromLast))}`,
      back.length === 0 ? 'not open again in 10 s' : `${fmt(median(reopened))} (${fmt(min(reopened))}–${fmt(max(reopened))})${back.length === rounds ? '' : `, ${rounds - back.length} of ${rounds} not in 10 s`}`,
      target,
    ]
  })
  return {
    data: { rounds, outage: OUTAGE, trials },
    tables: [
      {
        title: '4. Liveness: a silent link, and a server restart',
        headers: ['client', 'silent link noticed after (ms from silence, median)', 'ms from last data received (median / worst)', `open again after restart (ms after the server is back, median (min–max)), ${fmt(OUTAGE / 1000)} s down`, 'target'],
        rows,
        notes: [
          `${rounds} trials, each in its own process, run at the same time. Silent link: client → test/support/fault-proxy.mjs → ws server; after the client opened, the proxy is silenced at a random moment (0.3–1.3 s in); lifeline-ws has heartbeat { interval: 1000, timeout: 1000 }, the peers have no heartbeat at all. "Noticed" = the client reports the link dead (lifeline-ws: HEARTBEAT_TIMEOUT error; peers: a close event).`,
          'lifeline-ws\'s guarantee counts from the last data received (interval + timeout = 2,000 ms; target +10 % = 2,200 ms). Restart: the server terminates every connection, is down 1 s, listens again on the same port; every client with its defaults (reconnecting-websocket\'s base delay is drawn once per process, U[1, 5) s; partysocket 3 s; websocket-ts: its README\'s ConstantBackoff(1000); lifeline-ws 1 s ± 50 %).',
        ],
      },
    ],
  }
}
