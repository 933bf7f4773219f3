/**
 * The live timeline: one lane per state over the last N seconds, like a logic analyser, with fault
 * windows behind it, a row of message ticks and a row of heartbeats. Redrawn every animation frame
 * from the events the page records; nothing here knows about sockets.
 */
import type { Phase } from 'lifeline-ws'
import { alpha, fit, seconds, theme } from './canvas.js'

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

  constructor(
    private readonly canvas: HTMLCanvasElement,
    now = Date.now(),
  ) {
    this.start = { at: now, phase: 'idle' }
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
    const laneArea = Math.max(5 * 14, height - top - axisH - 2 * rowH - 12)
    const laneH = laneArea / LANES.length
    const laneY = (phase: Phase): number => top + LANES.indexOf(phase) * laneH
    const msgY = top + laneArea + 6
    const hbY = msgY + rowH + 2
    const bottom = hbY + rowH

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
      const label = ago === 0 ? 'now' : `−${seconds(ago)}`
      ctx.textAlign = ago === 0 ? 'right' : ago === this.windowMs ? 'left' : 'center'
      ctx.fillText(label, ago === 0 ? gx + 4 : gx, bottom + axisH / 2 + 1)
    }
    ctx.textAlign = 'left'

    ctx.save()
    ctx.beginPath()
    ctx.rect(gutter, 0, plotW + 1, height)
    ctx.clip()

    // fault windows, behind everything
    const labelSlots: number[] = [] // right end of the last label per row
    const placeLabel = (lx: number, w: number): number => {
      for (let row = 0; row < 3; row++) {
        if ((labelSlots[row] ?? -Infinity) < lx - 2) {
          labelSlots[row] = lx + w
          return row
        }
      }
      return -1
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
      const tw = ctx.measureText(f.label).width + 8
      // near the present a label would run off the edge: it goes to the left of its line instead
      const lx = x0 + tw > right ? Math.max(gutter, x0 - tw) : x0
      const row = placeLabel(lx, tw)
      if (row === 0) {
        ctx.fillStyle = c.fault!
        ctx.fillText(f.label, lx + 4, top - 9)
      } else if (row > 0) {
        // further labels go inside the band, under the first, on a dark chip
        const ly = top + 8 + (row - 1) * 14
        ctx.fillStyle = 'rgba(13,17,23,0.85)'
        ctx.fillRect(lx + 2, ly - 7, tw, 14)
        ctx.fillStyle = c.fault!
        ctx.fillText(f.label, lx + 6, ly)
      }
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
      const lx = nx + tw > right ? Math.max(gutter, nx - tw) : nx
      if (placeLabel(lx, tw) === 0) {
        ctx.fillStyle = c.text!
        ctx.fillText(n.label, lx + 4, top - 9)
      }
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
      const back = segments.slice(i + 1).find((later) => later.phase === lane)
      const room = (back ? x(back.t0) : right) - tx - 4
      if (room < 30) continue
      ctx.fillStyle = lane === 'open' ? c.muted! : c.closed!
      ctx.fillText(fitText(ctx, `✕ ${text}`, room), tx, laneY(lane) + laneH / 2)
    }
    // how long the current state has lasted, at its bar's end
    const last = segments.at(-1)!
    const elapsed = now - last.t0
    if (elapsed > 400) {
      const label = seconds(Math.round(elapsed / 100) * 100)
      ctx.font = `600 10.5px ${mono}`
      const tw = ctx.measureText(label).width
      const lx = x(now) - tw - 6
      if (lx > x(last.t0) + 4) {
        ctx.fillStyle = 'rgba(13,17,23,0.75)'
        ctx.fillText(label, lx, laneY(last.phase) + laneH / 2)
      }
    }
    // retry labels, after the bars so they stay readable
    ctx.font = `10px ${mono}`
    for (const r of this.retries) {
      const end = this.retryEnd(r)
      if (end < from) continue
      const x0 = x(r.at)
      const x1 = x(end)
      const text = `retry ${r.attempt} · ${seconds(Math.round(r.delay / 10) * 10)}`
      const w = ctx.measureText(text).width
      if (x1 - x0 > w + 8) {
        ctx.fillStyle = c.text!
        ctx.fillText(text, x0 + 4, backoffY + laneH / 2 + 0.5)
      }
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
    ctx.restore()

    // the present
    ctx.strokeStyle = alpha(c.text!, 0.35)
    ctx.beginPath()
    ctx.moveTo(Math.round(x(now)) - 0.5, top - 2)
    ctx.lineTo(Math.round(x(now)) - 0.5, bottom)
    ctx.stroke()
  }
}

function fitText(ctx: CanvasRenderingContext2D, text: string, room: number): string {
  if (ctx.measureText(text).width <= room) return text
  let t = text
  while (t.length > 2 && ctx.measureText(`${t}…`).width > room) t = t.slice(0, -1)
  return `${t}…`
}
