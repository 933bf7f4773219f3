/**
 * lifeline-ws/monitor: `monitor(socket)` gives the counters of `stats()` and the disconnect log of
 * `history()`. It watches the socket's events and its driver's traffic; per message it only adds to
 * numbers (text is counted by its length, so counting costs nothing), and it allocates only per
 * disconnect. A socket nobody monitors carries none of it.
 */
import type { DeliveryWindow } from '../core/delivery.js'
import type { Data, DropReason } from '../core/queue.js'
import type { Cause, CloseInfo, Phase } from '../core/state.js'
import { describe } from '../options/messages.dev.js'
import type { DriverEvent } from './driver.js'
import { driverOf, type SocketObserver } from './internals.js'
import type { Clock } from '../ports.js'
import type { LifelineSocket } from './socket.js'

/** What ended a connection ('freeze': the page left or was frozen, and the socket was released). */
export type DisconnectCause = 'close' | 'heartbeat' | 'idle' | 'offline' | 'lifetime' | 'reconnect' | 'freeze' | 'user' | 'error'

export interface Disconnect {
  /** Clock time the connection was lost (ms). */
  start: number
  /** Clock time it was open again, or null while still down (or closed for good). */
  end: number | null
  /** end − start, or null while still down. */
  duration: number | null
  cause: DisconnectCause
  /** The close code or error code behind the cause, when there is one. */
  code: number | string | null
  /** Attempts made to recover. */
  attempts: number
  /** The URL of the connection that was lost (redacted): which endpoint, when `url` lists several. */
  url: string
}

/** How a socket checks its link: protocol ping frames, an app-level message, or not at all. */
export type HeartbeatKind = 'protocol' | 'message' | 'none'

export interface Stats {
  state: Phase
  /** 'none' where the WebSocket has no ping frames and no heartbeat.message is set, or heartbeat: false. */
  heartbeat: HeartbeatKind
  /** ms in the current state. */
  timeInState: number
  /** Attempts started in total, and since the last open. */
  attempts: { total: number; sinceOpen: number }
  opens: number
  disconnects: number
  /** ms the current connection has been open (0 when not open). */
  uptime: number
  totalUptime: number
  /** ms spent connecting or backing off (not idle, not closed). */
  totalDowntime: number
  /** totalUptime / (totalUptime + totalDowntime), 1 before anything happened. */
  uptimeRatio: number
  messagesIn: number
  messagesOut: number
  /** Bytes of binary messages plus the length of text messages (UTF-8 bytes for ASCII text). */
  bytesIn: number
  bytesOut: number
  queued: number
  queueHighWater: number
  dropped: Record<DropReason, number>
  rtt: { last: number | null; min: number | null; avg: number | null; max: number | null; samples: number }
  /**
   * How written messages are confirmed (an answered ping confirms every write before it): 'report'
   * or 'resend' (the `delivery` option), or 'none' without a heartbeat (nothing is confirmed).
   */
  delivery: 'report' | 'resend' | 'none'
  /** Messages confirmed. */
  confirmed: number
  /** Messages still unconfirmed when their socket ended (reported, or kept to resend). */
  unconfirmed: number
  /** Messages written again on a later socket ('resend'). */
  resent: number
  /** Written and not yet confirmed, or waiting to be written again: they count against the queue's limits. */
  held: { messages: number; bytes: number }
  /** ms from a message's (last) write to its confirmation. */
  confirmLatency: { last: number | null; min: number | null; avg: number | null; max: number | null; samples: number }
  lastClose: (CloseInfo & { at: number }) | null
  lastError: string | null
}

function size(data: unknown): number {
  if (typeof data === 'string') return data.length
  const d = data as { byteLength?: number; size?: number }
  return d.byteLength ?? d.size ?? 0
}

export interface MonitorOptions {
  /** How many disconnects `history()` keeps. @default 50 */
  historySize?: number
}

/** What `monitor(socket)` returns. */
export interface SocketMonitor {
  /** A plain, JSON-serialisable snapshot of counters and timings. */
  stats(): Stats
  /** The last `historySize` disconnects, oldest first, with cause and duration. */
  history(): Disconnect[]
}

/**
 * Start counting a socket's traffic and disconnects. Called in the tick that created the socket
 * (an eager socket connects on the next one), it sees everything; called later, it counts from
 * then on, starting from the socket's current state. Each call makes an independent monitor.
 */
export function monitor(socket: LifelineSocket, options: MonitorOptions = {}): SocketMonitor {
  if (options === null || typeof options !== 'object') throw new TypeError(`monitor(socket, options): options must be an object, got ${describe(options)}`)
  const historySize = checkHistorySize(Object.prototype.hasOwnProperty.call(options, 'historySize') ? options.historySize : undefined, 'monitor(socket, { historySize }): historySize')
  const driver = driverOf(socket, 'monitor(socket)')
  const counter = new Monitor(driver.clock, historySize, driver.state.phase, () => driver.url)
  let all = watching.get(driver)
  if (!all) {
    watching.set(driver, (all = new Monitors()))
    driverOf(socket, 'monitor(socket)', all)
  }
  all.list.push(counter)
  return {
    stats: () => counter.stats(driver.queue.length, driver.queue.highWater, driver.heartbeat, driver.delivery, driver.held),
    history: () => counter.history(),
  }
}

/** A history size (undefined: the default, 50), or a TypeError/RangeError naming it as `name`. */
export function checkHistorySize(value: unknown, name: string): number {
  if (value === undefined) return 50
  if (typeof value !== 'number') throw new TypeError(`${name} must be a number, got ${describe(value)}`)
  if (!(value >= 0) || (Number.isFinite(value) && !Number.isInteger(value))) {
    throw new RangeError(`${name} must be a whole number >= 0, got ${describe(value)}`)
  }
  return value
}

/** The monitors of one socket, attached to it as its one observer. */
const watching = new WeakMap<object, Monitors>()

class Monitors implements SocketObserver {
  readonly list: Monitor[] = []

  // index loops: the traffic calls are per message, and must not allocate
  event(event: DriverEvent): void {
    for (let i = 0; i < this.list.length; i++) this.list[i]!.event(event)
  }

  written(data: Data): void {
    for (let i = 0; i < this.list.length; i++) this.list[i]!.written(data)
  }

  read(data: unknown): void {
    for (let i = 0; i < this.list.length; i++) this.list[i]!.read(data)
  }

  rtt(ms: number): void {
    for (let i = 0; i < this.list.length; i++) this.list[i]!.rtt(ms)
  }

  confirmed(ms: number): void {
    for (let i = 0; i < this.list.length; i++) this.list[i]!.confirmed(ms)
  }
}

/** Samples of a duration: last, min, max, sum; nothing allocated per sample. */
class Samples {
  last: number | null = null
  min = Infinity
  max = -Infinity
  sum = 0
  count = 0

  add(ms: number): void {
    this.last = ms
    if (ms < this.min) this.min = ms
    if (ms > this.max) this.max = ms
    this.sum += ms
    this.count++
  }

  snapshot(): Stats['confirmLatency'] {
    const n = this.count
    return { last: this.last, min: n ? this.min : null, avg: n ? this.sum / n : null, max: n ? this.max : null, samples: n }
  }
}

/** A class with plain fields: one small object per socket, nothing allocated per message. */
class Monitor {
  // durations come from a wall clock that may be set back: never let time run backwards here
  #latest = -Infinity
  #state: Phase
  #since: number
  #totalAttempts = 0
  #attemptsSinceOpen = 0
  #opens = 0
  #disconnects = 0
  #up = 0
  #down = 0
  #messagesIn = 0
  #messagesOut = 0
  #bytesIn = 0
  #bytesOut = 0
  #dropped: Record<DropReason, number> | undefined = undefined
  #rttLast: number | null = null
  #rttMin: number | null = null
  #rttMax: number | null = null
  #rttSum = 0
  #rttSamples = 0
  readonly #confirm = new Samples()
  #lastClose: Stats['lastClose'] = null
  #lastError: string | null = null
  // what the current failure reported before its state change (error and close come first)
  #pendingError: string | null = null
  #pendingClose: CloseInfo | null = null
  #log: Disconnect[] | undefined = undefined
  #current: Disconnect | null = null

  readonly #clock: Clock
  readonly #historySize: number
  /** The socket's current URL (redacted): the endpoint a disconnect lost. */
  readonly #url: () => string
  /** Read at each open: by the time a disconnect is seen, the next attempt may have set the socket's. */
  #openUrl = ''

  constructor(clock: Clock, historySize: number, state: Phase, url: () => string) {
    this.#clock = clock
    this.#url = url
    // attached to a socket already open: its connection's URL
    this.#openUrl = url()
    this.#historySize = historySize
    this.#state = state
    this.#since = this.#now()
  }

  #now(): number {
    return (this.#latest = Math.max(this.#latest, this.#clock.now()))
  }

  event(event: DriverEvent): void {
    switch (event.event) {
      case 'state':
        return this.#onState(event.next, event.prev, event.cause)
      case 'error':
        this.#lastError = event.code
        this.#pendingError = event.code
        return
      case 'close':
        this.#lastClose = { ...event.close, at: this.#now() }
        this.#pendingClose = event.close
        return
      case 'drop':
        ;(this.#dropped ??= { overflow: 0, ttl: 0, closed: 0, error: 0, unconfirmed: 0, suspended: 0 })[event.reason]++
        return
    }
  }

  written(data: Data): void {
    this.#messagesOut++
    this.#bytesOut += size(data)
  }

  read(data: unknown): void {
    this.#messagesIn++
    this.#bytesIn += size(data)
  }

  rtt(ms: number): void {
    this.#rttLast = ms
    this.#rttMin = this.#rttMin === null ? ms : Math.min(this.#rttMin, ms)
    this.#rttMax = this.#rttMax === null ? ms : Math.max(this.#rttMax, ms)
    this.#rttSum += ms
    this.#rttSamples++
  }

  confirmed(ms: number): void {
    this.#confirm.add(ms)
  }

  stats(queued: number, highWater: number, heartbeat: HeartbeatKind, delivery: Stats['delivery'], held: DeliveryWindow | undefined): Stats {
    const t = this.#now()
    const state = this.#state
    const up = this.#up
    const down = this.#down
    const rttSamples = this.#rttSamples
    const inState = t - this.#since
    const totalUptime = up + (state === 'open' ? inState : 0)
    const totalDowntime = down + (state === 'connecting' || state === 'backoff' ? inState : 0)
    return {
      state,
      heartbeat,
      timeInState: inState,
      attempts: { total: this.#totalAttempts, sinceOpen: this.#attemptsSinceOpen },
      opens: this.#opens,
      disconnects: this.#disconnects,
      uptime: state === 'open' ? inState : 0,
      totalUptime,
      totalDowntime,
      uptimeRatio: totalUptime + totalDowntime === 0 ? 1 : totalUptime / (totalUptime + totalDowntime),
      messagesIn: this.#messagesIn,
      messagesOut: this.#messagesOut,
      bytesIn: this.#bytesIn,
      bytesOut: this.#bytesOut,
      queued,
      queueHighWater: highWater,
      dropped: { overflow: 0, ttl: 0, closed: 0, error: 0, unconfirmed: 0, suspended: 0, ...this.#dropped },
      rtt: { last: this.#rttLast, min: this.#rttMin, avg: rttSamples ? this.#rttSum / rttSamples : null, max: this.#rttMax, samples: rttSamples },
      delivery,
      // the socket's totals (what the driver holds), not since this monitor began
      confirmed: held?.confirmed ?? 0,
      unconfirmed: held?.abandoned ?? 0,
      resent: held?.resent ?? 0,
      held: { messages: held?.length ?? 0, bytes: held?.bytes ?? 0 },
      confirmLatency: this.#confirm.snapshot(),
      lastClose: this.#lastClose,
      lastError: this.#lastError,
    }
  }

  history(): Disconnect[] {
    return this.#log ? this.#log.map((entry) => ({ ...entry })) : []
  }

  /** A disconnect's cause, from the state event's cause code and the close or error just before it. */
  #causeOf(cause: Cause): Pick<Disconnect, 'cause' | 'code'> {
    const pendingError = this.#pendingError
    const closeCode = this.#pendingClose?.code ?? null
    switch (cause) {
      case 'user-close':
        return { cause: 'user', code: null }
      case 'heartbeat-timeout':
        return { cause: 'heartbeat', code: 'HEARTBEAT_TIMEOUT' }
      case 'idle-timeout':
        return { cause: 'idle', code: 'IDLE_TIMEOUT' }
      case 'offline':
      case 'lifetime':
      case 'reconnect':
      case 'freeze':
        return { cause, code: closeCode }
      case 'socket-close':
      case 'drain':
      // from 'open' only a server's close code for expired credentials does this
      case 'auth-refresh':
        return { cause: 'close', code: closeCode }
      default:
        return { cause: 'error', code: pendingError }
    }
  }

  #onState(next: Phase, prev: Phase, cause: Cause): void {
    const t = this.#now()
    if (prev === 'open') this.#up += t - this.#since
    else if (prev === 'connecting' || prev === 'backoff') this.#down += t - this.#since
    this.#state = next
    this.#since = t
    if (next === 'connecting') {
      this.#totalAttempts++
      this.#attemptsSinceOpen++
      if (this.#current) this.#current.attempts++
    }
    if (prev === 'open' && next !== 'open') {
      this.#disconnects++
      const current: Disconnect = { start: t, end: null, duration: null, ...this.#causeOf(cause), attempts: next === 'connecting' ? 1 : 0, url: this.#openUrl }
      this.#current = current
      const log = (this.#log ??= [])
      log.push(current)
      if (log.length > this.#historySize) log.shift()
    }
    if (next === 'open') {
      this.#openUrl = this.#url()
      this.#opens++
      this.#attemptsSinceOpen = 0
      const current = this.#current
      if (current) {
        current.end = t
        current.duration = t - current.start
        this.#current = null
      }
    }
    this.#pendingError = null
    this.#pendingClose = null
  }
}
