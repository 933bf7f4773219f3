// 3b. CPU used by 10,000 idle lifeline-ws connections over 30 s with a 5 s heartbeat interval
// (process.cpuUsage of the client process; the server in another process answers the pings).
// Beside it, at the same time, the floor: raw ws with one setInterval ping per socket.
import { BEFORE_ISSUE_13 } from '../lib/baseline.mjs'
import { start, startServer } from '../lib/spawn.mjs'
import { fmt, log, median } from '../lib/util.mjs'

const CHILD = new URL('./memory-child.mjs', import.meta.url).pathname
const CONNECTIONS = Number(process.env.BENCH_CPU_CONNECTIONS ?? 10_000)
const SECONDS = Number(process.env.BENCH_CPU_SECONDS ?? 30)
const INTERVAL = 5_000

export async function run({ ulimit }) {
  const n = ulimit && ulimit < CONNECTIONS + 200 ? ulimit - 200 : CONNECTIONS
  const libs = ['lifeline-ws', 'ws-ping']
  const results = await Promise.all(
    libs.map(async (lib) => {
      const server = await startServer()
      const child = start(CHILD, [lib, String(server.port), String(n), String(INTERVAL), String(SECONDS)], {
        execArgv: ['--expose-gc'],
        timeout: (SECONDS + 90) * 1000,
      })
      try {
        return (await child.result()).cpu
      } finally {
        await server.exit()
      }
    }),
  )
  log('  cpu: done')
  const [ours, floor] = results
  // against the floor measured beside it (same moment, same load), not against an absolute figure
  const vsFloor = median(ours.windows.map((w) => w.cpuMs)) / median(floor.windows.map((w) => w.cpuMs))
  const before = BEFORE_ISSUE_13.cpu
  const rows = [
    [
      '**lifeline-ws**, heartbeat { interval: 5 s } (default timeout)',
      ...cells(ours, n),
      `${vsFloor.toFixed(2)}×`,
      `no more than before issue 13, ≤ ${before.ratio.toFixed(2)}× the floor: ${vsFloor <= before.ratio ? 'meets' : '**misses**'}`,
    ],
    ['raw ws + setInterval(ping, 5 s) per socket (floor: the pings alone)', ...cells(floor, n), '1.00×', ''],
  ]
  return {
    data: { connections: n, seconds: SECONDS, interval: INTERVAL, lifeline: ours, floor },
    tables: [
      {
        title: `3b. CPU of ${fmt(n)} idle connections over ${SECONDS} s, heartbeat every 5 s`,
        headers: ['client', `CPU ms per 5 s window (median of ${ours.windows.length})`, `CPU ms in ${SECONDS} s`, '% of one core', 'µs per connection per heartbeat', 'still open', 'vs the floor', 'target'],
        rows,
        notes: [
          `process.cpuUsage (user + system) of the client process, measured in ${ours.windows.length} consecutive 5 s windows after ${fmt(n)} connections opened and one interval passed; both clients ran at the same time, each against its own server process.`,
          `Issue 13: CPU per heartbeat must not grow. Before it (${BEFORE_ISSUE_13.source}): ${fmt(before.lifeline, 1)} µs per connection per heartbeat against the floor's ${fmt(before.floor, 1)}, ${before.ratio.toFixed(2)}×; compared as a ratio to the floor measured at the same time, since the absolute figure moves with the machine's load.`,
          n < CONNECTIONS ? `**Reduced** to ${fmt(n)} connections: the open-file limit (ulimit -n ${ulimit}) is too low.` : '',
        ].filter(Boolean),
      },
    ],
  }
}

function cells(cpu, n) {
  const perWindow = median(cpu.windows.map((w) => w.cpuMs))
  const wall = cpu.windows.reduce((a, w) => a + w.wallMs, 0)
  return [fmt(perWindow, 0), fmt(cpu.totalMs, 0), `${((cpu.totalMs / wall) * 100).toFixed(1)} %`, fmt((perWindow * 1000) / n, 1), fmt(cpu.stillOpen)]
}
