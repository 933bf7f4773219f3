/**
 * Monitoring: counters for `socket.stats()` and the disconnect log for `socket.history()`. It
 * watches the event stream and the driver's observer; per message it only adds to numbers (text is
 * counted by its length, so counting costs nothing), and it allocates only per disconnect.
 */
import type { Data, DropReason } from '../core/queue.js'
import type { CloseInfo, Phase } from '../core/state.js'
import type { DriverEvent, Observer } from './driver.js'

/** What ended a connection. */
export type DisconnectCause = 'close' | 'heartbeat' | 'idle' | 'offline' | 'lifetime' | 'reconnect' | 'user' | 'error'

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
}

export interface Stats {
  state: Phase
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
  lastClose: (CloseInfo & { at: number }) | null
  lastError: string | null
}

export interface Monitor extends Observer {
  event(event: DriverEvent): void
  stats(queued: number, highWater: number): Stats
  history(): Disconnect[]
}

function size(data: unknown): number {
  if (typeof data === 'string') return data.length
  const d = data as { byteLength?: number; size?: number }
  return d.byteLength ?? d.size ?? 0
}

export function createMonitor(clock: () => number, historySize: number): Monitor {
  // durations come from a wall clock that may be set back: never let time run backwards here
  let latest = -Infinity
  const now = (): number => (latest = Math.max(latest, clock()))
  let state: Phase = 'idle'
  let since = now()
  let totalAttempts = 0
  let attemptsSinceOpen = 0
  let opens = 0
  let disconnects = 0
  let up = 0
  let down = 0
  let messagesIn = 0
  let messagesOut = 0
  let bytesIn = 0
  let bytesOut = 0
  const dropped: Record<DropReason, number> = { overflow: 0, ttl: 0, closed: 0, error: 0 }
  let rttLast: number | null = null
  let rttMin: number | null = null
  let rttMax: number | null = null
  let rttSum = 0
  let rttSamples = 0
  let lastClose: Stats['lastClose'] = null
  let lastError: string | null = null
  // what the current failure reported before its state change (error and close come first)
  let pendingError: string | null = null
  let pendingClose: CloseInfo | null = null
  const log: Disconnect[] = []
  let current: Disconnect | null = null

  function causeOf(reason: string): Pick<Disconnect, 'cause' | 'code'> {
    if (reason === 'close()') return { cause: 'user', code: null }
    if (pendingError === 'HEARTBEAT_TIMEOUT') return { cause: 'heartbeat', code: pendingError }
    if (pendingError === 'IDLE_TIMEOUT') return { cause: 'idle', code: pendingError }
    if (reason === 'offline') return { cause: 'offline', code: pendingClose?.code ?? null }
    if (reason === 'max lifetime') return { cause: 'lifetime', code: pendingClose?.code ?? null }
    if (reason === 'reconnect()') return { cause: 'reconnect', code: pendingClose?.code ?? null }
    if (pendingClose) return { cause: 'close', code: pendingClose.code }
    return { cause: 'error', code: pendingError }
  }

  function onState(next: Phase, prev: Phase, reason: string): void {
    const t = now()
    if (prev === 'open') up += t - since
    else if (prev === 'connecting' || prev === 'backoff') down += t - since
    state = next
    since = t
    if (next === 'connecting') {
      totalAttempts++
      attemptsSinceOpen++
      if (current) current.attempts++
    }
    if (prev === 'open' && next !== 'open') {
      disconnects++
      current = { start: t, end: null, duration: null, ...causeOf(reason), attempts: next === 'connecting' ? 1 : 0 }
      log.push(current)
      if (log.length > historySize) log.shift()
    }
    if (next === 'open') {
      opens++
      attemptsSinceOpen = 0
      if (current) {
        current.end = t
        current.duration = t - current.start
        current = null
      }
    }
    pendingError = null
    pendingClose = null
  }

  return {
    event(event) {
      switch (event.event) {
        case 'state':
          return onState(event.next, event.prev, event.reason)
        case 'error':
          lastError = event.code
          pendingError = event.code
          return
        case 'close':
          lastClose = { ...event.close, at: now() }
          pendingClose = event.close
          return
        case 'drop':
          dropped[event.reason]++
          return
      }
    },
    written(data: Data) {
      messagesOut++
      bytesOut += size(data)
    },
    read(data) {
      messagesIn++
      bytesIn += size(data)
    },
    rtt(ms) {
      rttLast = ms
      rttMin = rttMin === null ? ms : Math.min(rttMin, ms)
      rttMax = rttMax === null ? ms : Math.max(rttMax, ms)
      rttSum += ms
      rttSamples++
    },
    stats(queued, highWater) {
      const t = now()
      const inState = t - since
      const totalUptime = up + (state === 'open' ? inState : 0)
      const totalDowntime = down + (state === 'connecting' || state === 'backoff' ? inState : 0)
      return {
        state,
        timeInState: inState,
        attempts: { total: totalAttempts, sinceOpen: attemptsSinceOpen },
        opens,
        disconnects,
        uptime: state === 'open' ? inState : 0,
        totalUptime,
        totalDowntime,
        uptimeRatio: totalUptime + totalDowntime === 0 ? 1 : totalUptime / (totalUptime + totalDowntime),
        messagesIn,
        messagesOut,
        bytesIn,
        bytesOut,
        queued,
        queueHighWater: highWater,
        dropped: { ...dropped },
        rtt: { last: rttLast, min: rttMin, avg: rttSamples ? rttSum / rttSamples : null, max: rttMax, samples: rttSamples },
        lastClose,
        lastError,
      }
    },
    history() {
      return log.map((entry) => ({ ...entry }))
    },
  }
}
