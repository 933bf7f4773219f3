/**
 * The two policy plots, both computed by the SDK's pure core (never re-implemented here):
 *  - the backoff schedule: delays for retries 1…n sampled with `sampleDelays`, as p10–p90 bands
 *    and a p50 line, inside the hard bounds `delayBounds` gives;
 *  - the herd: `simulateHerd` (run in a worker), attempts and arrivals per 100 ms after a mass drop.
 */
import { delayBounds, sampleDelays, type HerdResult, type Policy } from 'lifeline-ws/core'
import { alpha, count, fit, ms, niceStep, seconds, theme } from './canvas.js'

export interface Schedule {
  /** Retry index shown as 1-based: column i is retry i + 1 (n = i for the core). */
  p10: number[]
  p50: number[]
  p90: number[]
  min: number[]
  max: number[]
  /** Median total wait from the drop until retry i + 1 starts. */
  totalP50: number[]
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0
  const i = (sorted.length - 1) * p
  const lo = Math.floor(i)
  const hi = Math.ceil(i)
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (i - lo)
}

export function schedule(policy: Policy, retries = 10, samples = 2000): Schedule {
  const n = Math.max(0, Math.min(retries, policy.backoff.maxRetries))
  const rows = sampleDelays(policy, n, samples, 7)
  const out: Schedule = { p10: [], p50: [], p90: [], min: [], max: [], totalP50: [] }
  const totals = rows.map(() => 0)
  for (let i = 0; i < n; i++) {
    const column = rows.map((row) => row[i]!).sort((a, b) => a - b)
    out.p10.push(percentile(column, 0.1))
    out.p50.push(percentile(column, 0.5))
    out.p90.push(percentile(column, 0.9))
    const bounds = delayBounds(i, policy.backoff)
    out.min.push(bounds.min)
    out.max.push(bounds.max)
    rows.forEach((row, s) => (totals[s]! += row[i]!))
    out.totalP50.push(percentile([...totals].sort((a, b) => a - b), 0.5))
  }
  return out
}

/** Plot a schedule; returns a one-line text summary for the page (and screen readers). */
export function drawSchedule(canvas: HTMLCanvasElement, s: Schedule, dim = false): void {
  const { ctx, width, height } = fit(canvas)
  const c = theme()
  const mono = c.mono || 'monospace'
  const n = s.p50.length
  const left = 44
  const right = width - 10
  const top = 10
  const bottom = height - 22
  ctx.globalAlpha = dim ? 0.45 : 1
  if (n === 0) {
    ctx.fillStyle = c.muted!
    ctx.font = `12px ${c.sans}`
    ctx.fillText('maxRetries is 0: no retries at all', left, top + 20)
    ctx.globalAlpha = 1
    return
  }
  // headroom at the top for the legend
  const yMax = Math.max(...s.max, ...s.p90) * 1.3 || 1
  const step = niceStep(yMax, 4)
  const x = (i: number): number => left + ((i + 0.5) / n) * (right - left)
  const y = (v: number): number => bottom - (v / yMax) * (bottom - top)

  // axes
  ctx.font = `10.5px ${mono}`
  ctx.textBaseline = 'middle'
  ctx.textAlign = 'right'
  for (let v = 0; v <= yMax; v += step) {
    ctx.strokeStyle = 'rgba(255,255,255,0.07)'
    ctx.beginPath()
    ctx.moveTo(left, Math.round(y(v)) + 0.5)
    ctx.lineTo(right, Math.round(y(v)) + 0.5)
    ctx.stroke()
    ctx.fillStyle = c.muted!
    ctx.fillText(seconds(v), left - 6, y(v))
  }
  ctx.textAlign = 'center'
  const every = n > 12 ? 2 : 1
  for (let i = 0; i < n; i += every) ctx.fillText(String(i + 1), x(i), bottom + 11)

  // hard bounds: dashed
  const line = (values: number[], color: string, dash: number[], w = 1): void => {
    ctx.strokeStyle = color
    ctx.lineWidth = w
    ctx.setLineDash(dash)
    ctx.beginPath()
    values.forEach((v, i) => (i === 0 ? ctx.moveTo(x(i), y(v)) : ctx.lineTo(x(i), y(v))))
    ctx.stroke()
    ctx.setLineDash([])
    ctx.lineWidth = 1
  }
  line(s.max, alpha(c.text!, 0.4), [3, 3])
  line(s.min, alpha(c.text!, 0.4), [3, 3])

  // p10–p90 band
  ctx.fillStyle = alpha(c.retry!, 0.26)
  ctx.beginPath()
  s.p90.forEach((v, i) => (i === 0 ? ctx.moveTo(x(i), y(v)) : ctx.lineTo(x(i), y(v))))
  for (let i = n - 1; i >= 0; i--) ctx.lineTo(x(i), y(s.p10[i]!))
  ctx.closePath()
  ctx.fill()
  line(s.p90, alpha(c.retry!, 0.7), [], 1)
  line(s.p10, alpha(c.retry!, 0.7), [], 1)
  line(s.p50, c.retry!, [], 2)
  ctx.fillStyle = c.retry!
  s.p50.forEach((v, i) => {
    ctx.beginPath()
    ctx.arc(x(i), y(v), 2.6, 0, Math.PI * 2)
    ctx.fill()
  })

  // in-plot legend
  ctx.textAlign = 'left'
  ctx.font = `10.5px ${c.sans}`
  const lx = left + 8
  ctx.fillStyle = alpha(c.retry!, 0.5)
  ctx.fillRect(lx, top + 3, 14, 8)
  ctx.fillStyle = c.muted!
  ctx.fillText('p10–p90', lx + 19, top + 7)
  ctx.strokeStyle = c.retry!
  ctx.lineWidth = 2
  ctx.beginPath()
  ctx.moveTo(lx + 72, top + 7)
  ctx.lineTo(lx + 86, top + 7)
  ctx.stroke()
  ctx.lineWidth = 1
  ctx.fillText('p50', lx + 91, top + 7)
  ctx.strokeStyle = alpha(c.text!, 0.5)
  ctx.setLineDash([3, 3])
  ctx.beginPath()
  ctx.moveTo(lx + 122, top + 7)
  ctx.lineTo(lx + 136, top + 7)
  ctx.stroke()
  ctx.setLineDash([])
  ctx.fillText('bounds', lx + 141, top + 7)
  ctx.textAlign = 'right'
  ctx.font = `10.5px ${mono}`
  ctx.fillText('retry', left - 6, bottom + 11)
  ctx.globalAlpha = 1
}

export function scheduleSummary(s: Schedule, policy: Policy): string {
  const n = s.p50.length
  if (n === 0) return 'no retries: the first failure gives up'
  const last = n - 1
  return (
    `retry 1 after <b>${ms(s.p50[0])}</b> (${ms(s.p10[0])}–${ms(s.p90[0])}) · ` +
    `retry ${n} after <b>${ms(s.p50[last])}</b> · until retry ${n}: <b>${ms(s.totalP50[last])}</b> in all` +
    (Number.isFinite(policy.backoff.maxRetries) ? ` · gives up after ${policy.backoff.maxRetries}` : '')
  )
}

/** The herd: failed attempts (orange) and successful opens (green) per 100 ms, from the mass drop. */
export function drawHerd(canvas: HTMLCanvasElement, result: HerdResult, outage: number, dim = false): void {
  const { ctx, width, height } = fit(canvas)
  const c = theme()
  const mono = c.mono || 'monospace'
  const left = 44
  const right = width - 10
  const top = 10
  const bottom = height - 22
  ctx.globalAlpha = dim ? 0.45 : 1
  const { bucket, attempts, arrivals } = result
  const back = Number.isFinite(result.timeTo99) ? outage + result.timeTo99 : attempts.length * bucket
  const span = Math.min(attempts.length * bucket, Math.max(outage + 1000, back * 1.12 + 500))
  const buckets = Math.max(1, Math.ceil(span / bucket))
  const yMax = Math.max(1, result.peakAttempts, result.peakArrivals) * 1.25
  const x = (t: number): number => left + (t / span) * (right - left)
  const y = (v: number): number => bottom - (v / yMax) * (bottom - top)

  ctx.font = `10.5px ${mono}`
  ctx.textBaseline = 'middle'
  ctx.textAlign = 'right'
  const yStep = niceStep(yMax, 4)
  for (let v = 0; v <= yMax; v += yStep) {
    ctx.strokeStyle = 'rgba(255,255,255,0.07)'
    ctx.beginPath()
    ctx.moveTo(left, Math.round(y(v)) + 0.5)
    ctx.lineTo(right, Math.round(y(v)) + 0.5)
    ctx.stroke()
    ctx.fillStyle = c.muted!
    ctx.fillText(v >= 10_000 ? `${Math.round(v / 1000)}k` : count(v), left - 6, y(v))
  }
  ctx.textAlign = 'center'
  const xStep = niceStep(span, Math.max(3, Math.floor((right - left) / 70)))
  for (let t = 0; t <= span; t += xStep) ctx.fillText(seconds(t), x(t), bottom + 11)

  // the outage
  ctx.fillStyle = 'rgba(255, 107, 97, 0.07)'
  ctx.fillRect(x(0), top, x(Math.min(outage, span)) - x(0), bottom - top)
  const barW = Math.max(1, (right - left) / buckets - (buckets < 120 ? 1 : 0))
  for (let i = 0; i < buckets; i++) {
    const a = attempts[i] ?? 0
    const o = arrivals[i] ?? 0
    if (a > 0) {
      ctx.fillStyle = alpha(c.backoff!, 0.85)
      ctx.fillRect(x(i * bucket), y(a), barW, bottom - y(a))
    }
    if (o > 0) {
      ctx.fillStyle = c.open!
      ctx.fillRect(x(i * bucket), y(o), barW, bottom - y(o))
    }
  }
  // server back
  const bx = Math.round(x(outage)) + 0.5
  ctx.strokeStyle = alpha(c.text!, 0.6)
  ctx.setLineDash([4, 3])
  ctx.beginPath()
  ctx.moveTo(bx, top)
  ctx.lineTo(bx, bottom)
  ctx.stroke()
  ctx.setLineDash([])

  ctx.font = `10.5px ${c.sans}`
  ctx.textAlign = 'left'
  ctx.fillStyle = c.text!
  const backLabel = outage > 0 ? 'server back' : 'server never down'
  const bw = ctx.measureText(backLabel).width
  ctx.fillText(backLabel, bx + 5 + bw > right ? bx - bw - 5 : bx + 5, top + 7)
  // legend, top left (the outage shading starts there, the bars stay below the headroom)
  const lx = left + 8
  ctx.fillStyle = alpha(c.backoff!, 0.85)
  ctx.fillRect(lx, top + 3, 10, 8)
  ctx.fillStyle = c.muted!
  ctx.fillText('attempts', lx + 14, top + 7)
  ctx.fillStyle = c.open!
  ctx.fillRect(lx + 70, top + 3, 10, 8)
  ctx.fillStyle = c.muted!
  ctx.fillText('opens per 100 ms', lx + 84, top + 7)
  ctx.globalAlpha = 1
}

export function herdSummary(result: HerdResult, clients: number, tookMs: number): string {
  const back = Number.isFinite(result.timeTo99) ? `<b>${ms(result.timeTo99)}</b>` : '<b>not within 60 s</b>'
  return (
    `peak <b>${count(result.peakAttempts)}</b> attempts/100 ms (${((result.peakAttempts / clients) * 100).toFixed(0)} %) · ` +
    `99 % back in ${back} · ${result.attemptsPerClientDuringOutage.toFixed(1)} tries/client while down` +
    `${result.gaveUp ? ` · <b>${count(result.gaveUp)}</b> gave up` : ''}` +
    `<span class="took"> · ${ms(tookMs)}</span>`
  )
}
