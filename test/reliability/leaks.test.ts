/**
 * Leaks, measured in child processes (`node --expose-gc`, the BUILT package; `npm test` builds it
 * first) so that the figures are not blurred by the test runner's own handles and heap:
 *
 * - after close(): no timer, socket, process listener or AbortSignal listener is left, in every
 *   phase close() can meet (open with every timer armed, connecting, backoff, a close handshake on
 *   a dead link, after reconnect(), after a giveup, closed by its AbortSignal);
 * - 10,000 create → open → close cycles against a local server: heap after GC within a small bound
 *   of where it started, and the same active resources;
 * - a socket that is never closed, whose server is gone for good, backing off as fast as it can
 *   with a full bounded queue: heap after GC does not grow between two points thousands of
 *   attempts apart.
 */
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const CHILD = fileURLToPath(new URL('./children/leak-child.mjs', import.meta.url))

const CYCLES = 10_000
/** A leaked socket (emitter, driver, monitor, queue, a ws) costs kilobytes; noise after GC is < 1 MB. */
const CYCLE_HEAP_BOUND = 2 * 1024 * 1024
const BACKOFF_ATTEMPTS = 2_000 // at the smallest initialDelay (10 ms, full jitter): about 6 ms an attempt
const BACKOFF_HEAP_BOUND = 1024 * 1024

// bounds, not speed targets: generous, so a loaded machine (CI beside other jobs) does not fail them
function runChild(mode: string, arg?: number, timeoutMs = 80_000): Promise<any> {
  if (!existsSync(`${ROOT}/dist/index.mjs`)) throw new Error('dist/ is missing: run `npm run build` first (npm test does)')
  const child = spawn(process.execPath, ['--expose-gc', CHILD, mode, ...(arg === undefined ? [] : [String(arg)])], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stdout = ''
  let stderr = ''
  child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c))
  child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c))
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`${mode}: no result within ${timeoutMs} ms\n${stderr}`))
    }, timeoutMs)
    child.once('exit', (code, signal) => {
      clearTimeout(timer)
      const line = stdout.split('\n').find((l) => l.startsWith('RESULT '))
      if (code !== 0 || !line) return reject(new Error(`${mode}: exited ${code ?? signal}\n${stderr}\n${stdout}`))
      resolve(JSON.parse(line.slice('RESULT '.length)))
    })
  })
}

const kb = (bytes: number) => `${(bytes / 1024).toFixed(0)} KB`

describe('leaks', () => {
  it.concurrent('after close(): no timer, socket or listener left, whatever phase close() met', async () => {
    const { results } = await runChild('after-close', undefined, 20_000)
    for (const r of results) {
      console.log(`[leaks] after close — ${r.name}: resources before ${JSON.stringify(r.before)}, after ${JSON.stringify(r.after)}`)
      expect(r.grown, `${r.name}: handles left behind (before ${JSON.stringify(r.before)}, after ${JSON.stringify(r.after)})`).toEqual({})
      expect(r.listenersGrown, `${r.name}: process listeners left behind`).toEqual({})
    }
    const byName = (prefix: string) => results.find((r: any) => r.name.startsWith(prefix))
    const open = byName('open with every timer armed')
    expect(open.close).toEqual({ code: 1000, reason: 'done', wasClean: true })
    expect(open.abortListenersOpen).toBe(1)
    expect(open.abortListenersAfter).toBe(0)
    expect(byName('close() on a dead link').close).toEqual({ code: 1006, reason: 'close timeout', wasClean: false })
    expect(byName('gave up by itself').giveup).toBe('close-code')
    const aborted = byName('closed by its AbortSignal')
    expect(aborted.close).toEqual({ code: 1000, reason: 'aborted', wasClean: true })
    expect(aborted.abortListenersAfter).toBe(0)
  }, 25_000)

  it.concurrent(`${CYCLES.toLocaleString('en')} create → open → close cycles: heap after GC back near the start, no new resources`, async () => {
    const r = await runChild('cycles', CYCLES)
    console.log(
      `[leaks] ${r.cycles} cycles (after ${r.warmup} warm-up) in ${r.ms} ms: heap after GC ${kb(r.heapStart)} → ${kb(r.heapEnd)} ` +
        `(${r.growth >= 0 ? '+' : ''}${kb(r.growth)}, ${(r.growth / r.cycles).toFixed(1)} B/cycle; bound ${kb(CYCLE_HEAP_BOUND)}); ` +
        `resources ${JSON.stringify(r.resourcesStart)} → ${JSON.stringify(r.resourcesEnd)}`,
    )
    expect(r.done).toBe(r.cycles + r.warmup)
    expect(r.growth).toBeLessThan(CYCLE_HEAP_BOUND)
    expect(r.resourcesEnd).toEqual(r.resourcesStart)
  }, 90_000)

  it.concurrent(`never closed, server gone for good: ${BACKOFF_ATTEMPTS.toLocaleString('en')} fast attempts with a full queue do not grow the heap`, async () => {
    const r = await runChild('backoff', BACKOFF_ATTEMPTS)
    console.log(
      `[leaks] backoff against a dead port: attempts ${r.first.attempts} → ${r.second.attempts} in ${r.ms} ms, heap after GC ` +
        `${kb(r.first.heap)} → ${kb(r.second.heap)} (${r.growth >= 0 ? '+' : ''}${kb(r.growth)}; bound ${kb(BACKOFF_HEAP_BOUND)}); ` +
        `queued ${r.second.queued}, sent ${r.sent}, dropped ${r.drops}, errors ${r.errors}; resources ${JSON.stringify(r.first.resources)} → ${JSON.stringify(r.second.resources)}`,
    )
    expect(r.second.attempts - r.first.attempts).toBeGreaterThanOrEqual(BACKOFF_ATTEMPTS / 2)
    expect(r.growth).toBeLessThan(BACKOFF_HEAP_BOUND)
    // the socket is nearly always mid-attempt (10 ms backoff, full jitter), so a snapshot may catch that one
    // attempt's handles or not: compare everything else exactly, and those as at most one each
    const inFlight = ['ConnectWrap', 'TCPSocketWrap']
    const rest = (resources: Record<string, number>) => Object.fromEntries(Object.entries(resources).filter(([k]) => !inFlight.includes(k)))
    expect(rest(r.second.resources)).toEqual(rest(r.first.resources))
    for (const k of inFlight) expect(r.second.resources[k] ?? 0, k).toBeLessThanOrEqual(1)
    expect(r.first.queued).toBe(100)
    expect(r.second.queued).toBe(100)
    // still trying, never given up: which half of a short cycle the snapshot lands in is a race
    // (a loaded CI run caught it mid-attempt), so either phase of the loop is right
    expect(['backoff', 'connecting']).toContain(r.state)
    // it never opened, so no disconnect was logged; every message was reported dropped (evicted
    // by overflow, or the last 100 by close(), which the child calls before counting)
    expect(r.history).toBe(0)
    expect(r.drops).toBe(r.sent)
  }, 90_000)
})
