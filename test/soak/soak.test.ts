/**
 * The chaos soak (test/soak/soak.mjs) as part of the suite: two 10 s runs side by side, one with a
 * fixed seed (the same fault schedule every time) and one with a random seed (printed, so a failure
 * can be replayed with `npm run soak -- --seconds 10 --seed <seed>`). Each must exit 0: every
 * message accounted for, nothing both read and dropped, no duplicate, nothing out of order, the
 * client open again after every fault. The soak runs the BUILT package (dist/), which `npm test`
 * builds first.
 *
 * Each soak runs in its own process group, killed whole when the test ends, even on failure.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { randomInt } from 'node:crypto'
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const SOAK = fileURLToPath(new URL('./soak.mjs', import.meta.url))
const FIXED_SEED = 20_251_124
const SECONDS = 10
/** The soak itself takes SECONDS plus the last fault and the wind-down; past this it is killed. */
const LIMIT_MS = 22_000

const running = new Set<ChildProcess>()
function killGroup(child: ChildProcess): void {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return
  try {
    process.kill(-child.pid, 'SIGKILL') // the soak and its server and client children
  } catch {
    child.kill('SIGKILL')
  }
}
afterAll(() => {
  for (const child of running) killGroup(child)
})

interface Result {
  code: number | null
  signal: string | null
  output: string
  summary: Record<string, any> | undefined
  ms: number
}

function soak(seed: number): Promise<Result> {
  if (!existsSync(`${ROOT}/dist/index.mjs`)) throw new Error('dist/ is missing: run `npm run build` first (npm test does)')
  const started = Date.now()
  const child = spawn(process.execPath, [SOAK, '--seconds', String(SECONDS), '--seed', String(seed)], {
    cwd: ROOT,
    detached: true, // its own process group, so that the whole tree can be killed at once
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  running.add(child)
  let output = ''
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (output += chunk))
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (output += chunk))
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      output += `\n[soak.test] killed after ${LIMIT_MS} ms`
      killGroup(child)
    }, LIMIT_MS)
    child.once('exit', (code, signal) => {
      clearTimeout(timer)
      running.delete(child)
      killGroup(child) // in case a grandchild outlived it
      const line = output.split('\n').find((l) => l.startsWith('SOAK_RESULT '))
      const summary = line ? (JSON.parse(line.slice('SOAK_RESULT '.length)) as Record<string, any>) : undefined
      resolve({ code, signal, output, summary, ms: Date.now() - started })
    })
  })
}

function check(label: string, seed: number, result: Result): void {
  console.log(`[soak] ${label} seed=${seed}: exit ${result.code ?? result.signal} in ${result.ms} ms\n${result.output}`)
  expect(result.code, `soak ${label} failed; replay with: npm run soak -- --seconds ${SECONDS} --seed ${seed}\n${result.output}`).toBe(0)
  const s = result.summary!
  expect(s.seed).toBe(seed)
  expect(s.violations).toEqual([])
  expect(s.sent).toBeGreaterThan(SECONDS * 50)
  expect(s.received + s.dropped + s.inFlight).toBe(s.sent)
  expect(s.both).toBe(0)
  expect(s.duplicates).toBe(0)
  expect(s.outOfOrder).toBe(0)
  expect(s.unsettled).toBe(0)
  // a 10 s run has room for at least three faults, and every one of them cost a disconnect or not
  expect(s.faults.length).toBeGreaterThanOrEqual(3)
  expect(s.queueHighWater).toBeLessThanOrEqual(100)
}

describe('chaos soak (10 s, real processes, fault proxy)', () => {
  it.concurrent(`fixed seed ${FIXED_SEED}`, async () => {
    check('fixed', FIXED_SEED, await soak(FIXED_SEED))
  }, 25_000)

  const randomSeed = randomInt(0, 2 ** 31)
  it.concurrent(`random seed ${randomSeed}`, async () => {
    check('random', randomSeed, await soak(randomSeed))
  }, 25_000)
})
