/** A virtual clock for deterministic tests: time moves only when you advance it. */
import type { Clock } from '../ports.js'

interface Scheduled {
  id: number
  at: number
  callback: () => void
}

export interface VirtualClock extends Clock {
  /** Move time forward by `ms`, running every timer that falls due, in order. */
  advance(ms: number): void
  /** Run timers until none is left (throws after `limit` timers, which means a timer loop). */
  runAll(limit?: number): void
  /**
   * Move the wall clock (`now()`) by `ms`, forwards or back, without running anything. Pending
   * timers keep their remaining time, as real timers (monotonic) do while Date.now() jumps: after a
   * sleep, a timer fires when its time has run and finds the clock far later than it was due.
   */
  jump(ms: number): void
  /**
   * Move time forward by `ms` (wall and monotonic) without running the timers that fall due, as a
   * hidden page's throttled timers wait for their next wake-up (about once a minute in Chromium);
   * the next advance() runs them, late.
   */
  throttle(ms: number): void
  /** Time that advance() moved and jump() did not: what real monotonic clocks measure. */
  monotonic(): number
  /** Timers scheduled and not yet run or cleared. */
  readonly pending: number
  /** Due times of pending timers, soonest first. */
  readonly dueTimes: number[]
}

export function createVirtualClock(start = 0): VirtualClock {
  let now = start
  /** How far jump() moved the wall clock in all: monotonic time is now - jumped. */
  let jumped = 0
  let nextId = 1
  const timers: Scheduled[] = []

  function takeDue(until: number): Scheduled | undefined {
    let best = -1
    for (let i = 0; i < timers.length; i++) {
      const t = timers[i]!
      if (t.at <= until && (best < 0 || t.at < timers[best]!.at || (t.at === timers[best]!.at && t.id < timers[best]!.id))) best = i
    }
    return best < 0 ? undefined : timers.splice(best, 1)[0]
  }

  return {
    now: () => now,
    monotonic: () => now - jumped,
    setTimeout(callback, ms) {
      const id = nextId++
      timers.push({ id, at: now + Math.max(0, Number(ms) || 0), callback })
      return id
    },
    clearTimeout(handle) {
      const i = timers.findIndex((t) => t.id === handle)
      if (i >= 0) timers.splice(i, 1)
    },
    advance(ms) {
      if (!(ms >= 0)) throw new RangeError(`advance(ms): ms must be >= 0, got ${ms}`)
      const until = now + ms
      for (let t = takeDue(until); t; t = takeDue(until)) {
        now = Math.max(now, t.at)
        t.callback()
      }
      now = until
    },
    runAll(limit = 10_000) {
      for (let n = 0; timers.length > 0; n++) {
        if (n >= limit) throw new Error(`runAll(): still ${timers.length} timers after ${limit} ran (a timer loop?)`)
        const t = takeDue(Infinity)!
        now = Math.max(now, t.at)
        t.callback()
      }
    },
    throttle(ms) {
      if (!(ms >= 0)) throw new RangeError(`throttle(ms): ms must be >= 0, got ${ms}`)
      now += ms
    },
    jump(ms) {
      now += ms
      jumped += ms
      for (const t of timers) t.at += ms
    },
    get pending() {
      return timers.length
    },
    get dueTimes() {
      return timers.map((t) => t.at).sort((a, b) => a - b)
    },
  }
}
