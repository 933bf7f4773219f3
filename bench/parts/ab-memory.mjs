// A/B of the two memory tricks issue 13 asks to keep only where they pay: the shared scheduler
// (one port timer for every socket, src/runtime/scheduler.ts) against one port timer per socket
// (ownTimer, src/runtime/timers.ts), and option interning (src/intern.ts) against none. Heap per
// idle connection, heartbeat on, each arm in its own process (parts/memory-child.mjs) as in the
// memory part. `npm run bench:ab` (not part of a plain `npm run bench`).
//
// Neither trick has a switch, so each arm reaches its design through the public builds:
// - timers: lifeline-ws/core (shared scheduler) against the worker build (ownTimer), both given the
//   same explicit ports (plain ws, one clock object, one random), so they intern alike. The worker
//   build also keeps, per socket, a list of what to release on close, holding the no-op its
//   environment-signal hook returns where the global scope has no addEventListener (Node): that
//   array and closure are measured on their own here and taken off.
// - interning: the Node build with its defaults (every socket shares one frozen options object and
//   policy) against the Node build with options that differ per socket by a ms or a byte (nothing
//   shared). Interning still runs for those: the identity numbers it keeps for the four objects
//   of each socket's key (a WeakMap entry each) are measured on their own here and taken off.
import { start, startServer } from '../lib/spawn.mjs'
import { fmt, fullGc, log, median, ratio, rotate } from '../lib/util.mjs'

const CHILD = new URL('./memory-child.mjs', import.meta.url).pathname
const COUNTS = (process.env.BENCH_MEMORY_COUNTS ?? '2000,10000').split(',').map(Number)

const ARMS = ['ws', 'lifeline-ws', 'ab-distinct', 'ab-shared-timer', 'ab-own-timer']
const LABELS = {
  ws: 'raw ws (no heartbeat)',
  'lifeline-ws': '**lifeline-ws** as shipped for Node: shared scheduler, options interned',
  'ab-distinct': 'lifeline-ws for Node, options different per socket: nothing interned',
  'ab-shared-timer': 'lifeline-ws/core + plain ws: shared scheduler',
  'ab-own-timer': 'worker build + plain ws: one port timer per socket (ownTimer)',
}
/** What issue 13 says each trick was measured to save, bytes per socket. */
const ISSUE = { scheduler: 630, interning: 500 }

/** Heap per holder of what `add(holder)` attaches to it (n holders, the same objects before and after). */
function attachedBytes(n, make, add) {
  const holders = Array.from({ length: n }, make)
  fullGc()
  const before = process.memoryUsage().heapUsed
  for (const h of holders) add(h)
  fullGc()
  const after = process.memoryUsage().heapUsed
  if (holders.length !== n) throw new Error('unreachable') // keeps holders alive past the measurement
  return (after - before) / n
}

/** The worker build's per-socket release list: `(this.#releaseOnClose ??= []).push(release)`, release a fresh `() => {}`. */
function releaseListBytes(n) {
  const noop = () => () => {}
  return median([0, 1, 2].map(() => attachedBytes(n, () => ({ list: undefined }), (h) => (h.list ??= []).push(noop()))))
}

/** intern.ts's identity(): a WeakMap entry (object → number) for each of 4 objects per socket. */
function identityBytes(n) {
  return median(
    [0, 1, 2].map(() => {
      const ids = new WeakMap()
      let next = 1
      const bytes = attachedBytes(
        n,
        () => [Object.freeze({ a: 1 }), Object.freeze({ b: 2 }), Object.freeze({ c: 3 }), Object.freeze({ d: 4 })],
        (four) => four.forEach((o) => ids.set(o, next++)),
      )
      if (next === 0) log(String(ids)) // keeps the WeakMap alive past the measurement
      return bytes
    }),
  )
}

export async function run({ rounds, ulimit }) {
  const need = Math.max(...COUNTS) + 200
  const counts = ulimit && ulimit < need ? COUNTS.map((c) => Math.min(c, ulimit - 200)) : COUNTS
  const releaseList = releaseListBytes(counts.at(-1))
  const identity = identityBytes(counts.at(-1))
  const data = {}
  for (const arm of ARMS) data[arm] = counts.map(() => new Array(rounds))
  const tasks = []
  for (let r = 0; r < rounds; r++) for (const arm of rotate(ARMS, r)) tasks.push({ r, arm })
  let next = 0
  const worker = async () => {
    while (next < tasks.length) {
      const { r, arm } = tasks[next++]
      const server = await startServer()
      try {
        const child = start(CHILD, [arm, String(server.port), counts.join(',')], { execArgv: ['--expose-gc'], timeout: 180_000 })
        const { results } = await child.result()
        results.forEach((x, i) => (data[arm][i][r] = x.heapPer))
      } finally {
        await server.exit()
      }
      if (ARMS.every((a) => data[a][0][r] !== undefined)) log(`  ab: round ${r + 1}/${rounds} done`)
    }
  }
  await Promise.all([worker(), worker()])

  // per round, pair by pair, then the median
  const diff = (a, b, i, minus = 0) => median(data[a][i].map((x, r) => x - data[b][i][r] - minus))
  const vsWs = (arm, i) => median(data[arm][i].map((x, r) => x / data.ws[i][r]))
  const rows = ARMS.map((arm) => [LABELS[arm], ...counts.flatMap((_, i) => [fmt(median(data[arm][i])), arm === 'ws' ? '1.00×' : ratio(vsWs(arm, i))])])
  const savings = [
    [
      'shared scheduler, against one port timer per socket',
      ...counts.map((_, i) => `${fmt(diff('ab-own-timer', 'ab-shared-timer', i, releaseList))} (raw ${fmt(diff('ab-own-timer', 'ab-shared-timer', i))} − ${fmt(releaseList)})`),
      fmt(ISSUE.scheduler),
    ],
    [
      'option interning, against none',
      ...counts.map((_, i) => `${fmt(diff('ab-distinct', 'lifeline-ws', i, identity))} (raw ${fmt(diff('ab-distinct', 'lifeline-ws', i))} − ${fmt(identity)})`),
      fmt(ISSUE.interning),
    ],
  ]
  const headers = ['arm']
  for (const c of counts) headers.push(`heap B/conn @ ${fmt(c)}`, 'vs raw ws')
  return {
    data: { counts, rounds, data, releaseList, identity },
    tables: [
      {
        title: 'A/B. Heap per idle connection (heartbeat on) for each design',
        headers,
        rows,
        notes: [
          `Median of ${rounds} interleaved rounds; each round runs every arm in a fresh child process (node --expose-gc; two at a time, each with its own ws server process) that opens ${counts.map((c) => fmt(c)).join(' then ')} idle connections, as the memory part does; per connection = (after − before) / count after two gc() calls.`,
          'The timer arms use plain ws (not the Node build\'s leaner adapter class) in both, so read them against each other, not against the first two rows.',
        ],
      },
      {
        title: 'A/B. What each trick saves, bytes of heap per socket',
        headers: ['trick', ...counts.map((c) => `saves @ ${fmt(c)} (raw difference − what only the other arm carries)`), 'issue 13 says'],
        rows: savings,
        notes: [
          `Differences pair by pair within a round, then the median. Taken off: the worker build's per-socket release list (an array and a no-op closure, ${fmt(releaseList)} B measured alone) from the timer difference; interning's identity numbers for the 4 objects of each socket's key (4 WeakMap entries, ${fmt(identity)} B measured alone) from the interning difference. A positive figure: the trick pays.`,
          'How each arm reaches its design without a switch in src/: see the top of bench/parts/ab-memory.mjs.',
        ],
      },
    ],
  }
}
