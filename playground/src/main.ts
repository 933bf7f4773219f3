/**
 * The playground page: one lifeline-ws socket, imported exactly as a user imports it, watched from
 * every side (timeline, stats(), history(), a message log) while the fault buttons break the
 * network under it, and a policy editor whose plots come from the SDK's own pure core.
 */
import type { Disconnect, EnvSignal, Phase, Stats } from 'lifeline-ws'
import * as api from './api.js'
import { bytes, clock, count, ms } from './canvas.js'
import { drawHerd, drawSchedule, herdSummary, schedule, scheduleSummary } from './charts.js'
import { FramesInspector, toHex } from './frames.js'
import { startHost, type SocketHost, type Where } from './host.js'
import type { HerdRequest, HerdResponse } from './herd.worker.js'
import { checkPolicy, format, PLAYGROUND_POLICY, PRESETS, type Checked } from './policy.js'
import type { SendResult, SocketEvent } from './run-socket.js'
import { SCENARIOS, type Check, type Scenario, type ScenarioContext } from './scenarios.js'
import { asCreateSocket, parseSession, policyFromHash, urlWithPolicy, type Session } from './share.js'
import { Timeline } from './timeline.js'

const $ = <T extends HTMLElement = HTMLElement>(id: string): T => {
  const element = document.getElementById(id)
  if (!element) throw new Error(`#${id} is missing from index.html`)
  return element as T
}
type Valid = Extract<Checked, { ok: true }>

// ── state of the page ────────────────────────────────────────────────────────────────────────────
/** The socket, in the page or in a worker; its stats() and history() come with it. */
let host: SocketHost | undefined
/** Where the next socket runs, and whether it opens an exactly-once session (the header's toggles). */
let where: Where = 'page'
let sessionMode = false
/** This socket's tag in its URL (?client=…): the app server counts what each socket sent. */
let clientTag = ''
let applied: Valid | undefined
let lastValid: Valid | undefined
let wsUrl = ''
let hasApi = false
let outCount = 0
let inCount = 0
let dropCount = 0
let bursts = 0
/** The socket's last 'error' event, with when it came (stats() keeps only its message). */
let lastError: { code: string; message: string; at: number } | undefined
/** When the current retry fires (for the header's countdown). */
let retryDue: { at: number; attempt: number } | undefined

const timeline = new Timeline($<HTMLCanvasElement>('timeline'), $('timeline-tip'), $('timeline-more'))
const frames = new FramesInspector($('frames'))
/** send() calls the socket accepted and refused (the delivery panel's first numbers). */
const delivery = { accepted: 0, refused: 0 }
/** The control server's last state (for the delivery panel's server side). */
let serverState: api.ControlState | undefined
const root = document.documentElement

// ── the accessible event list (the timeline as text; tests read it too) ───────────────────────────
const transitionList = $<HTMLOListElement>('transitions')
function listEvent(text: string, data: Record<string, string | number>): void {
  const li = document.createElement('li')
  li.textContent = `${clock(Number(data.at))}  ${text}`
  for (const [key, value] of Object.entries(data)) li.dataset[key] = String(value)
  transitionList.append(li)
  while (transitionList.childElementCount > 400) transitionList.firstElementChild!.remove()
  $('transition-count').textContent = String(transitionList.childElementCount)
}

// ── message log ──────────────────────────────────────────────────────────────────────────────────
interface Row {
  li: HTMLLIElement
  status: HTMLSpanElement
  n: number | ''
}
const logList = $<HTMLOListElement>('log')
const logBox = logList.parentElement!
const LOG_LIMIT = 600
let logBuffer: HTMLLIElement[] = []
let logFrame = 0
/** Rows of messages sent while not open, by text, waiting to be flushed (or dropped). */
const queuedRows = new Map<string, Row[]>()

function row(kind: 'out' | 'in' | 'drop' | 'sys', n: number | '', text: string, status = '', extra = ''): Row {
  const li = document.createElement('li')
  li.className = `${kind} ${extra}`.trim()
  const symbol = { out: '↑', in: '↓', drop: '✕', sys: '•' }[kind]
  const cells = [clock(Date.now()), symbol, n === '' ? '' : String(n), text, status]
  const classes = ['t', 'd', 'n', kind === 'sys' ? 'm x' : 'm', 's']
  let statusCell!: HTMLSpanElement
  cells.forEach((value, i) => {
    const span = document.createElement('span')
    span.className = classes[i]!
    span.textContent = value
    if (i === 3) span.title = value
    li.append(span)
    if (i === 4) statusCell = span
  })
  logBuffer.push(li)
  if (!logFrame) logFrame = requestAnimationFrame(flushLog)
  return { li, status: statusCell, n }
}
function flushLog(): void {
  logFrame = 0
  const stick = logBox.scrollHeight - logBox.scrollTop - logBox.clientHeight < 40
  logList.append(...logBuffer)
  logBuffer = []
  while (logList.childElementCount > LOG_LIMIT) logList.firstElementChild!.remove()
  if (stick) logBox.scrollTop = logBox.scrollHeight
  updateCounts()
}
function setStatus(r: Row, status: string, cls: string): void {
  r.status.textContent = status
  r.li.classList.remove('queued', 'sent', 'flushed')
  r.li.classList.add(cls)
}
function system(text: string, cls = '', color?: Phase): void {
  const r = row('sys', '', text, '', cls)
  if (color) r.li.style.setProperty('--state-c', `var(--${color})`)
}
function updateCounts(): void {
  $('log-counts').textContent = `↑ ${count(outCount)} · ↓ ${count(inCount)} · ✕ ${count(dropCount)} · queued ${host?.queued ?? 0}`
}

/** Messages get a number when sent; the server echoes them, and drops name them. */
function send(text: string): void {
  host?.send(text, ++outCount)
}

/** What send() did (at once in the page; from a worker, after a round trip). */
function sent({ n, text, ok, wasOpen, drops }: SendResult): void {
  if (ok) {
    delivery.accepted++
    const size = new TextEncoder().encode(text).length
    frames.add({ at: Date.now(), side: 'page', dir: 'out', kind: 'text', size, text, note: wasOpen ? 'send() while open: written now' : 'send() while not open: queued, written on open' })
  } else delivery.refused++
  if (!ok) {
    // refused at once ('overflow' with overflow 'reject', 'closed'): the last drop is this message
    row('out', n, text, `refused: ${drops.pop() ?? 'dropped'}`, 'dropped')
  }
  // with overflow 'drop-oldest', accepting this one evicted an older copy of the same text
  for (const reason of drops) dropQueued(text, reason)
  if (!ok) return
  if (wasOpen) {
    row('out', n, text, 'sent', 'sent')
    timeline.mark('sent')
  } else {
    const r = row('out', n, text, 'queued', 'queued')
    const list = queuedRows.get(text) ?? []
    list.push(r)
    queuedRows.set(text, list)
    timeline.mark('queued')
  }
}

/** A queued message will not be delivered: mark its row, and log the drop under its number. */
function dropQueued(text: string, reason: string): void {
  const r = queuedRows.get(text)?.shift()
  if (r) setStatus(r, `dropped: ${reason}`, 'dropped')
  row('drop', r?.n ?? '', text, `dropped: ${reason}`, 'drop')
}

// ── the socket ───────────────────────────────────────────────────────────────────────────────────
function heartbeatMark(kind: 'ping' | 'pong'): void {
  const heartbeat = applied?.policy.heartbeat
  const message = heartbeat && typeof heartbeat === 'object' && 'message' in heartbeat ? String(heartbeat.message ?? '') : ''
  timeline.mark(kind)
  if (kind === 'ping') frames.add({ at: Date.now(), side: 'page', dir: 'out', kind: 'ping', size: message.length, text: message, note: 'the heartbeat (message mode: a text frame, since a browser cannot send ping frames)' })
  else frames.add({ at: Date.now(), side: 'page', dir: 'in', kind: 'pong', size: 0, text: '', note: 'the heartbeat answer, taken by the SDK (not a message event)' })
}

/** The socket's URL with its tag, so the app server can count this socket's messages apart. */
function taggedUrl(url: string, tag: string): string {
  try {
    const u = new URL(url)
    u.searchParams.set('client', tag)
    return u.href
  } catch {
    return url
  }
}

function startSocket(policy: Valid, why: string): void {
  const old = host
  if (old && old.state !== 'closed') old.close(1000, why)
  old?.dispose()
  const at = Date.now()
  if (old) {
    timeline.transition({ at, from: old.state, to: 'idle', reason: 'new socket' })
    listEvent(`new socket (${why})`, { kind: 'socket', at })
  }
  timeline.note(old ? `new socket: ${why}` : 'socket created', at)
  retryDue = undefined
  lastError = undefined
  delivery.accepted = 0
  delivery.refused = 0
  queuedRows.clear()
  clientTag = hasApi ? Math.random().toString(36).slice(2, 10) : ''
  const options = clientTag ? { ...policy.options, url: taggedUrl(String(policy.options.url ?? wsUrl), clientTag) } : policy.options
  const next = startHost(where, { options, session: sessionMode }, onEvent)
  host = next
  applied = policy
  const heartbeat = policy.policy.heartbeat
  // a session's heartbeat is the server's (the option is not used)
  timeline.heartbeatBound = heartbeat && !sessionMode ? heartbeat.interval + heartbeat.timeout : undefined
  root.dataset.where = where
  root.dataset.session = String(sessionMode)
  system(`createSocket(): ${why}${sessionMode ? ' · session: session()' : ''}${where === 'worker' ? ' · in a Web Worker' : ''}`)
  showState()
  showMode()
  refreshPolicyStatus()
}

/** Every event of the socket, from the page or from its worker. */
function onEvent(event: SocketEvent): void {
  switch (event.name) {
    case 'sent':
      return sent(event.result)
    case 'heartbeat':
      return heartbeatMark(event.kind)
    case 'failed':
      showPolicyError('sdk', event.kind, event.message)
      return
    case 'state': {
      const { to, from, reason } = event
      const when = Date.now()
      timeline.transition({ at: when, from, to, reason })
      listEvent(`${from} → ${to}  ${reason}`, { kind: 'state', at: when, from, to, reason })
      system(`${from} → ${to}: ${reason}`, 'state', to)
      if (to !== 'backoff') retryDue = undefined
      showState()
      tick()
      return
    }
    case 'open': {
      let flushed = 0
      for (const rows of queuedRows.values()) {
        for (const r of rows) {
          setStatus(r, 'flushed', 'flushed')
          flushed++
        }
      }
      queuedRows.clear()
      const session = event.session ? (event.resumed ? ' · session resumed' : ' · new session') : ''
      system(`open${event.protocol ? ` (${event.protocol})` : ''}${session}${flushed ? `: ${flushed} queued message${flushed === 1 ? '' : 's'} flushed in order` : ''}`, '', 'open')
      return
    }
    case 'message': {
      const { data } = event
      if (typeof data === 'string') frames.add({ at: Date.now(), side: 'page', dir: 'in', kind: 'text', size: new TextEncoder().encode(data).length, text: data })
      else frames.add({ at: Date.now(), side: 'page', dir: 'in', kind: 'binary', text: '', ...toHex(data) })
      const n = ++inCount
      const text = typeof data === 'string' ? data : `[binary ${data.byteLength} B]`
      row('in', n, text, 'received')
      timeline.mark('received')
      return
    }
    case 'close': {
      const { code, reason, wasClean } = event
      frames.add({ at: Date.now(), side: 'page', dir: 'in', kind: 'close', code, size: new TextEncoder().encode(reason).length, text: reason, note: wasClean ? 'clean: close frames exchanged' : 'not clean: no close frame (the connection just ended)' })
      system(`close ${code}${reason ? ` '${reason}'` : ''}${wasClean ? ' (clean)' : ''}`)
      return
    }
    case 'error':
      lastError = { code: event.code, message: event.message, at: Date.now() }
      frames.add({ at: lastError.at, side: 'page', dir: '', kind: 'error', code: event.code, size: 0, text: event.message })
      system(`error ${event.code}: ${event.message}`, 'error', 'closed')
      return
    case 'reconnecting': {
      const { attempt, delay } = event
      const when = Date.now()
      timeline.retry(attempt, delay, when)
      retryDue = { at: when + delay, attempt }
      tick()
      system(`retry ${attempt} in ${ms(delay)}`, '', 'backoff')
      return
    }
    case 'drop':
      dropCount++
      timeline.mark('drop')
      dropQueued(typeof event.data === 'string' ? event.data : '[binary]', event.reason)
      return
    case 'giveup': {
      const when = Date.now()
      timeline.fault(`gave up: ${event.reason}`, when, when)
      system(`giveup: ${event.reason} after ${event.attempt} attempt${event.attempt === 1 ? '' : 's'}`, 'error', 'closed')
      return
    }
  }
}

/** A short line under the header about what the last button did (role=status: read out too). */
let noteTimer = 0
function note(text: string, kind: 'info' | 'warn' = 'info'): void {
  const line = $('action-note')
  line.textContent = text
  line.dataset.kind = kind
  line.hidden = false
  clearTimeout(noteTimer)
  noteTimer = window.setTimeout(() => (line.hidden = true), 6000)
  if (kind === 'warn') system(text, 'error')
}

function showState(): void {
  const state = host?.state ?? 'idle'
  root.dataset.state = state
  $('state-pill').textContent = state
}

/** The header's detail line, stats and history: refreshed four times a second. */
function tick(): void {
  const s = host
  const stats = s?.stats()
  if (!s || !stats) return
  let detail = ''
  switch (s.state) {
    case 'open':
      detail = `up ${ms(stats.uptime)} · rtt ${ms(s.rtt)}`
      break
    case 'backoff':
      detail = retryDue ? `retry ${retryDue.attempt} in ${ms(Math.max(0, retryDue.at - Date.now()))}` : 'waiting (offline)'
      break
    case 'connecting':
      detail = `attempt ${stats.attempts.sinceOpen} · ${ms(stats.timeInState)}`
      break
    case 'closed':
      detail = `closed for good${stats.lastClose ? ` · last close ${stats.lastClose.code}` : ''} · “New socket” starts again`
      break
    default:
      detail = 'idle'
  }
  const mode = [sessionMode ? 'session' : '', where === 'worker' ? 'in a worker' : ''].filter(Boolean).join(' · ')
  $('state-detail').textContent = mode ? `${detail} · ${mode}` : detail
  renderStats(stats)
  renderHistory(s.history())
  renderDelivery(stats)
  updateCounts()
  updateCountdowns()
}

const STAT_FIELDS: Array<[key: string, label: string, value: (s: Stats) => [string, string?], wide?: boolean]> = [
  ['uptimeRatio', 'availability', (s) => [`${(s.uptimeRatio * 100).toFixed(1)} %`]],
  ['uptime', 'connected for', (s) => [s.state === 'open' ? ms(s.uptime) : '–']],
  ['opens', 'opens', (s) => [String(s.opens)]],
  ['disconnects', 'disconnects', (s) => [String(s.disconnects)]],
  ['attempts', 'attempts', (s) => [String(s.attempts.total), `${s.attempts.sinceOpen} now`]],
  ['totalDowntime', 'down in total', (s) => [ms(s.totalDowntime)]],
  ['rtt', 'rtt', (s) => [ms(s.rtt.last), s.rtt.samples > 1 ? `avg ${Math.round(s.rtt.avg ?? 0)}` : '']],
  ['queued', 'queued', (s) => [String(s.queued), `max ${s.queueHighWater}`]],
  ['messages', 'messages ↑ ↓', (s) => [`${count(s.messagesOut)} ${count(s.messagesIn)}`, '']],
  [
    'dropped',
    'dropped',
    (s) => {
      const d = s.dropped
      const parts = Object.entries(d).filter(([, n]) => n > 0)
      return [String(d.overflow + d.ttl + d.closed + d.error), parts.map(([k, n]) => `${k} ${n}`).join(' ')]
    },
  ],
  [
    'lastClose',
    'last close',
    (s) => [
      s.lastClose ? String(s.lastClose.code) : '–',
      s.lastClose ? `${s.lastClose.reason || (s.lastClose.wasClean ? 'clean' : 'not clean')} · ${clock(s.lastClose.at).slice(0, 8)}` : '',
    ],
    true,
  ],
  [
    // its own cell, with its own time: an error and a close are often unrelated events
    'lastError',
    'last error',
    (s) => [lastError?.code ?? (s.lastError ? 'error' : '–'), lastError ? `${lastError.message} · ${clock(lastError.at).slice(0, 8)}` : (s.lastError ?? '')],
    true,
  ],
]
const statCells = new Map<string, HTMLElement>()
{
  const dl = $('stats')
  for (const [key, label, , wide] of STAT_FIELDS) {
    const div = document.createElement('div')
    if (wide) div.className = 'wide'
    const dt = document.createElement('dt')
    dt.textContent = label
    const dd = document.createElement('dd')
    dd.dataset.stat = key
    div.append(dt, dd)
    dl.append(div)
    statCells.set(key, dd)
  }
}
function renderStats(stats: Stats): void {
  for (const [key, , value] of STAT_FIELDS) {
    const [main, small] = value(stats)
    const dd = statCells.get(key)!
    const html = `${escapeHtml(main)}${small ? ` <small>${escapeHtml(small)}</small>` : ''}`
    if (dd.innerHTML !== html) dd.innerHTML = html
    dd.title = small ? `${main} ${small}` : main
  }
  statCells.get('messages')!.title = `${count(stats.messagesOut)} out (${bytes(stats.bytesOut)}), ${count(stats.messagesIn)} in (${bytes(stats.bytesIn)})`
}

let historyKey = ''
function renderHistory(history: Disconnect[]): void {
  const now = Date.now()
  const key = JSON.stringify(history) + (history.some((h) => h.end === null) ? Math.floor(now / 250) : '')
  if (key === historyKey) return
  historyKey = key
  const tbody = $<HTMLTableElement>('history').tBodies[0]!
  const rows = history.map((h, i) => ({ h, i: i + 1 })).reverse()
  tbody.replaceChildren(
    ...(rows.length === 0
      ? [Object.assign(document.createElement('tr'), { className: 'empty', innerHTML: '<td colspan="6">no disconnects yet: break something →</td>' })]
      : rows.map(({ h, i }) => {
          const tr = document.createElement('tr')
          if (h.end === null) tr.className = 'ongoing'
          const cells: Array<[string, string?]> = [
            [String(i), 'num'],
            [h.cause],
            [h.code === null ? '–' : String(h.code)],
            [h.duration === null ? `${ms(now - h.start)}…` : ms(h.duration)],
            [String(h.attempts), 'num'],
            [clock(h.start).slice(0, 8)],
          ]
          cells.forEach(([text, cls], c) => {
            const td = document.createElement('td')
            if (c === 1) {
              const span = document.createElement('span')
              span.className = 'cause'
              span.textContent = text
              td.append(span)
            } else td.textContent = text
            if (cls) td.className = cls
            tr.append(td)
          })
          return tr
        })),
  )
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"]/g, (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[ch]!)
}

// ── faults ───────────────────────────────────────────────────────────────────────────────────────
type FaultWindow = ReturnType<Timeline['fault']>
const open: { refuse?: FaultWindow; slow?: FaultWindow; offline?: FaultWindow } = {}
const timed = new Map<string, { until: number; window: FaultWindow }>()

function recordFault(name: string, label: string, durationMs: number | null, instant = false): FaultWindow {
  const at = Date.now()
  const window = timeline.fault(label, at, instant ? at : durationMs === null ? null : at + durationMs)
  listEvent(`fault: ${label}`, { kind: 'fault', fault: name, at, ...(durationMs ? { until: at + durationMs } : {}) })
  system(`fault: ${label}`, 'is-fault')
  return window
}

async function control(action: string, body: Record<string, unknown> = {}): Promise<boolean> {
  try {
    showServer(await api.post(action, body))
    return true
  } catch (error) {
    showServerError(`${action}: ${(error as Error).message}`)
    return false
  }
}

function secondsInput(id: string): number {
  const input = $<HTMLInputElement>(id)
  const value = Number(input.value)
  return Number.isFinite(value) && value > 0 ? Math.min(300, value) : 1
}

function timedFault(name: string, label: string, seconds: number): void {
  const window = recordFault(name, label, seconds * 1000)
  timed.set(name, { until: Date.now() + seconds * 1000, window })
  updateCountdowns()
}

function setPressed(id: string, on: boolean): void {
  $(id).setAttribute('aria-pressed', String(on))
}

function wireFaults(): void {
  $('f-kill').addEventListener('click', () => {
    recordFault('kill', 'kill (TCP reset)', null, true)
    void control('kill')
  })
  $('f-stop').addEventListener('click', () => {
    const seconds = secondsInput('f-stop-s')
    const graceful = $<HTMLInputElement>('f-stop-graceful').checked
    timedFault('stop', graceful ? `restart 1012, down ${seconds} s` : `server down ${seconds} s`, seconds)
    void control('stop', { seconds, graceful })
  })
  $('f-silence').addEventListener('click', () => {
    const seconds = secondsInput('f-silence-s')
    timedFault('silence', `silent ${seconds} s`, seconds)
    void control('silence', { seconds })
  })
  $('f-refuse').addEventListener('click', () => {
    const on = !open.refuse
    if (on) open.refuse = recordFault('refuse', 'refusing', null)
    else endWindow('refuse')
    setPressed('f-refuse', on)
    void control('refuse', { on })
  })
  $('f-slow').addEventListener('click', () => {
    const on = !open.slow
    const latencyMs = Math.max(0, Number($<HTMLInputElement>('f-slow-latency').value) || 0)
    const kbps = Math.max(0, Number($<HTMLInputElement>('f-slow-rate').value) || 0)
    if (on) open.slow = recordFault('slow', `slow ${latencyMs} ms${kbps ? ` · ${kbps} KB/s` : ''}`, null)
    else endWindow('slow')
    setPressed('f-slow', on)
    void control('slow', on ? { latencyMs, bytesPerSecond: Math.round(kbps * 1024) } : { on: false })
  })
  $('f-close').addEventListener('click', () => {
    const code = Number($<HTMLSelectElement>('f-close-code').value)
    const reason = $<HTMLInputElement>('f-close-reason').value
    recordFault('close', `server close ${code}${reason ? ` ${reason}` : ''}`, null, true)
    void control('close', { code, reason })
  })
  $('f-feed').addEventListener('click', () => {
    const on = $('f-feed').getAttribute('aria-pressed') !== 'true'
    const every = Math.min(60_000, Math.max(50, Number($<HTMLInputElement>('f-feed-ms').value) || 500))
    setPressed('f-feed', on)
    const at = Date.now()
    listEvent(on ? `server feed every ${every} ms` : 'server feed off', { kind: 'server', at })
    system(on ? `server feed: a message every ${every} ms` : 'server feed off')
    void control('tick', { every: on ? every : 0 })
  })
  $('f-offline').addEventListener('click', () => {
    // the adapter listens to the window's events, exactly as when the browser loses the network
    window.dispatchEvent(new Event(open.offline ? 'online' : 'offline'))
  })
  $('f-heal').addEventListener('click', () => {
    const at = Date.now()
    for (const [, t] of timed) if (t.window.end === null || t.window.end > at) t.window.end = at
    timed.clear()
    if (open.offline) window.dispatchEvent(new Event('online'))
    endWindow('refuse')
    endWindow('slow')
    setPressed('f-refuse', false)
    setPressed('f-slow', false)
    setPressed('f-feed', false)
    listEvent('heal all', { kind: 'fault', fault: 'heal', at })
    system('heal all', 'is-fault')
    updateCountdowns()
    void control('heal')
  })
  // real and simulated network changes alike. A socket in the page hears them itself (the browser
  // adapter listens to the window); a worker does not get the window's events, so the page forwards them
  const forward = (name: EnvSignal): void => {
    if (host?.where === 'worker') host.signal(name)
  }
  window.addEventListener('offline', () => {
    forward('offline')
    if (!open.offline) open.offline = recordFault('offline', 'browser offline', null)
    setPressed('f-offline', true)
  })
  window.addEventListener('online', () => {
    forward('online')
    if (open.offline) {
      endWindow('offline')
      const at = Date.now()
      listEvent('browser online', { kind: 'fault', fault: 'online', at })
      system('browser online', 'is-fault')
    }
    setPressed('f-offline', false)
  })
}

function endWindow(name: 'refuse' | 'slow' | 'offline'): void {
  const w = open[name]
  if (w) w.end = Date.now()
  open[name] = undefined
}

function updateCountdowns(): void {
  const now = Date.now()
  for (const name of ['stop', 'silence']) {
    const t = timed.get(name)
    const button = $(`f-${name}`)
    const row = button.closest('.fault')!
    let badge = row.querySelector<HTMLElement>('.countdown')
    const left = t ? t.until - now : 0
    if (t && left > 0) {
      row.classList.add('active')
      if (!badge) {
        badge = document.createElement('span')
        badge.className = 'countdown'
        row.querySelector('.params')?.append(badge)
      }
      badge.textContent = `${(left / 1000).toFixed(1)} s left`
    } else {
      if (t) timed.delete(name)
      row.classList.remove('active')
      badge?.remove()
    }
  }
}

function showServer(state: api.ControlState): void {
  serverState = state
  renderConnections(state)
  const line = $('server-line')
  const app = state.app.listening ? `server up, ${state.app.connections} conn.` : 'server DOWN'
  const link = state.proxy.mode === 'silence' ? 'link SILENT' : state.proxy.mode === 'slow' ? 'link slow' : 'link ok'
  line.textContent = `${app} · ${link}${state.proxy.refusing ? ' · refusing' : ''} · got ${count(state.app.received)} msgs, ${count(state.app.pings)} pings`
  line.title = 'What the app server behind the fault proxy has seen: open connections, text messages received, heartbeat pings answered'
  line.dataset.received = String(state.app.received)
  // another tab (or the test) may have changed the toggles
  setPressed('f-refuse', state.proxy.refusing)
  if (!state.proxy.refusing && open.refuse) endWindow('refuse')
  setPressed('f-slow', state.slow !== null)
  setPressed('f-feed', state.tick !== null)
  if (state.slow === null && open.slow) endWindow('slow')
}
// ── server connections ───────────────────────────────────────────────────────────────────────────
function renderConnections(state: api.ControlState): void {
  const tbody = $<HTMLTableElement>('connections').tBodies[0]!
  const now = state.now
  const rows = state.app.list.map((c) => {
    const tr = document.createElement('tr')
    const quiet = now - c.lastSeen
    // quiet for longer than the page's heartbeat allows: the page has already given up on it
    const heartbeat = applied?.policy.heartbeat
    const limit = heartbeat && typeof heartbeat === 'object' && 'interval' in heartbeat ? Number(heartbeat.interval) + Number(heartbeat.timeout ?? 0) : 10_000
    const stale = quiet > limit
    if (stale) tr.className = 'stale'
    tr.dataset.id = String(c.id)
    tr.dataset.quiet = String(quiet)
    const cells = [String(c.id), ms(now - c.openedAt), `${ms(quiet)} ago${stale ? ' · half-open?' : ''}`, `${c.in}/${c.out}`]
    for (const text of cells) tr.append(Object.assign(document.createElement('td'), { textContent: text }))
    const td = document.createElement('td')
    const drop = Object.assign(document.createElement('button'), { type: 'button', className: 'small', textContent: 'Drop' })
    drop.title = 'The server drops this TCP connection (no close frame)'
    drop.addEventListener('click', () => void control('terminate', { id: c.id }))
    td.append(drop)
    tr.append(td)
    if (stale) tr.title = `Nothing from this connection for ${ms(quiet)}: longer than the page's heartbeat interval + timeout (${ms(limit)}). The page has moved on; the server still holds the socket until its own timeout or heartbeat ends it.`
    return tr
  })
  tbody.replaceChildren(...(rows.length ? rows : [Object.assign(document.createElement('tr'), { className: 'empty', innerHTML: '<td colspan="5">no open connections</td>' })]))
  const stale = rows.filter((r) => r.className === 'stale').length
  $('server-summary').textContent = `${state.app.list.length} open${stale ? ` · ${stale} silent (half-open?)` : ''}`
}

// ── delivery accounting ──────────────────────────────────────────────────────────────────────────
/**
 * Counted at both ends: the page's socket (send()'s answers, stats(), drop events) and the app
 * server (what it received from this socket, by the socket's ?client= tag).
 */
function deliveryCounts(stats: Stats) {
  const dropped = Object.values(stats.dropped).reduce((sum, n) => sum + n, 0)
  const server = serverState?.app.clients[clientTag]?.received ?? 0
  const waiting = stats.queued + stats.held.messages
  return {
    sent: delivery.accepted,
    refused: delivery.refused,
    written: stats.messagesOut,
    confirmed: stats.confirmed,
    unconfirmed: stats.unconfirmed,
    reported: stats.dropped.unconfirmed,
    resent: stats.resent,
    waiting,
    dropped,
    server,
    // sent, not at the server, and not waiting to be (re)sent: lost, or still on the way
    missing: Math.max(0, delivery.accepted - server - waiting),
  }
}

function renderDelivery(stats: Stats): void {
  const c = deliveryCounts(stats)
  const reasons = Object.entries(stats.dropped)
    .filter(([, n]) => n > 0)
    .map(([reason, n]) => `${reason} ${n}`)
    .join(' · ')
  const confirming = sessionMode ? 'acknowledged by the session, not here' : stats.delivery === 'none' ? 'no heartbeat: nothing is confirmed' : `delivery '${stats.delivery}'`
  const hasServer = serverState !== undefined && clientTag !== ''
  const fields: Array<[key: string, label: string, title: string, value: [string, string?]]> = [
    ['sent', 'sent', 'send() returned true: written now or queued', [count(c.sent), c.refused ? `refused ${count(c.refused)}` : '']],
    ['written', 'written', 'stats().messagesOut: messages written to a connection (heartbeat pings not counted)', [count(c.written), c.resent ? `resent ${count(c.resent)}` : '']],
    ['confirmed', 'confirmed', 'stats().confirmed: written, then confirmed by an answered ping (or a clean close)', [count(c.confirmed), confirming]],
    [
      'unconfirmed',
      'unconfirmed',
      "stats().unconfirmed: still unconfirmed when their connection ended; reported as drop 'unconfirmed' or resent",
      [count(c.unconfirmed), stats.delivery === 'resend' ? `resent ${count(c.resent)}` : `reported ${count(c.reported)}`],
    ],
    ['waiting', 'waiting', 'stats().queued + stats().held.messages: queued, or written and held until confirmed', [count(c.waiting), `queued ${count(stats.queued)} · held ${count(stats.held.messages)}`]],
    ['dropped', 'dropped', 'stats().dropped, by reason (each a drop event)', [count(c.dropped), reasons]],
    ['server', 'received by the server', "messages the app server received from this socket (its ?client= tag), heartbeat pings not counted", hasServer ? [count(c.server)] : ['–', 'no control server']],
    ['missing', 'not at the server', 'sent − received by the server − waiting: lost (or still on the way)', hasServer ? [count(c.missing)] : ['–']],
  ]
  const dl = $('delivery')
  fillStats(dl, fields)
  // the numbers themselves, for tests and tools: data-sent, data-server, data-reported…
  for (const [key, value] of Object.entries(c)) dl.dataset[key] = String(value)
  const verdict = $('delivery-verdict')
  if (!hasServer) {
    verdict.textContent = ''
    delete verdict.dataset.kind
  } else if (c.missing === 0) {
    verdict.textContent = `${sessionMode ? 'exactly-once session' : 'plain socket'}: every message sent is at the server or waiting${c.dropped ? `; ${count(c.dropped)} reported dropped` : ''}`
    verdict.dataset.kind = c.dropped ? 'lost' : 'none-lost'
  } else {
    verdict.textContent = `${count(c.missing)} sent and not at the server${c.reported ? `: ${count(c.reported)} written to a dead link, reported 'unconfirmed'` : ''}`
    verdict.dataset.kind = 'lost'
  }
}

/** The mode line: where the socket runs, and whether it carries a session. */
function showMode(): void {
  $<HTMLInputElement>('opt-session').checked = sessionMode
  $<HTMLInputElement>('opt-worker').checked = where === 'worker'
  $('mode-line').textContent = `${sessionMode ? 'session: session() · the server leads the heartbeat' : 'plain socket'} · ${where === 'worker' ? 'in a Web Worker (online/offline forwarded with signal())' : 'in the page'}`
}

function fillStats(dl: HTMLElement, fields: Array<[key: string, label: string, title: string, value: [string, string?]]>): void {
  for (const [key, label, title, [main, small]] of fields) {
    let dd = dl.querySelector<HTMLElement>(`dd[data-stat="${key}"]`)
    if (!dd) {
      const div = document.createElement('div')
      div.title = title
      const dt = Object.assign(document.createElement('dt'), { textContent: label })
      dd = document.createElement('dd')
      dd.dataset.stat = key
      div.append(dt, dd)
      dl.append(div)
    }
    const html = `${escapeHtml(main)}${small ? ` <small>${escapeHtml(small)}</small>` : ''}`
    if (dd.innerHTML !== html) dd.innerHTML = html
  }
}

function showServerError(message: string): void {
  const line = $('server-line')
  line.replaceChildren(Object.assign(document.createElement('span'), { className: 'error', textContent: message }))
}

// ── policy editor and plots ──────────────────────────────────────────────────────────────────────
const editor = $<HTMLTextAreaElement>('policy')
const applyButton = $<HTMLButtonElement>('apply')
let current: Checked | undefined

function showPolicyError(kind: 'json' | 'sdk', name: string, message: string): void {
  const status = $('policy-status')
  status.className = 'policy-status invalid'
  status.dataset.kind = kind
  const label = document.createElement('span')
  label.className = 'kind'
  label.textContent = kind === 'json' ? 'Not JSON: ' : `${name} from the SDK: `
  const text = document.createElement('span')
  text.id = 'policy-error'
  text.textContent = message
  status.replaceChildren(label, text)
  editor.setAttribute('aria-invalid', 'true')
  applyButton.disabled = true
}

function refreshPolicyStatus(): void {
  if (!current || !current.ok) return
  const status = $('policy-status')
  status.className = 'policy-status'
  status.dataset.kind = 'ok'
  const same = applied && JSON.stringify(applied.options) === JSON.stringify(current.options)
  status.textContent = same ? '✓ valid · the socket runs this policy' : '✓ valid (resolveOptions accepts it) · Apply recreates the socket with it'
  editor.removeAttribute('aria-invalid')
  applyButton.disabled = false
}

function validate(): void {
  current = checkPolicy(editor.value, wsUrl)
  editor.dataset.validated = 'true'
  if (!current.ok) {
    showPolicyError(current.kind, current.name, current.message)
    plot(true)
    return
  }
  lastValid = current
  refreshPolicyStatus()
  plot(false)
}

function plot(dim: boolean): void {
  if (!lastValid) return
  const s = schedule(lastValid.policy)
  drawSchedule($<HTMLCanvasElement>('backoff'), s, dim)
  const b = lastValid.policy.backoff
  $('backoff-caption').textContent = `jitter ${b.jitter} · ×${b.factor} · ${ms(b.initialDelay)} → ${ms(b.maxDelay)}`
  $('backoff-summary').innerHTML = (dim ? 'last valid policy · ' : '') + scheduleSummary(s, lastValid.policy)
  herd(dim)
}

// the herd runs in a worker; a new request replaces one still computing
let worker: Worker | undefined
let herdId = 0
let herdBusy = false
let herdTimer = 0
let lastHerd: { response: Extract<HerdResponse, { ok: true }>; outage: number; clients: number } | undefined
let herdPending = { outage: 0, clients: 0, dim: false }
/** What the last simulation was asked for: the same question is not simulated twice. */
let herdKey = ''
function herd(dim: boolean): void {
  clearTimeout(herdTimer)
  $('herd').dataset.pending = 'true'
  herdTimer = window.setTimeout(() => {
    if (!lastValid) return
    const inputs = readHerdInputs()
    if (!inputs) {
      delete $('herd').dataset.pending
      return
    }
    const { clients, outage, noticeWithin } = inputs
    const key = JSON.stringify([lastValid.options, clients, outage, noticeWithin])
    if (key === herdKey) {
      // same question (e.g. the editor just became invalid): redraw, dimmed or not
      herdPending.dim = dim
      if (!herdBusy) {
        drawHerdNow(dim)
        delete $('herd').dataset.pending
      }
      return
    }
    herdKey = key
    if (herdBusy && worker) {
      worker.terminate()
      worker = undefined
    }
    if (!worker) {
      worker = new Worker(new URL('./herd.worker.ts', import.meta.url), { type: 'module' })
      worker.onmessage = (event: MessageEvent<HerdResponse>) => {
        const response = event.data
        if (response.id !== herdId) return
        herdBusy = false
        delete $('herd').dataset.pending
        if (!response.ok) {
          $('herd-summary').textContent = `simulateHerd: ${response.message}`
          return
        }
        lastHerd = { response, outage: herdPending.outage, clients: herdPending.clients }
        drawHerdNow(herdPending.dim)
      }
      worker.onerror = (event) => {
        herdBusy = false
        herdKey = ''
        delete $('herd').dataset.pending
        $('herd-summary').textContent = `the simulation worker failed: ${event.message}`
      }
    }
    herdBusy = true
    herdPending = { outage, clients, dim }
    const request: HerdRequest = { id: ++herdId, options: lastValid.options, clients, outage, noticeWithin }
    worker.postMessage(request)
    showHerdProgress(request.id, clients, outage)
  }, 120)
}

/**
 * The herd inputs, or null after saying which one is out of range (nothing is clamped silently:
 * −5 clients is an error, not 1 client).
 */
function readHerdInputs(): { clients: number; outage: number; noticeWithin: number } | null {
  const fields: Array<[id: string, name: string, min: number, max: number, integer: boolean]> = [
    ['herd-clients', 'clients', 1, 100_000, true],
    ['herd-outage', 'down (s)', 0, 300, false],
    ['herd-notice', 'notice (ms)', 0, 60_000, false],
  ]
  const values: number[] = []
  let problem = ''
  for (const [id, name, min, max, integer] of fields) {
    const input = $<HTMLInputElement>(id)
    const value = input.value.trim() === '' ? Number.NaN : Number(input.value)
    const ok = Number.isFinite(value) && value >= min && value <= max && (!integer || Number.isInteger(value))
    input.toggleAttribute('aria-invalid', !ok)
    if (!ok && !problem) problem = `${name} must be ${integer ? 'a whole number' : 'a number'} from ${count(min)} to ${count(max)}, got ${input.value.trim() === '' ? 'nothing' : JSON.stringify(input.value)}`
    values.push(value)
  }
  const summary = $('herd-summary')
  if (problem) {
    summary.textContent = problem
    summary.dataset.kind = 'invalid'
    return null
  }
  delete summary.dataset.kind
  return { clients: values[0]!, outage: values[1]! * 1000, noticeWithin: values[2]! }
}

/** A long simulation shows its elapsed time and a Cancel button (the worker cannot report a fraction done). */
let herdProgressTimer = 0
function showHerdProgress(id: number, clients: number, outage: number): void {
  clearInterval(herdProgressTimer)
  const started = performance.now()
  const progress = $('herd-progress')
  const render = (): void => {
    if (id !== herdId || !herdBusy) {
      clearInterval(herdProgressTimer)
      progress.hidden = true
      return
    }
    const elapsed = performance.now() - started
    // small runs finish before anyone could read this
    if (elapsed < 400) return
    progress.hidden = false
    $('herd-progress-text').textContent = `simulating ${count(clients)} clients through a ${ms(outage)} outage… ${(elapsed / 1000).toFixed(1)} s`
  }
  herdProgressTimer = window.setInterval(render, 100)
}

function cancelHerd(): void {
  if (!herdBusy || !worker) return
  worker.terminate()
  worker = undefined
  herdBusy = false
  // the same question asked again runs again
  herdKey = ''
  clearInterval(herdProgressTimer)
  $('herd-progress').hidden = true
  delete $('herd').dataset.pending
  $('herd-summary').textContent = 'simulation cancelled: change an input to run it again'
}
function drawHerdNow(dim = false): void {
  if (!lastHerd) return
  const { response, outage, clients } = lastHerd
  drawHerd($<HTMLCanvasElement>('herd'), response.result, outage, dim)
  $('herd-summary').innerHTML = herdSummary(response.result, clients, response.ms)
}

function wirePolicy(): void {
  const select = $<HTMLSelectElement>('preset')
  select.append(new Option('Presets…', ''), ...PRESETS.map((p, i) => new Option(p.name, String(i))))
  select.addEventListener('change', () => {
    const preset = PRESETS[Number(select.value)]
    if (select.value === '' || !preset) return
    editor.value = format(preset.options)
    editor.scrollTop = 0
    select.value = ''
    validate()
  })
  let timer = 0
  editor.addEventListener('input', () => {
    // until validate() runs, the status line describes an older text
    delete editor.dataset.validated
    clearTimeout(timer)
    timer = window.setTimeout(validate, 120)
  })
  editor.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) {
      event.preventDefault()
      apply()
    }
  })
  applyButton.addEventListener('click', apply)
  for (const id of ['herd-clients', 'herd-outage', 'herd-notice']) $(id).addEventListener('input', () => herd(!current?.ok))
  $('herd-cancel').addEventListener('click', cancelHerd)
}

function apply(): void {
  validate()
  if (!current?.ok) return
  startSocket(current, 'policy applied')
  // the URL carries the applied policy: a reload or a shared link runs the same one
  history.replaceState(null, '', urlWithPolicy(location.href, editor.value))
  try {
    // the next visit starts with the policy last applied
    localStorage.setItem('lifeline-playground-policy', editor.value)
  } catch {
    // storage may be unavailable (private mode); the policy still applies
  }
}

// ── share and reproduce ──────────────────────────────────────────────────────────────────────────
function shareStatus(text: string): void {
  $('share-status').textContent = text
}

async function copy(text: string, what: string): Promise<void> {
  try {
    await navigator.clipboard.writeText(text)
    shareStatus(`${what} copied to the clipboard`)
  } catch {
    shareStatus(`${what} is below (the clipboard is not available here)`)
  }
}

function exportSession(): Session {
  return {
    format: 'lifeline-ws-playground-session',
    version: 1,
    exportedAt: new Date().toISOString(),
    policyText: editor.value,
    options: applied ? { ...applied.options } : null,
    stats: host?.stats() ?? null,
    history: host?.history() ?? [],
    events: Array.from(transitionList.querySelectorAll<HTMLElement>('li'), (li) => ({ ...li.dataset }) as Record<string, string>),
    frames: [...frames.all()],
  }
}

function importSession(session: Session): void {
  editor.value = session.policyText
  validate()
  frames.load(session.frames)
  const pre = $('code-out')
  pre.textContent = `history() at export (${session.exportedAt}):\n${JSON.stringify(session.history, null, 2)}`
  shareStatus(
    `Imported the session of ${session.exportedAt}: ${session.history.length} disconnects (below), ${session.events.length} events, ${session.frames.length} frames (in the inspector), its policy in the editor (Apply runs it).`,
  )
  for (const event of session.events) {
    const li = document.createElement('li')
    li.textContent = `imported ${event.at ? clock(Number(event.at)) : ''}  ${event.kind ?? ''} ${event.from ?? ''}${event.to ? ` → ${event.to}` : ''} ${event.reason ?? event.fault ?? ''}`
    li.className = 'imported'
    transitionList.append(li)
  }
}

function wireShare(): void {
  $('copy-link').addEventListener('click', () => {
    const link = urlWithPolicy(location.href, editor.value)
    $('code-out').textContent = link
    void copy(link, 'A link with this policy')
  })
  $('copy-code').addEventListener('click', () => {
    const checked = checkPolicy(editor.value, wsUrl)
    if (!checked.ok) {
      shareStatus(`Fix the policy first: ${checked.message}`)
      return
    }
    const code = asCreateSocket(JSON.parse(editor.value) as Record<string, unknown>, wsUrl, { session: sessionMode })
    $('code-out').textContent = code
    void copy(code, 'createSocket({...})')
  })
  $('export-session').addEventListener('click', () => {
    const blob = new Blob([JSON.stringify(exportSession(), null, 2)], { type: 'application/json' })
    const a = Object.assign(document.createElement('a'), { href: URL.createObjectURL(blob), download: `lifeline-session-${new Date().toISOString().replace(/[:.]/g, '-')}.json` })
    a.click()
    setTimeout(() => URL.revokeObjectURL(a.href), 10_000)
    shareStatus('Session exported: policy, stats, history, events and frames')
  })
  $<HTMLInputElement>('import-session').addEventListener('change', async (event) => {
    const input = event.target as HTMLInputElement
    const file = input.files?.[0]
    input.value = ''
    if (!file) return
    try {
      importSession(parseSession(await file.text()))
    } catch (error) {
      shareStatus(`Could not import ${file.name}: ${(error as Error).message}`)
    }
  })
}

// ── scenarios ────────────────────────────────────────────────────────────────────────────────────
let scenarioRunning = false
const scenarioContext: ScenarioContext = {
  click: (id) => $(id).click(),
  setValue: (id, value) => {
    const input = $<HTMLInputElement>(id)
    if (typeof value === 'boolean') input.checked = value
    else input.value = value
  },
  state: () => host?.state ?? 'idle',
  history: () => host?.history() ?? [],
  policy: () => applied!.policy,
  quietTimes: () => (serverState ? serverState.app.list.map((c) => Date.now() - c.lastSeen) : []),
  waitFor: (ready, timeout, what) =>
    new Promise((resolve, reject) => {
      const started = Date.now()
      const poll = window.setInterval(() => {
        if (ready()) {
          clearInterval(poll)
          resolve()
        } else if (Date.now() - started > timeout) {
          clearInterval(poll)
          reject(new Error(`${what}: not within ${ms(timeout)}`))
        }
      }, 25)
    }),
  pause: (time) => new Promise((resolve) => setTimeout(resolve, time)),
  log: (text) => system(`scenario: ${text}`, 'is-fault'),
}

async function runScenario(scenario: Scenario): Promise<void> {
  if (scenarioRunning || !host || !applied) return
  scenarioRunning = true
  $('scenario-buttons').querySelectorAll('button').forEach((b) => (b.disabled = true))
  const li = document.createElement('li')
  li.dataset.scenario = scenario.id
  li.dataset.result = 'running'
  const verdict = Object.assign(document.createElement('span'), { className: 'verdict', textContent: 'running' })
  const title = Object.assign(document.createElement('span'), { textContent: `${scenario.name}: ${scenario.description}` })
  const list = Object.assign(document.createElement('pre'), { className: 'checks' })
  li.append(verdict, title, list)
  $('scenario-results').prepend(li)
  const at = Date.now()
  listEvent(`scenario: ${scenario.name}`, { kind: 'scenario', scenario: scenario.id, at })
  timeline.note(`scenario: ${scenario.name}`, at)
  let checks: Check[]
  try {
    checks = await scenario.run(scenarioContext)
  } catch (error) {
    checks = [{ ok: false, text: (error as Error).message }]
  }
  const pass = checks.length > 0 && checks.every((c) => c.ok)
  li.dataset.result = pass ? 'pass' : 'fail'
  verdict.textContent = pass ? 'PASS' : 'FAIL'
  list.textContent = checks.map((c) => `${c.ok ? '✓' : '✗'} ${c.text}`).join('\n')
  system(`scenario ${scenario.name}: ${pass ? 'pass' : 'FAIL'}`, pass ? '' : 'error')
  scenarioRunning = false
  $('scenario-buttons').querySelectorAll('button').forEach((b) => (b.disabled = !hasApi))
}

function wireScenarios(): void {
  const box = $('scenario-buttons')
  for (const scenario of SCENARIOS) {
    const button = Object.assign(document.createElement('button'), { type: 'button', id: `scenario-${scenario.id}`, textContent: scenario.name, title: scenario.description })
    button.addEventListener('click', () => void runScenario(scenario))
    box.append(button)
  }
}

// ── startup ──────────────────────────────────────────────────────────────────────────────────────
async function main(): Promise<void> {
  wireFaults()
  wirePolicy()
  wireShare()
  wireScenarios()
  $('do-reconnect').addEventListener('click', () => {
    if (!host) return
    const before = host.state
    host.reconnect()
    // reconnect() on a closed socket does nothing (close() is final): say so instead of staying silent
    if (before === 'closed') note('reconnect() does nothing after close(): a closed socket never reconnects. “New socket” starts a new one.', 'warn')
    else if (before === 'idle') note('reconnect() from idle does nothing: connect() starts an idle socket.', 'warn')
    else note(`reconnect(): ${before} → a fresh attempt now, no backoff wait`)
  })
  $('do-close').addEventListener('click', () => {
    if (host?.state === 'closed') note('close(): the socket is already closed', 'warn')
    host?.close(1000, 'user')
  })
  $('do-new').addEventListener('click', () => applied && startSocket(applied, 'new socket'))
  // either toggle starts a new socket: a session and a worker are chosen when a socket is created
  $('opt-session').addEventListener('change', (event) => {
    sessionMode = (event.target as HTMLInputElement).checked
    if (applied) startSocket(applied, sessionMode ? 'exactly-once session on' : 'session off')
  })
  $('opt-worker').addEventListener('change', (event) => {
    where = (event.target as HTMLInputElement).checked ? 'worker' : 'page'
    if (applied) startSocket(applied, where === 'worker' ? 'moved into a Web Worker' : 'back in the page')
  })
  $('send-form').addEventListener('submit', (event) => {
    event.preventDefault()
    const text = $<HTMLInputElement>('send-text').value
    if (text !== '') send(text)
  })
  $('send-burst').addEventListener('click', () => {
    const b = ++bursts
    for (let i = 1; i <= 100; i++) send(`burst ${b}: ${i}/100`)
  })
  $<HTMLSelectElement>('window-select').addEventListener('change', (event) => {
    timeline.windowMs = Number((event.target as HTMLSelectElement).value)
  })

  const params = new URLSearchParams(location.search)
  const config = await api.getConfig()
  hasApi = config !== null
  wsUrl = params.get('ws') ?? config?.wsUrl ?? ''
  $('ws-url').textContent = wsUrl || 'no server'
  $('server-push').toggleAttribute('disabled', !hasApi)
  if (!hasApi) {
    $('api-missing').hidden = false
    $('fault-list').querySelectorAll('button').forEach((button) => (button.disabled = true))
    $<HTMLButtonElement>('f-heal').disabled = true
    $('scenario-buttons').querySelectorAll('button').forEach((b) => (b.disabled = true))
  }
  $('server-push').addEventListener('click', () => void control('push', { text: '' }))

  let saved: string | null = null
  try {
    saved = localStorage.getItem('lifeline-playground-policy')
  } catch {
    // no storage: start from the default
  }
  // a shared link's policy first, then the last one applied here, then the default
  const shared = policyFromHash(location.hash)
  editor.value = shared ?? saved ?? format(PLAYGROUND_POLICY)
  if (shared) {
    try {
      editor.value = format(JSON.parse(shared) as Record<string, unknown>)
    } catch {
      // not JSON: shown as it came, with the parser's message
    }
  }
  validate()
  if (shared && !current?.ok) {
    // a broken shared policy: say what is wrong, and run the default meanwhile
    const problem = current && !current.ok ? current.message : ''
    shareStatus(`The policy in the link is not valid (${problem}); the default runs instead.`)
    editor.value = format(PLAYGROUND_POLICY)
    validate()
  }
  if (!current?.ok) {
    // a stored policy that this version of the SDK no longer accepts: fall back to the default
    editor.value = format(PLAYGROUND_POLICY)
    validate()
  }
  timeline.run()
  if (wsUrl && current?.ok) startSocket(current, 'page loaded')
  else showState()

  window.setInterval(tick, 250)
  if (hasApi) {
    const poll = async (): Promise<void> => {
      try {
        showServer(await api.getState())
      } catch (error) {
        showServerError(`control server: ${(error as Error).message}`)
      }
    }
    void poll()
    window.setInterval(poll, 1000)
    // what the app server saw on the wire, for the frames inspector
    let after = 0
    let polling = false
    const pollFrames = async (): Promise<void> => {
      if (polling) return
      polling = true
      try {
        for (const f of await api.getFrames(after)) {
          after = f.seq
          frames.add({ at: f.at, side: 'server', dir: f.dir, kind: f.kind, size: f.size, text: f.text, hex: f.hex, truncated: f.truncated, code: f.code, note: f.note, conn: f.conn })
        }
      } catch {
        // the state poll reports a missing control server
      } finally {
        polling = false
      }
    }
    window.setInterval(pollFrames, 500)
  }
  let resizeFrame = 0
  new ResizeObserver(() => {
    cancelAnimationFrame(resizeFrame)
    resizeFrame = requestAnimationFrame(() => {
      plot(!current?.ok)
      drawHerdNow(!current?.ok)
    })
  }).observe(document.body)
  root.dataset.ready = 'true'
}

void main()
