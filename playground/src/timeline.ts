/**
 * The live timeline: one lane per state over the last N seconds, like a logic analyser, with fault
 * windows behind it, a row of message ticks and a row of heartbeats. Redrawn every animation frame
 * from the events the page records; nothing here knows about sockets.
 */
import type { Phase } from 'lifeline-ws'
import { alpha, clock, fit, ms, seconds, theme } from './canvas.js'

export const LANES: readonly Phase[] = ['idle', 'connecting', 'open', 'backoff', 'closed']

export interface Transition {
  at: number
  from: Phase
  to: Phase
  reason: string
}
export type MarkKind = 'sent' | 'queued' | 'received' | 'drop' | 'ping' | 'pong'
interface Mark {
  at: number
  kind: MarkKind
}
interface Fault {
  start: number
  /** null: still going (drawn up to now); equal to start: a moment (a line). */
  end: number | null
  label: string
}
interface Retry {
  at: number
  delay: number
  attempt: number
}

/** A label to place: tried at each candidate position in turn, full text first, then the short one. */
interface Label {
  text: string
  short?: string
  /** Candidate left edges and vertical centres, best first. */
  at: Array<[x: number, y: number]>
  color: string
  font: string
  /** A dark chip behind the text (labels drawn over bars). */
  chip?: boolean
  /** Dropped without notice when there is no room (it repeats what the page says elsewhere). */
  optional?: boolean
  tip: string
}
/** A placed label's box, in CSS pixels (the test checks that none overlap). */
export interface LabelBox {
  text: string
  x: number
  y: number
  w: number
  h: number
}
/** A region of the canvas with its exact description, for the tooltip. */
interface Hit {
  x0: number
  x1: number
  y0: number
  y1: number
  tip: string
}

/** Keep this much history (the longest window plus a margin). */
const KEEP_MS = 6 * 60_000

export class Timeline {
  windowMs = 30_000
  private transitions: Transition[] = []
  private marks: Mark[] = []
  private faults: Fault[] = []
  private retries: Retry[] = []
  private notes: { at: number; label: string }[] = []
  private start: { at: number; phase: Phase }
  private frame = 0
  private colors = theme()
  private lastPrune = 0
  private hits: Hit[] = []
  /** Labels placed in the last frame, and those that found no free spot (their text is in the tooltips). */
  labelBoxes: LabelBox[] = []
  unplaced: string[] = []
  /** The heartbeat's detection bound (interval + timeout, ms), for the measurements; undefined: none. */
  heartbeatBound: number | undefined

  constructor(
    private readonly canvas: HTMLCanvasElement,
    private readonly tooltip?: HTMLElement,
    /** Where the labels that found no room are counted. */
    private readonly more?: HTMLElement,
    now = Date.now(),
  ) {
    this.start = { at: now, phase: 'idle' }
    canvas.addEventListener('mousemove', (event) => this.showTip(event))
    canvas.addEventListener('mouseleave', () => tooltip && (tooltip.hidden = true))
  }

  /** The exact times of whatever is under the pointer. */
  private showTip(event: MouseEvent): void {
    if (!this.tooltip) return
    const rect = this.canvas.getBoundingClientRect()
    const px = event.clientX - rect.left
    const py = event.clientY - rect.top
    const found = this.hits.filter((h) => px >= h.x0 - 3 && px <= h.x1 + 3 && py >= h.y0 && py <= h.y1)
    if (found.length === 0) {
      this.tooltip.hidden = true
      return
    }
    this.tooltip.textContent = found
      .slice(-4)
      .map((h) => h.tip)
      .join('\n')
    this.tooltip.hidden = false
    const box = this.tooltip.parentElement!.getBoundingClientRect()
    const left = Math.min(event.clientX - box.left + 12, box.width - this.tooltip.offsetWidth - 4)
    this.tooltip.style.left = `${Math.max(0, left)}px`
    this.tooltip.style.top = `${event.clientY - box.top + 14}px`
  }

  /** What is measured for each fault: when the socket left open, and when it was open again. */
  measurements(): Array<{ fault: string; start: number; lastData?: number; noticed?: number; back?: number }> {
    const out: Array<{ fault: string; start: number; lastData?: number; noticed?: number; back?: number }> = []
    const faults = [...this.faults].sort((a, b) => a.start - b.start)
    faults.forEach((f, i) => {
      const nextFault = faults[i + 1]?.start ?? Infinity
      const leave = this.transitions.find((t) => t.at >= f.start && t.at < nextFault && t.from === 'open')
      if (!leave) {
        out.push({ fault: f.label, start: f.start })
        return
      }
      const back = this.transitions.find((t) => t.at > leave.at && t.to === 'open')
      const lastData = [...this.marks].reverse().find((m) => m.at <= leave.at && (m.kind === 'received' || m.kind === 'pong'))?.at
      out.push({ fault: f.label, start: f.start, lastData, noticed: leave.at, back: back?.at })
    })
    return out
  }

  transition(t: Transition): void {
    this.transitions.push(t)
  }
  mark(kind: MarkKind, at = Date.now()): void {
    this.marks.push({ kind, at })
  }
  /** A fault window (or a moment, when end === start). Returns it so its end can be set later. */
  fault(label: string, start: number, end: number | null): Fault {
    const fault = { label, start, end }
    this.faults.push(fault)
    return fault
  }
  retry(attempt: number, delay: number, at = Date.now()): void {
    this.retries.push({ at, delay, attempt })
  }
  /** A labelled moment that is not a fault (a new socket, a policy applied). */
  note(label: string, at = Date.now()): void {
    this.notes.push({ at, label })
  }
  /** The phase now: the last transition's target. */
  get phase(): Phase {
    return this.transitions.at(-1)?.to ?? this.start.phase
  }

  /** A planned wait ends when it is due, or earlier if the socket left 'backoff' first (online, reconnect()). */
  private retryEnd(r: Retry): number {
    const left = this.transitions.find((t) => t.at >= r.at && t.from === 'backoff')
    return left ? Math.min(left.at, r.at + r.delay) : r.at + r.delay
  }

  run(): void {
    const loop = (): void => {
      this.draw(Date.now())
      this.frame = requestAnimationFrame(loop)
    }
    this.frame = requestAnimationFrame(loop)
  }
  stop(): void {
    cancelAnimationFrame(this.frame)
  }

  private prune(now: number): void {
    if (now - this.lastPrune < 5_000) return
    this.lastPrune = now
    const horizon = now - KEEP_MS
    const firstKept = this.transitions.findIndex((t) => t.at >= horizon)
    if (firstKept > 0) {
      this.start = { at: horizon, phase: this.transitions[firstKept - 1]!.to }
      this.transitions.splice(0, firstKept)
    }
    this.marks = this.marks.filter((m) => m.at >= horizon)
    this.faults = this.faults.filter((f) => f.end === null || f.end >= horizon)
    this.retries = this.retries.filter((r) => r.at + r.delay >= horizon)
    this.notes = this.notes.filter((n) => n.at >= horizon)
  }

  /**
   * Every label gets the first candidate spot where it overlaps no label placed before it, with its
   * full text, else its short text. One that finds none is listed in `unplaced` (its full text is
   * in the tooltip of its mark) and a count is shown, so no label vanishes silently.
   */
  private placeLabels(ctx: CanvasRenderingContext2D, labels: Label[], area: { left: number; right: number; top: number; bottom: number }): void {
    const boxes: LabelBox[] = []
    const unplaced: string[] = []
    const free = (b: LabelBox): boolean =>
      b.x >= area.left && b.x + b.w <= area.right && b.y >= area.top && b.y + b.h <= area.bottom && boxes.every((o) => b.x + b.w <= o.x || o.x + o.w <= b.x || b.y + b.h <= o.y || o.y + o.h <= b.y)
    for (const label of labels) {
      ctx.font = label.font
      let placed: LabelBox | undefined
      for (const text of label.short ? [label.text, label.short] : [label.text]) {
        const w = ctx.measureText(text).width + 8
        for (const [lx, ly] of label.at) {
          const box = { text, x: Math.min(lx, area.right - w), y: ly - 7, w, h: 14 }
          if (free(box)) {
            placed = box
            break
          }
        }
        if (placed) break
      }
      if (!placed) {
        if (!label.optional) unplaced.push(label.text)
        continue
      }
      boxes.push(placed)
      if (label.chip) {
        ctx.fillStyle = 'rgba(13,17,23,0.85)'
        ctx.fillRect(placed.x, placed.y, placed.w, placed.h)
      }
      ctx.fillStyle = label.color
      ctx.textAlign = 'left'
      ctx.textBaseline = 'middle'
      ctx.fillText(placed.text, placed.x + 4, placed.y + 7.5)
    }
    if (this.more) {
      const text = unplaced.length ? `${unplaced.length} label${unplaced.length === 1 ? '' : 's'} hidden at this zoom: hover the marks, or “as text”` : ''
      if (this.more.textContent !== text) {
        this.more.textContent = text
        this.more.title = unplaced.join('\n')
      }
    }
    this.labelBoxes = boxes
    this.unplaced = unplaced
    this.canvas.dataset.labels = JSON.stringify(boxes.map((b) => [b.text, Math.round(b.x), Math.round(b.y), Math.round(b.w), b.h]))
    this.canvas.dataset.unplaced = String(unplaced.length)
  }

  draw(now: number): void {
    this.prune(now)
    const { ctx, width, height } = fit(this.canvas)
    const c = this.colors
    const mono = c.mono || 'monospace'
    const sans = c.sans || 'sans-serif'
    const gutter = width < 500 ? 66 : 84
    const right = width - 6
    const plotW = Math.max(10, right - gutter)
    const from = now - this.windowMs
    const x = (t: number): number => gutter + ((t - from) / this.windowMs) * plotW

    // vertical layout
    const top = 16
    const axisH = 18
    const rowH = 17
    const measureH = 24
    const laneArea = Math.max(5 * 14, height - top - axisH - 2 * rowH - 12 - measureH)
    const laneH = laneArea / LANES.length
    const laneY = (phase: Phase): number => top + LANES.indexOf(phase) * laneH
    const msgY = top + laneArea + 6
    const hbY = msgY + rowH + 2
    const measureTop = hbY + rowH + 2
    const bottom = measureTop + measureH

    // lane backgrounds and labels
    ctx.font = `600 11px ${mono}`
    ctx.textBaseline = 'middle'
    const current = this.phase
    LANES.forEach((phase, i) => {
      const y = laneY(phase)
      ctx.fillStyle = i % 2 === 0 ? 'rgba(255,255,255,0.025)' : 'rgba(255,255,255,0.0)'
      ctx.fillRect(gutter, y, plotW, laneH)
      ctx.fillStyle = c[phase]!
      ctx.fillText(phase, 6, y + laneH / 2)
      if (phase === current) {
        ctx.beginPath()
        ctx.arc(gutter - 8, y + laneH / 2, 3, 0, Math.PI * 2)
        ctx.fill()
      }
    })
    ctx.font = `11px ${sans}`
    ctx.fillStyle = c.muted!
    ctx.fillText('messages', 6, msgY + rowH / 2)
    ctx.fillText('heartbeat', 6, hbY + rowH / 2)
    ctx.fillText('measured', 6, measureTop + measureH / 2)
    ctx.fillStyle = 'rgba(255,255,255,0.025)'
    ctx.fillRect(gutter, msgY, plotW, rowH)
    ctx.fillRect(gutter, hbY, plotW, rowH)

    // time grid
    // a grid line every 5, 10, 20, 30 or 60 s: the smallest that leaves room for its label
    const step = [1_000, 2_000, 5_000, 10_000, 20_000, 30_000, 60_000].find((st) => (st / this.windowMs) * plotW >= 56) ?? 60_000
    ctx.strokeStyle = 'rgba(255,255,255,0.06)'
    ctx.lineWidth = 1
    ctx.fillStyle = c.muted!
    ctx.font = `10.5px ${mono}`
    ctx.textAlign = 'center'
    for (let ago = 0; ago <= this.windowMs; ago += step) {
      const gx = Math.round(x(now - ago)) + 0.5
      ctx.beginPath()
      ctx.moveTo(gx, top)
      ctx.lineTo(gx, bottom)
      ctx.stroke()
      // whole minutes as minutes, the rest in seconds: short enough for the grid's spacing
      const label = ago === 0 ? 'now' : ago % 60_000 === 0 ? `−${ago / 60_000} min` : `−${Math.round(ago / 1000)} s`
      ctx.textAlign = ago === 0 ? 'right' : ago === this.windowMs ? 'left' : 'center'
      ctx.fillText(label, ago === 0 ? gx + 4 : gx, bottom + axisH / 2 + 1)
    }
    ctx.textAlign = 'left'

    ctx.save()
    ctx.beginPath()
    ctx.rect(gutter, 0, plotW + 1, height)
    ctx.clip()

    // fault windows, behind everything
    const hits: Hit[] = []
    const labels: Label[] = []
    const chipRows = [0, 1, 2, 3, 4, 5].map((row) => top + 8 + row * 14)
    /** Candidates for a label about moment `lx`: the strip above the plot, then chips inside it. */
    const around = (lx: number, w: number): Array<[number, number]> => {
      const starts = [lx, lx - w, lx + 6, lx - w / 2].map((v) => Math.max(gutter, Math.min(right - w, v)))
      return [top - 9, ...chipRows].flatMap((y) => starts.map((sx) => [sx, y] as [number, number]))
    }
    ctx.font = `600 10.5px ${sans}`
    for (const f of [...this.faults].sort((a, b) => a.start - b.start)) {
      const end = f.end === null ? now : Math.min(f.end, now)
      if (end < from && f.end !== null) continue
      const x0 = x(f.start)
      const x1 = x(end)
      const moment = f.end !== null && f.end === f.start
      if (moment) {
        ctx.strokeStyle = alpha(c.fault!, 0.9)
        ctx.setLineDash([3, 3])
        ctx.beginPath()
        ctx.moveTo(Math.round(x0) + 0.5, top - 2)
        ctx.lineTo(Math.round(x0) + 0.5, bottom)
        ctx.stroke()
        ctx.setLineDash([])
      } else {
        ctx.fillStyle = alpha(c.fault!, 0.14)
        ctx.fillRect(x0, top - 2, Math.max(1.5, x1 - x0), bottom - top + 2)
        ctx.fillStyle = alpha(c.fault!, 0.85)
        ctx.fillRect(Math.round(x0), top - 2, 1.5, bottom - top + 2)
      }
      const span = f.end === null ? `${clock(f.start)} → (ongoing)` : moment ? clock(f.start) : `${clock(f.start)} → ${clock(f.end)} (${ms(f.end - f.start)})`
      const tip = `${f.label}: ${span}`
      hits.push({ x0: Math.min(x0, x1), x1: moment ? x0 : x1, y0: top - 16, y1: bottom, tip })
      ctx.font = `600 10.5px ${sans}`
      const tw = ctx.measureText(f.label).width + 8
      labels.push({ text: f.label, short: f.label.split(' ').slice(0, 2).join(' '), at: around(x0, tw), color: c.fault!, font: `600 10.5px ${sans}`, chip: true, tip })
    }
    for (const n of this.notes) {
      const nx = Math.round(x(n.at)) + 0.5
      if (nx < gutter - 40) continue
      ctx.strokeStyle = alpha(c.text!, 0.5)
      ctx.setLineDash([2, 3])
      ctx.beginPath()
      ctx.moveTo(nx, top - 2)
      ctx.lineTo(nx, bottom)
      ctx.stroke()
      ctx.setLineDash([])
      ctx.font = `10.5px ${sans}`
      const tw = ctx.measureText(n.label).width + 8
      const tip = `${n.label}: ${clock(n.at)}`
      hits.push({ x0: nx, x1: nx, y0: top - 16, y1: bottom, tip })
      labels.push({ text: n.label, at: around(nx, tw), color: c.text!, font: `10.5px ${sans}`, chip: true, tip })
    }

    // planned retry waits (dashed): the backoff bar fills them like a progress bar
    const backoffY = laneY('backoff')
    ctx.lineWidth = 1
    for (const r of this.retries) {
      const end = this.retryEnd(r)
      if (end < from) continue
      const x0 = x(r.at)
      const x1 = x(end)
      ctx.strokeStyle = alpha(c.retry!, 0.8)
      ctx.setLineDash([4, 3])
      ctx.strokeRect(x0 + 0.5, backoffY + laneH * 0.18, Math.max(1, x1 - x0), laneH * 0.64)
      ctx.setLineDash([])
      const planned = r.at + r.delay
      hits.push({
        x0,
        x1,
        y0: backoffY,
        y1: backoffY + laneH,
        tip: `retry ${r.attempt}: wait ${ms(r.delay)} planned ${clock(r.at)} → ${clock(planned)}${end < planned ? ` (left early at ${clock(end)})` : ''}`,
      })
    }

    // state bars and the steps between lanes
    const segments: { phase: Phase; t0: number; t1: number; reason: string }[] = []
    let phase = this.start.phase
    let t0 = this.start.at
    let reason = ''
    for (const t of this.transitions) {
      segments.push({ phase, t0, t1: t.at, reason })
      phase = t.to
      t0 = t.at
      reason = t.reason
    }
    segments.push({ phase, t0, t1: now, reason })
    const barH = Math.max(6, laneH * 0.56)
    for (let i = 0; i < segments.length; i++) {
      const s = segments[i]!
      if (s.t1 < from) continue
      const x0 = Math.max(gutter - 2, x(s.t0))
      const x1 = x(s.t1)
      const y = laneY(s.phase) + (laneH - barH) / 2
      ctx.fillStyle = alpha(c[s.phase]!, s.phase === 'idle' ? 0.55 : 0.9)
      ctx.fillRect(x0, y, Math.max(1.5, x1 - x0), barH)
      hits.push({
        x0,
        x1,
        y0: laneY(s.phase),
        y1: laneY(s.phase) + laneH,
        tip: `${s.phase} ${clock(s.t0)} → ${i === segments.length - 1 ? 'now' : clock(s.t1)} (${ms(s.t1 - s.t0)})${s.reason ? ` · ${s.reason}` : ''}`,
      })
      const next = segments[i + 1]
      if (next) {
        const yA = laneY(s.phase) + laneH / 2
        const yB = laneY(next.phase) + laneH / 2
        ctx.strokeStyle = alpha(c[next.phase]!, 0.75)
        ctx.lineWidth = 1.5
        ctx.beginPath()
        ctx.moveTo(Math.round(x1) + 0.5, yA)
        ctx.lineTo(Math.round(x1) + 0.5, yB)
        ctx.stroke()
        ctx.lineWidth = 1
      }
    }
    // why each open ended, written where the open bar stops
    ctx.font = `10.5px ${mono}`
    for (let i = 1; i < segments.length; i++) {
      const prev = segments[i - 1]!
      const s = segments[i]!
      if (prev.phase !== 'open' && s.phase !== 'closed') continue
      if (s.t0 < from) continue
      const lane = prev.phase === 'open' ? 'open' : 'closed'
      const text = s.reason
      if (!text) continue
      const tx = x(s.t0) + 5
      const ly = laneY(lane) + laneH / 2
      const font = `10.5px ${mono}`
      ctx.font = font
      const w = ctx.measureText(`✕ ${text}`).width + 8
      // in its lane right of the step; else the lanes around it, on a chip
      const ys = [ly, ...LANES.map((p) => laneY(p) + laneH / 2).filter((y) => y !== ly)]
      const xs = [tx, Math.max(gutter, tx - w - 8)]
      labels.push({
        text: `✕ ${text}`,
        short: `✕ ${text.split(' ').slice(0, 2).join(' ')}`,
        at: ys.flatMap((y) => xs.map((sx) => [sx, y] as [number, number])),
        color: lane === 'open' ? c.text! : c.closed!,
        font,
        chip: true,
        tip: `${prev.phase} → ${s.phase} at ${clock(s.t0)}: ${text}`,
      })
    }
    // how long the current state has lasted, at its bar's end
    const last = segments.at(-1)!
    const elapsed = now - last.t0
    if (elapsed > 400) {
      const label = seconds(Math.round(elapsed / 100) * 100)
      ctx.font = `600 10.5px ${mono}`
      const tw = ctx.measureText(label).width
      const lx = x(now) - tw - 10
      if (lx > x(last.t0) + 4) {
        labels.push({ text: label, at: [[lx, laneY(last.phase) + laneH / 2]], color: 'rgba(13,17,23,0.85)', font: `600 10.5px ${mono}`, optional: true, tip: `${last.phase} for ${ms(elapsed)}` })
      }
    }
    // retry labels: inside the wait when it fits, else beside it or in the lanes around
    for (const r of this.retries) {
      const end = this.retryEnd(r)
      if (end < from) continue
      const x0 = x(r.at)
      const text = `retry ${r.attempt} · ${seconds(Math.round(r.delay / 10) * 10)}`
      const ys = [backoffY + laneH / 2, laneY('closed') + laneH / 2, laneY('connecting') + laneH / 2]
      labels.push({
        text,
        short: `r${r.attempt} ${seconds(Math.round(r.delay / 100) * 100)}`,
        at: [...ys.flatMap((y) => [x0 + 4, x(end) + 4, x0 - 60].map((sx) => [Math.max(gutter, sx), y] as [number, number])), ...around(x0, 90)],
        color: c.text!,
        font: `10px ${mono}`,
        chip: true,
        tip: `retry ${r.attempt}: wait ${ms(r.delay)} from ${clock(r.at)}`,
      })
    }
    // what was measured for each fault: when the socket noticed, when it was open again
    const measureY = measureTop + 2
    for (const m of this.measurements()) {
      if (m.noticed === undefined) continue
      const endAt = m.back ?? now
      if (endAt < from) continue
      const x0 = x(m.start)
      const x1 = x(endAt)
      ctx.strokeStyle = alpha(c.text!, 0.55)
      ctx.beginPath()
      ctx.moveTo(x0, measureY)
      ctx.lineTo(x0, measureY + 6)
      ctx.moveTo(x0, measureY + 3)
      ctx.lineTo(x1, measureY + 3)
      ctx.moveTo(x1, measureY)
      ctx.lineTo(x1, measureY + 6)
      ctx.stroke()
      const noticedAfter = m.lastData !== undefined ? m.noticed - Math.max(m.lastData, m.start - 60_000) : m.noticed - m.start
      const bound = this.heartbeatBound !== undefined ? ` (bound interval + timeout ${seconds(this.heartbeatBound)})` : ''
      const noticed = m.lastData !== undefined ? `last data → noticed after ${seconds(Math.round(noticedAfter / 100) * 100)}${bound}` : `noticed after ${seconds(Math.round((m.noticed - m.start) / 100) * 100)}`
      const back = m.back !== undefined ? `fault → open again after ${seconds(Math.round((m.back - m.start) / 100) * 100)}` : 'not open yet'
      const tip = `${m.fault}: fault ${clock(m.start)}${m.lastData !== undefined ? ` · last data ${clock(m.lastData)}` : ''} · noticed ${clock(m.noticed)} (${ms(noticedAfter)} after the last data${bound}) · ${m.back !== undefined ? `open again ${clock(m.back)} (${ms(m.back - m.start)} after the fault)` : 'not open yet'}`
      hits.push({ x0, x1, y0: measureY - 2, y1: measureY + 20, tip })
      const short = `noticed ${seconds(Math.round(noticedAfter / 100) * 100)} · open ${m.back !== undefined ? seconds(Math.round((m.back - m.start) / 100) * 100) : '…'}`
      labels.push({
        text: `${noticed} · ${back}`,
        short,
        chip: true,
        at: [...[x0, x1 - 200, x0 - 100, x1 - 100].map((sx) => [Math.max(gutter, sx), measureY + 14] as [number, number]), ...around(x0, 200)],
        color: c.text!,
        font: `10px ${mono}`,
        tip,
      })
    }

    // messages: sent up, received down, drops as crosses
    const mid = msgY + rowH / 2
    for (const m of this.marks) {
      if (m.at < from) continue
      const mx = Math.round(x(m.at)) + 0.5
      switch (m.kind) {
        case 'sent':
        case 'queued':
          ctx.strokeStyle = m.kind === 'sent' ? c.sent! : alpha(c.sent!, 0.5)
          ctx.beginPath()
          ctx.moveTo(mx, msgY + 2)
          ctx.lineTo(mx, mid)
          ctx.stroke()
          break
        case 'received':
          ctx.strokeStyle = c.received!
          ctx.beginPath()
          ctx.moveTo(mx, mid)
          ctx.lineTo(mx, msgY + rowH - 2)
          ctx.stroke()
          break
        case 'drop':
          ctx.strokeStyle = c.drop!
          ctx.lineWidth = 1.5
          ctx.beginPath()
          ctx.moveTo(mx - 3, mid - 3)
          ctx.lineTo(mx + 3, mid + 3)
          ctx.moveTo(mx + 3, mid - 3)
          ctx.lineTo(mx - 3, mid + 3)
          ctx.stroke()
          ctx.lineWidth = 1
          break
        default:
          break
      }
    }
    // heartbeats: a hollow ring per ping, joined to the filled dot of its pong
    const hbMid = hbY + rowH / 2
    let ping: number | undefined
    for (const m of this.marks) {
      if (m.kind !== 'ping' && m.kind !== 'pong') continue
      if (m.kind === 'ping') {
        ping = m.at
        if (m.at < from) continue
        ctx.strokeStyle = c.heartbeat!
        ctx.beginPath()
        ctx.arc(x(m.at), hbMid, 3.2, 0, Math.PI * 2)
        ctx.stroke()
      } else {
        if (m.at < from) continue
        if (ping !== undefined) {
          ctx.strokeStyle = alpha(c.heartbeat!, 0.6)
          ctx.beginPath()
          ctx.moveTo(x(ping) + 3, hbMid)
          ctx.lineTo(x(m.at), hbMid)
          ctx.stroke()
        }
        ping = undefined
        ctx.fillStyle = c.heartbeat!
        ctx.beginPath()
        ctx.arc(x(m.at), hbMid, 3.2, 0, Math.PI * 2)
        ctx.fill()
      }
    }
    this.placeLabels(ctx, labels, { left: gutter, right, top: 0, bottom: height })
    this.hits = hits
    ctx.restore()

    // the present
    ctx.strokeStyle = alpha(c.text!, 0.35)
    ctx.beginPath()
    ctx.moveTo(Math.round(x(now)) - 0.5, top - 2)
    ctx.lineTo(Math.round(x(now)) - 0.5, bottom)
    ctx.stroke()
  }
}


