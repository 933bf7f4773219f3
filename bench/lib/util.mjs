// Small helpers shared by every benchmark part: statistics, formatting, markdown tables, waiting.
import { setTimeout as sleep } from 'node:timers/promises'

export { sleep }

export function median(xs) {
  const v = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b)
  if (v.length === 0) return NaN
  const m = v.length >> 1
  return v.length % 2 ? v[m] : (v[m - 1] + v[m]) / 2
}

export function min(xs) {
  return Math.min(...xs.filter((x) => Number.isFinite(x)))
}

export function max(xs) {
  return Math.max(...xs.filter((x) => Number.isFinite(x)))
}

/** A number with thousands separators and `digits` decimals. */
export function fmt(x, digits = 0) {
  if (x === undefined || x === null) return '–'
  if (typeof x === 'string') return x
  if (!Number.isFinite(x)) return x === Infinity ? '∞' : '–'
  return x.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits })
}

export function ratio(x, digits = 2) {
  return Number.isFinite(x) ? `${x.toFixed(digits)}×` : '–'
}

/** `{ title, headers, rows, notes }` → markdown. */
export function markdown(table) {
  const lines = []
  if (table.title) lines.push(`### ${table.title}`, '')
  lines.push(`| ${table.headers.join(' | ')} |`)
  lines.push(`| ${table.headers.map((h, i) => (i === 0 ? '---' : '---:')).join(' | ')} |`)
  for (const row of table.rows) lines.push(`| ${row.map((c) => (c === undefined ? '' : String(c))).join(' | ')} |`)
  if (table.notes?.length) {
    lines.push('')
    for (const note of table.notes) lines.push(`${note}`)
  }
  return lines.join('\n')
}

/** Rotate `items` by `round` so that no library is always measured first (interleaved rounds). */
export function rotate(items, round) {
  const k = round % items.length
  return [...items.slice(k), ...items.slice(0, k)]
}

export const gc = globalThis.gc ?? (() => {})

export function fullGc() {
  gc()
  gc()
}

/** Resolve when `predicate()` is true, polling every `every` ms; reject after `timeout` ms. */
export async function until(predicate, timeout = 10_000, every = 5, what = 'condition') {
  const end = Date.now() + timeout
  while (!predicate()) {
    if (Date.now() > end) throw new Error(`timed out after ${timeout} ms waiting for ${what}`)
    await sleep(every)
  }
}

/** Wall clock in ms with sub-ms resolution. */
export const now = () => performance.now()

export function log(...args) {
  if (process.env.BENCH_QUIET) return
  process.stderr.write(`${args.join(' ')}\n`)
}
