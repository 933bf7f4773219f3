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

/** 840 ms, 3.42 s, 1 min 05 s */
export function ms(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '–'
  if (value < 1000) return `${Math.round(value)} ms`
  if (value < 60_000) return `${(value / 1000).toFixed(value < 10_000 ? 2 : 1)} s`
  const m = Math.floor(value / 60_000)
  const s = Math.round((value % 60_000) / 1000)
  return `${m} min ${String(s).padStart(2, '0')} s`
}

/** Seconds for axes: 0.5 s, 2 s, 12 s */
export function seconds(value: number): string {
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
