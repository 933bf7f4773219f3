/**
 * The frames inspector: every frame either side could see, one row each, the full payload on click.
 * The page sees what the SDK hands it (sends, messages, its heartbeat's ping and pong, closes,
 * errors); a browser never sees protocol ping/pong frames, so the app server reports what it saw
 * on the wire (including pings from Node clients) and the rows say which side saw them.
 */
import { bytes, clock } from './canvas.js'

export type FrameKind = 'text' | 'binary' | 'ping' | 'pong' | 'close' | 'error'
export interface Frame {
  at: number
  side: 'page' | 'server'
  dir: 'in' | 'out' | ''
  kind: FrameKind
  size: number
  /** Full text (never cut): the payload, the close reason, the error message. */
  text: string
  hex?: string
  truncated?: boolean
  code?: number | string
  note?: string
  conn?: number
}

/** How many frames are kept (oldest go first) and drawn as rows. */
const KEEP = 3000
const SHOW = 600

export class FramesInspector {
  private frames: Frame[] = []
  private paused = false
  private waiting = 0
  private selected: Frame | undefined
  private readonly list: HTMLOListElement
  private readonly detail: HTMLElement
  private readonly search: HTMLInputElement
  private readonly side: HTMLSelectElement
  private readonly kinds: HTMLInputElement[]
  private readonly status: HTMLElement
  private readonly pause: HTMLButtonElement
  private renderTimer = 0

  constructor(root: HTMLElement) {
    const q = <T extends HTMLElement>(selector: string): T => root.querySelector<T>(selector)!
    this.list = q('.frames-list')
    this.detail = q('.frame-detail')
    this.search = q('.frames-search')
    this.side = q('.frames-side')
    this.kinds = Array.from(root.querySelectorAll<HTMLInputElement>('.frames-kind'))
    this.status = q('.frames-status')
    this.pause = q('.frames-pause')
    for (const input of [this.search, this.side, ...this.kinds]) input.addEventListener('input', () => this.render())
    this.pause.addEventListener('click', () => this.setPaused(!this.paused))
    q('.frames-clear').addEventListener('click', () => this.clear())
    this.list.addEventListener('click', (event) => {
      const li = (event.target as HTMLElement).closest('li')
      if (li) this.select(Number(li.dataset.index))
    })
    this.list.addEventListener('keydown', (event) => {
      const li = (event.target as HTMLElement).closest('li')
      if (li && (event.key === 'Enter' || event.key === ' ')) {
        event.preventDefault()
        this.select(Number(li.dataset.index))
      }
    })
    this.render()
  }

  add(frame: Frame): void {
    this.frames.push(frame)
    if (this.frames.length > KEEP) this.frames.splice(0, this.frames.length - KEEP)
    if (this.paused) {
      this.waiting++
      this.showStatus()
      return
    }
    // many frames in one go (a burst) render once
    if (!this.renderTimer) this.renderTimer = window.setTimeout(() => this.render(), 60)
  }

  all(): readonly Frame[] {
    return this.frames
  }

  /** Replace everything (an imported session). */
  load(frames: Frame[]): void {
    this.frames = frames.slice(-KEEP)
    this.selected = undefined
    this.render()
  }

  clear(): void {
    this.frames = []
    this.waiting = 0
    this.selected = undefined
    this.render()
  }

  setPaused(paused: boolean): void {
    this.paused = paused
    this.pause.setAttribute('aria-pressed', String(paused))
    this.pause.textContent = paused ? 'Resume' : 'Pause'
    if (!paused) {
      this.waiting = 0
      this.render()
    } else this.showStatus()
  }

  private matches(frame: Frame): boolean {
    const side = this.side.value
    if (side && frame.side !== side) return false
    const kinds = new Set(this.kinds.filter((k) => k.checked).flatMap((k) => k.value.split(' ')))
    if (!kinds.has(frame.kind)) return false
    const needle = this.search.value.trim().toLowerCase()
    return !needle || `${frame.text} ${frame.code ?? ''} ${frame.note ?? ''} ${frame.hex ?? ''}`.toLowerCase().includes(needle)
  }

  private render(): void {
    clearTimeout(this.renderTimer)
    this.renderTimer = 0
    const box = this.list.parentElement!
    const stick = box.scrollHeight - box.scrollTop - box.clientHeight < 40
    const shown: HTMLLIElement[] = []
    let matching = 0
    for (let i = this.frames.length - 1; i >= 0; i--) {
      const frame = this.frames[i]!
      if (!this.matches(frame)) continue
      matching++
      if (shown.length < SHOW) shown.push(this.row(frame, i))
    }
    this.list.replaceChildren(...shown.reverse())
    if (stick) box.scrollTop = box.scrollHeight
    this.status.dataset.matching = String(matching)
    this.showStatus(matching)
  }

  private showStatus(matching = Number(this.status.dataset.matching ?? 0)): void {
    const hidden = matching > SHOW ? ` (newest ${SHOW} shown)` : ''
    this.status.textContent = `${matching} of ${this.frames.length} frames${hidden}${this.paused ? ` · paused, ${this.waiting} new` : ''}`
  }

  private row(frame: Frame, index: number): HTMLLIElement {
    const li = document.createElement('li')
    li.dataset.index = String(index)
    li.dataset.kind = frame.kind
    li.dataset.side = frame.side
    li.tabIndex = 0
    li.className = `${frame.kind} ${frame.dir}`
    if (this.selected === frame) li.classList.add('selected')
    const arrow = frame.dir === 'out' ? '↑' : frame.dir === 'in' ? '↓' : '•'
    const cells: Array<[string, string]> = [
      ['t', clock(frame.at)],
      ['side', frame.side === 'page' ? 'page' : `srv#${frame.conn ?? '?'}`],
      ['d', arrow],
      ['k', frame.kind],
      ['z', bytes(frame.size)],
      ['m', preview(frame)],
    ]
    for (const [cls, text] of cells) {
      const span = document.createElement('span')
      span.className = cls
      span.textContent = text
      li.append(span)
    }
    return li
  }

  private select(index: number): void {
    const frame = this.frames[index]
    if (!frame) return
    this.selected = frame
    this.list.querySelectorAll('li.selected').forEach((li) => li.classList.remove('selected'))
    this.list.querySelector(`li[data-index="${index}"]`)?.classList.add('selected')
    const seen = frame.side === 'page' ? 'seen by the page (what the SDK reported)' : `seen by the app server on connection #${frame.conn}`
    const head = `${clock(frame.at)} · ${frame.dir === 'out' ? 'outbound' : frame.dir === 'in' ? 'inbound' : ''} ${frame.kind}${frame.code !== undefined ? ` ${frame.code}` : ''} · ${frame.size} B · ${seen}`
    const parts: HTMLElement[] = [Object.assign(document.createElement('p'), { className: 'frame-head', textContent: head })]
    if (frame.note) parts.push(Object.assign(document.createElement('p'), { className: 'frame-note', textContent: frame.note }))
    const body = document.createElement('pre')
    body.className = 'frame-text'
    body.id = 'frame-text'
    body.textContent = frame.kind === 'binary' ? hexDump(frame.hex ?? '') + (frame.truncated ? '\n… (first 4 KB shown)' : '') : frame.text || '(empty)'
    parts.push(body)
    this.detail.replaceChildren(...parts)
    this.detail.hidden = false
  }
}

function preview(frame: Frame): string {
  if (frame.kind === 'binary') return frame.hex ? hexDump(frame.hex.slice(0, 64)).replace(/\n/g, ' ') : '[binary]'
  if (frame.kind === 'close') return `${frame.code ?? ''}${frame.text ? ` ${frame.text}` : ''}${frame.note ? ` · ${frame.note}` : ''}`
  if (frame.kind === 'error') return `${frame.code ?? 'error'}: ${frame.text}`
  return frame.text
}

/** `0a 1b 2c …`, 16 bytes a line. */
export function hexDump(hex: string): string {
  const pairs = hex.match(/../g) ?? []
  const lines: string[] = []
  for (let i = 0; i < pairs.length; i += 16) lines.push(`${(i).toString(16).padStart(4, '0')}  ${pairs.slice(i, i + 16).join(' ')}`)
  return lines.join('\n')
}

/** Hex of an ArrayBuffer / typed array / Blob size, for a frame row. */
export function toHex(data: unknown): { size: number; hex: string; truncated: boolean } {
  const view = data instanceof ArrayBuffer ? new Uint8Array(data) : ArrayBuffer.isView(data) ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength) : undefined
  if (!view) return { size: (data as { size?: number }).size ?? 0, hex: '', truncated: false }
  const shown = view.subarray(0, 4096)
  return { size: view.byteLength, hex: Array.from(shown, (b) => b.toString(16).padStart(2, '0')).join(''), truncated: view.byteLength > shown.length }
}
