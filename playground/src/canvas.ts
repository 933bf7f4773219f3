/** Small helpers shared by the canvases: crisp HiDPI sizing, theme colours and number formats. */

/** Size the canvas's backing store to its CSS box × devicePixelRatio; returns a context in CSS pixels. */
export function fit(canvas: HTMLCanvasElement): { ctx: CanvasRenderingContext2D; width: number; height: number } {
  const ratio = Math.max(1, Math.min(3, window.devicePixelRatio || 1))
  const width = Math.max(1, canvas.clientWidth)
  const height = Math.max(1, canvas.clientHeight)
  const w = Math.round(width * ratio)
  const h = Math.round(height * ratio)
  if (canvas.width !== w || canvas.height !== h) {
    canvas.width = w
    canvas.height = h
  }
  const ctx = canvas.getContext('2d')!
  ctx.setTransform(ratio, 0, 0, ratio, 0, 0)
  ctx.clearRect(0, 0, width, height)
  return { ctx, width, height }
}

/** The colours defined in style.css (one source of truth for DOM and canvas). */
export function theme(): Record<string, string> {
  const style = getComputedStyle(document.documentElement)
  const names = ['text', 'muted', 'border', 'panel', 'panel-2', 'idle', 'connecting', 'open', 'backoff', 'closed', 'fault', 'sent', 'received', 'drop', 'heartbeat', 'retry', 'mono', 'sans']
  return Object.fromEntries(names.map((name) => [name, style.getPropertyValue(`--${name}`).trim()]))
}

/** `#rrggbb` with an alpha in [0, 1]. */
export function alpha(hex: string, a: number): string {
  const n = Number.parseInt(hex.replace('#', ''), 16)
  return `rgba(${(n >> 16) & 255}, ${(n >> 8) & 255}, ${n & 255}, ${a})`
}

const MINUTE = 60_000
const HOUR = 60 * MINUTE
const DAY = 24 * HOUR
const YEAR = 365.25 * DAY

/** 840 ms, 3.42 s, 1 min 05 s, 2 h 05 min, 3 d 04 h, 12.5 years, over 1,000 years (never ms × 1e300). */
export function ms(value: number | null | undefined): string {
  if (value === null || value === undefined || Number.isNaN(value)) return '–'
  if (value < 0) return `−${ms(-value)}`
  if (value === Infinity) return 'never'
  if (value < 1000) return `${Math.round(value)} ms`
  if (value < MINUTE) return `${(value / 1000).toFixed(value < 10_000 ? 2 : 1)} s`
  const two = (n: number): string => String(n).padStart(2, '0')
  if (value < HOUR) {
    const s = Math.round(value / 1000)
    return `${Math.floor(s / 60)} min ${two(s % 60)} s`
  }
  if (value < DAY) {
    const m = Math.round(value / MINUTE)
    return `${Math.floor(m / 60)} h ${two(m % 60)} min`
  }
  if (value < YEAR) {
    const h = Math.round(value / HOUR)
    return `${Math.floor(h / 24)} d ${two(h % 24)} h`
  }
  const years = value / YEAR
  return years < 1000 ? `${years.toFixed(years < 10 ? 1 : 0)} years` : 'over 1,000 years'
}

/** Seconds for axes and short labels: 0.5 s, 2 s, 12 s; minutes and beyond as ms() says them. */
export function seconds(value: number): string {
  if (Number.isFinite(value) && Math.abs(value) >= 60_000 && value % 60_000 === 0 && Math.abs(value) < HOUR) return `${value / 60_000} min`
  if (!Number.isFinite(value) || Math.abs(value) >= 60_000) return ms(value)
  const s = value / 1000
  return `${Number.isInteger(s) ? s : s.toFixed(s < 10 ? 1 : 0)} s`
}

export function count(value: number): string {
  return value.toLocaleString('en-US')
}

export function bytes(value: number): string {
  if (value < 1024) return `${value} B`
  if (value < 1024 * 1024) return `${(value / 1024).toFixed(1)} KB`
  return `${(value / 1024 / 1024).toFixed(2)} MB`
}

/** 12:04:05.123 */
export function clock(at: number): string {
  const d = new Date(at)
  return `${d.toTimeString().slice(0, 8)}.${String(d.getMilliseconds()).padStart(3, '0')}`
}

/** A "nice" step for an axis covering `range` with about `ticks` ticks. */
export function niceStep(range: number, ticks: number): number {
  const raw = range / Math.max(1, ticks)
  const power = 10 ** Math.floor(Math.log10(raw))
  const unit = raw / power
  return (unit <= 1 ? 1 : unit <= 2 ? 2 : unit <= 2.5 ? 2.5 : unit <= 5 ? 5 : 10) * power
}
