#!/usr/bin/env node
// lifeline-ws benchmarks. `npm run bench` runs every part; `npm run bench -- send memory` (or
// `npm run bench:send`) runs some. Prints one markdown table per part and merges the figures into
// bench/results.json (with date, Node version and cores). Benchmarks print figures; nothing fails
// on a figure.
//
//   parts: send receive memory (+ cpu) liveness bundle herd (+ herd-real) flap delivery session redis-store
//          (cpu and herd-real also run alone); ab (the A/B of the memory tricks) only when named
//   --rounds N   rounds/trials per figure (default 5)
//   --fresh      recompute the herd simulation even if bench/.out has it for this exact build
//
// The throughput parts (send, receive) run one after the other with nothing else running; the
// rest run at the same time afterwards: they count bytes (memory), CPU time (cpu), seconds-scale
// timers (liveness, flap, herd-real) or nothing timed at all (bundle, herd simulation).
import { spawnSync, execFileSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync, readdirSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs'
import os from 'node:os'
import { fileURLToPath } from 'node:url'
import { start } from './lib/spawn.mjs'
import { markdown } from './lib/util.mjs'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const RESULTS = new URL('./results.json', import.meta.url)
const GROUPS = {
  send: ['send'],
  receive: ['receive'],
  memory: ['memory', 'cpu'],
  cpu: ['cpu'],
  liveness: ['liveness'],
  bundle: ['bundle'],
  herd: ['herd', 'herd-real'],
  'herd-real': ['herd-real'],
  flap: ['flap'],
  ab: ['ab-memory'],
  delivery: ['delivery'],
  session: ['session'],
  'redis-store': ['redis-store'],
}
const ORDER = ['send', 'receive', 'delivery', 'session', 'redis-store', 'memory', 'cpu', 'liveness', 'bundle', 'herd', 'herd-real', 'flap', 'ab-memory']
/** Run only when named: the A/B of the memory tricks re-measures design choices, not the product. */
const ON_REQUEST = new Set(['ab-memory'])
const EXCLUSIVE = new Set(['send', 'receive', 'delivery', 'session', 'redis-store'])

const argv = process.argv.slice(2)
const flag = (name) => argv.includes(name)
const value = (name, fallback) => {
  const i = argv.indexOf(name)
  return i >= 0 ? argv[i + 1] : fallback
}
const rounds = Number(value('--rounds', 5))
const names = argv.filter((a, i) => !a.startsWith('--') && argv[i - 1] !== '--rounds')
for (const n of names) if (!GROUPS[n]) throw new Error(`unknown part "${n}"; parts: ${Object.keys(GROUPS).join(', ')}`)
const parts = ORDER.filter((p) => (names.length ? names.flatMap((n) => GROUPS[n]) : ORDER.filter((q) => !ON_REQUEST.has(q))).includes(p))

// one file descriptor per connection: the memory and CPU parts open 10,000 in one process
const need = 10_400
const [soft, hard] = execFileSync('sh', ['-c', 'ulimit -Sn; ulimit -Hn'], { encoding: 'utf8' }).trim().split('\n')
const softN = soft === 'unlimited' ? Infinity : Number(soft)
const hardN = hard === 'unlimited' ? Infinity : Number(hard)
if (softN < need && hardN > softN && !process.env.BENCH_ULIMIT_RAISED && parts.some((p) => p === 'memory' || p === 'cpu' || p === 'ab-memory')) {
  const to = Math.min(hardN, 20_000)
  const r = spawnSync('sh', ['-c', `ulimit -n ${to} && exec "$0" "$@"`, process.execPath, ...process.execArgv, fileURLToPath(import.meta.url), ...argv], {
    stdio: 'inherit',
    env: { ...process.env, BENCH_ULIMIT_RAISED: '1' },
  })
  process.exit(r.status ?? 1)
}
const ulimit = softN

// the benchmarks import the built package (its self-reference resolves to dist/)
const needed = ['index.mjs', 'browser.mjs', 'core.mjs', 'testing.mjs', 'lifeline.umd.min.cjs']
if (needed.some((f) => !existsSync(new URL(`../dist/${f}`, import.meta.url)))) {
  process.stderr.write('dist/ is missing: building with tsup…\n')
  const r = spawnSync('npx', ['tsup'], { cwd: ROOT, stdio: 'inherit' })
  if (r.status !== 0) process.exit(r.status ?? 1)
}

/** A short hash of the built JavaScript the benchmarks load, to tie figures to a build. */
function distHash() {
  const hash = createHash('sha256')
  const dir = new URL('../dist/', import.meta.url)
  for (const f of readdirSync(dir).filter((f) => /\.(mjs|js)$/.test(f)).sort()) hash.update(f).update(readFileSync(new URL(f, dir)))
  return hash.digest('hex').slice(0, 12)
}
const buildAtStart = distHash()

const started = performance.now()
const date = new Date().toISOString()
const cpus = os.cpus()
const machine = {
  date,
  node: process.version,
  cores: cpus.length,
  cpu: cpus[0]?.model?.trim(),
  platform: `${os.platform()} ${os.release()} ${os.arch()}`,
  loadAverageAtStart: os.loadavg().map((x) => Number(x.toFixed(2))),
  ulimit: ulimit === Infinity ? 'unlimited' : ulimit,
  dist: buildAtStart,
}
process.stderr.write(`lifeline-ws benchmarks: ${parts.join(', ')}; ${rounds} rounds; Node ${machine.node}; ${machine.cores} cores (${machine.cpu}); load ${machine.loadAverageAtStart.join(' ')}\n`)
if (rounds < 5) process.stderr.write(`note: --rounds ${rounds} is below the 5 rounds every published figure needs\n`)

const options = { rounds, ulimit: ulimit === Infinity ? undefined : ulimit, fresh: flag('--fresh') }
const results = {}
async function runPart(name) {
  const t = performance.now()
  process.stderr.write(`▶ ${name}\n`)
  const child = start(fileURLToPath(new URL('./run-part.mjs', import.meta.url)), [name, JSON.stringify(options)], {
    execArgv: ['--expose-gc'],
    timeout: 15 * 60_000,
  })
  try {
    results[name] = { ...(await child.result()), seconds: (performance.now() - t) / 1000 }
    process.stderr.write(`✔ ${name} (${results[name].seconds.toFixed(1)} s)\n`)
  } catch (error) {
    results[name] = { error: String(error.message ?? error), seconds: (performance.now() - t) / 1000 }
    process.stderr.write(`✘ ${name}: ${results[name].error}\n`)
  }
}
for (const name of parts.filter((p) => EXCLUSIVE.has(p))) await runPart(name)
await Promise.all(parts.filter((p) => !EXCLUSIVE.has(p)).map(runPart))
const wall = (performance.now() - started) / 1000
const buildAtEnd = distHash()
if (buildAtEnd !== buildAtStart) {
  machine.warning = `dist/ changed during the run (${buildAtStart} → ${buildAtEnd}): something rebuilt it, so the figures may mix two builds`
  process.stderr.write(`WARNING: ${machine.warning}\n`)
}

// print
const out = []
out.push(`## lifeline-ws benchmarks`, '')
if (machine.warning) out.push(`**Warning: ${machine.warning}.**`, '')
out.push(`${date.slice(0, 10)} · build ${buildAtStart} · Node ${machine.node} · ${machine.cores} cores (${machine.cpu}) · ${machine.platform} · load average at start ${machine.loadAverageAtStart.join(' ')} · ${rounds} rounds · wall time ${wall.toFixed(0)} s (${parts.map((p) => `${p} ${results[p].seconds.toFixed(0)} s`).join(', ')})`, '')
for (const name of parts) {
  const r = results[name]
  if (r.error) out.push(`### ${name}: FAILED`, '', '```', r.error, '```', '')
  else for (const table of r.tables) out.push(markdown(table), '')
}
process.stdout.write(out.join('\n') + '\n')

// bench/results.json: this run's parts replace the same parts of earlier runs (not for quick runs)
if (rounds < 5) {
  process.stderr.write(`not written to bench/results.json: fewer than 5 rounds (${wall.toFixed(0)} s)\n`)
  process.exit(Object.values(results).some((r) => r.error) ? 1 : 0)
}
let saved = {}
try {
  saved = JSON.parse(readFileSync(RESULTS, 'utf8'))
} catch {}
saved.lastRun = { ...machine, parts, rounds, wallSeconds: Number(wall.toFixed(1)) }
saved.parts ??= {}
for (const name of parts) {
  const r = results[name]
  if (r.error) continue
  saved.parts[name] = { ...machine, rounds, seconds: Number(r.seconds.toFixed(1)), tables: r.tables.map(markdown), data: r.data }
}
mkdirSync(new URL('./.out/', import.meta.url), { recursive: true })
writeFileSync(RESULTS, JSON.stringify(saved, (k, v) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v), 2) + '\n')
process.stderr.write(`wrote bench/results.json (${wall.toFixed(0)} s)\n`)
process.exit(Object.values(results).some((r) => r.error) ? 1 : 0)
