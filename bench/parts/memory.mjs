// 3. Memory per open idle connection: each library in its own child process (--expose-gc), the
// server in another; 2,000 then 10,000 connections in the same process.
import { LABELS, LIBS } from '../lib/clients.mjs'
import { start, startServer } from '../lib/spawn.mjs'
import { fmt, log, median, ratio, rotate } from '../lib/util.mjs'

const CHILD = new URL('./memory-child.mjs', import.meta.url).pathname
/** Issue 13: heap per idle connection, heartbeat on, at most 1.25× raw ws's at 2,000 and at 10,000. */
const TARGET = 1.25
export const COUNTS = (process.env.BENCH_MEMORY_COUNTS ?? '2000,10000').split(',').map(Number)

export async function run({ rounds, ulimit }) {
  const need = Math.max(...COUNTS) + 200
  const counts = ulimit && ulimit < need ? COUNTS.map((c) => Math.min(c, ulimit - 200)) : COUNTS
  const data = {}
  for (const lib of LIBS) data[lib] = counts.map(() => ({ heap: new Array(rounds), rss: new Array(rounds) }))
  // rounds × libraries, interleaved; two children at a time (heap and RSS per connection do not
  // depend on timing), each with its own server process so that no two share a server port
  const tasks = []
  for (let r = 0; r < rounds; r++) for (const lib of rotate(LIBS, r)) tasks.push({ r, lib })
  let next = 0
  const worker = async () => {
    while (next < tasks.length) {
      const { r, lib } = tasks[next++]
      const server = await startServer()
      try {
        const child = start(CHILD, [lib, String(server.port), counts.join(',')], { execArgv: ['--expose-gc'], timeout: 120_000 })
        const { results } = await child.result()
        results.forEach((x, i) => ((data[lib][i].heap[r] = x.heapPer), (data[lib][i].rss[r] = x.rssPer)))
      } finally {
        await server.exit()
      }
      if (tasks.slice(next).every((t) => t.r !== r) && LIBS.every((l) => data[l][0].heap[r] !== undefined)) log(`  memory: round ${r + 1}/${rounds} done`)
    }
  }
  await Promise.all([worker(), worker()])
  const pairwise = (lib, i, key) => median(data[lib][i][key].map((x, k) => x / data.ws[i][key][k]))
  const rows = LIBS.map((lib) => {
    const row = [LABELS[lib]]
    counts.forEach((_, i) => {
      row.push(fmt(median(data[lib][i].heap)), lib === 'ws' ? '1.00×' : ratio(pairwise(lib, i, 'heap')))
    })
    counts.forEach((_, i) => {
      row.push(fmt(median(data[lib][i].rss)), lib === 'ws' ? '1.00×' : ratio(pairwise(lib, i, 'rss')))
    })
    if (lib === 'lifeline-ws') {
      const verdicts = counts.map((c, i) => {
        const q = pairwise(lib, i, 'heap')
        return `@ ${fmt(c)} ${q <= TARGET ? 'meets' : '**misses**'} (${ratio(q)})`
      })
      row.push(`heap ≤ ${TARGET.toFixed(2)}× raw ws: ${verdicts.join('; ')}`)
    } else row.push('')
    return row
  })
  const headers = ['client']
  for (const c of counts) headers.push(`heap B/conn @ ${fmt(c)}`, 'vs ws')
  for (const c of counts) headers.push(`RSS B/conn @ ${fmt(c)}`, 'vs ws')
  headers.push('target')
  const notes = [
    `Median of ${rounds} interleaved rounds; each round runs every library in a fresh child process (node --expose-gc; two at a time, each with its own server process) that opens ${counts.map((c) => fmt(c)).join(' then ')} connections (batches of 250) to a ws server in a separate process; per connection = (after − before) / count, each after two gc() calls; ratios pair by pair within a round.`,
    'Defaults everywhere: lifeline-ws with its heartbeat ON (25 s interval; on Node all sockets share one port timer); websocket-ts with its README quick-start buffer and backoff. Each child holds only the library objects and one shared open listener.',
    `Issue 13's target: lifeline-ws's heap per idle connection, heartbeat on, ≤ ${TARGET.toFixed(2)}× raw ws's (which has none) at ${counts.map((c) => fmt(c)).join(' and at ')} connections. What the shared scheduler and the option interning save: \`npm run bench:ab\`.`,
  ]
  if (counts.join() !== COUNTS.join()) notes.push(`**Reduced** from ${COUNTS.join(', ')} to ${counts.join(', ')}: the open-file limit (ulimit -n ${ulimit}) is too low.`)
  return {
    data: { counts, rounds, data },
    tables: [{ title: '3. Memory per open idle connection', headers, rows, notes }],
  }
}
