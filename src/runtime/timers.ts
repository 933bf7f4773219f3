/**
 * A socket's timers: the core's named timers (the queue's time to live is one), in one small table that
 * asks its host to be called at its earliest due time. Arming or clearing a name allocates nothing.
 *
 * Two hosts: `sharedTimers` (scheduler.ts: one port timer per clock for every socket, what Node
 * and lifeline-ws/core use, where thousands of sockets share a process) and `ownTimer` below (one
 * port timer per socket: browsers and workers, where a page has a socket or two and every byte of
 * code counts).
 *
 * Due times are monotonic (the clock's `monotonic()`, else `now()`), so a wall clock that someone
 * sets back or forward moves no timer; how late a slot fired is measured on the wall clock, which
 * is how a machine that slept shows (monotonic clocks stop while it sleeps).
 */
import { TIMER_NAMES, type TimerName } from '../core/state.js'
import type { Clock } from '../ports.js'

export type TimerSlot = TimerName

const SLOTS: readonly TimerSlot[] = TIMER_NAMES
const INDEX = Object.fromEntries(SLOTS.map((slot, i) => [slot, i])) as Record<TimerSlot, number>
/** A table with no slot armed yet shares this (never written: set() replaces it). */
const NO_ENTRIES: number[] = []

/** What a host keeps of a table: when it wants to be called, and the host's own bookkeeping. */
export interface Scheduled {
  /** Monotonic ms (see monotonicOf). Written only by the host. */
  due: number
  /** The host's bookkeeping (a heap position); NOT_SCHEDULED when not waiting. */
  index: number
  fire(): void
}

export const NOT_SCHEDULED = -1

/** Calls tables back at their due times through the clock's port timers. */
export interface TimerHost {
  /** Wall-clock ms: how late a timer fired is measured on it (a machine that slept shows there). */
  now(): number
  /** What due times are in, and timers are ordered by. */
  monotonic(): number
  schedule(item: Scheduled, due: number): void
  cancel(item: Scheduled): void
}

/** Makes the host for a socket's table, given the socket's clock. */
export type TimerHostFor = (clock: Clock) => TimerHost

/** The clock's monotonic reading, or its wall clock when it has none (see Clock). */
export function monotonicOf(clock: Clock): () => number {
  return clock.monotonic ? () => clock.monotonic!() : () => clock.now()
}

/** The longest delay a port timer keeps: Node and browsers run a longer one after 1 ms. */
export const MAX_PORT_DELAY = 2 ** 31 - 1

/**
 * Whole ms until `due`, rounded up: a fraction of a ms would round back to "now" on a clock in
 * large numbers and spin (a due time of 1,004,598.4 can sit 1e-10 ms away forever); up, the timer
 * is at most 1 ms late, as port timers are anyway. At most MAX_PORT_DELAY: a longer wait (a
 * maxLifetime of 30 days) is a chain of port timers, each firing early and re-arming for the rest,
 * rather than one that the runtime fires at once, over and over.
 */
export function delayUntil(due: number, now: number): number {
  return Math.min(MAX_PORT_DELAY, Math.max(0, Math.ceil(due - now)))
}

/** One port timer for one socket. */
export const ownTimer: TimerHostFor = (clock) => {
  const monotonic = monotonicOf(clock)
  let handle: unknown
  /** Which schedule() the pending port timer belongs to: a port that cannot cancel fires stale ones. */
  let armed = 0
  return {
    now: () => clock.now(),
    monotonic,
    schedule(item, due) {
      if (handle !== undefined) clock.clearTimeout(handle)
      const token = ++armed
      item.due = due
      item.index = 0
      handle = clock.setTimeout(() => {
        if (token !== armed) return
        handle = undefined
        item.index = NOT_SCHEDULED
        item.fire()
      }, delayUntil(due, monotonic()))
    },
    cancel(item) {
      if (handle !== undefined) clock.clearTimeout(handle)
      handle = undefined
      armed++
      item.index = NOT_SCHEDULED
    },
  }
}

/**
 * The table, as the base class the driver is built on rather than an object of its own: thousands
 * of idle sockets live in one process, and a separate table was an object and a pointer more per
 * socket. Its methods carry the timer's name so they read plainly beside the driver's own.
 */
export abstract class TimerTable implements Scheduled {
  /**
   * Per slot armed at once, an entry of three numbers: the slot, its monotonic due time, and its
   * wall-clock due time (to tell how late it fired). Made when first needed, one entry per slot
   * armed at the same time: an idle open socket arms one (the heartbeat), not ten. An entry whose
   * due time is Infinity is free: a disarmed slot keeps its entry, so re-arming it (every
   * heartbeat) allocates nothing, and any other slot may take it over.
   */
  #armed: number[] = NO_ENTRIES
  /** While firing: the slots that were due when the host called (bit i: slot i). */
  #firing = 0
  /** The host's fields (see Scheduled): the earliest monotonic due time, and the heap position. */
  due = Infinity
  index = NOT_SCHEDULED
  readonly #host: TimerHost

  constructor(host: TimerHost) {
    this.#host = host
  }

  /** `late`: how much later than its due time the slot fired (a sleeping machine shows here). */
  protected abstract timerFired(slot: TimerSlot, late: number): void

  protected setTimer(slot: TimerSlot, ms: number): void {
    const i = INDEX[slot]
    const due = this.#host.monotonic() + ms
    const wallDue = this.#host.now() + ms
    const k = this.timerEntry(i, true)
    const armed = this.#armed
    if (k >= 0) {
      armed[k] = i
      armed[k + 1] = due
      armed[k + 2] = wallDue
    }
    // no entry to take: one more (concat makes an array of exactly that size, of unboxed numbers)
    else this.#armed = armed.concat(i, due, wallDue)
    // re-armed while firing: it waits for its new time, even "0 ms" (the next turn, as a port timer would)
    this.#firing &= ~(1 << i)
    this.rearmTimers()
  }

  protected clearTimer(slot: TimerSlot): void {
    const i = INDEX[slot]
    const k = this.timerEntry(i, false)
    if (k < 0 || this.#armed[k + 1] === Infinity) return
    this.#armed[k + 1] = Infinity
    this.#firing &= ~(1 << i)
    this.rearmTimers()
  }

  /** Where slot `i`'s entry starts (armed or free), else (`orFree`) the first free entry's, else -1. */
  private timerEntry(i: number, orFree: boolean): number {
    const armed = this.#armed
    let free = -1
    for (let k = 0; k < armed.length; k += 3) {
      if (armed[k] === i) return k
      if (orFree && free < 0 && armed[k + 1] === Infinity) free = k
    }
    return free
  }

  private rearmTimers(): void {
    const armed = this.#armed
    let earliest = Infinity
    for (let k = 1; k < armed.length; k += 3) if (armed[k]! < earliest) earliest = armed[k]!
    if (earliest === Infinity) this.#host.cancel(this)
    else if (earliest !== this.due || this.index < 0) this.#host.schedule(this, earliest)
  }

  fire(): void {
    const armed = this.#armed
    const now = this.#host.monotonic()
    this.due = Infinity
    for (let k = 0; k < armed.length; k += 3) if (armed[k + 1]! <= now) this.#firing |= 1 << armed[k]!
    try {
      this.fireDueTimers(this.#host.now())
    } finally {
      this.#firing = 0
      this.rearmTimers()
    }
  }

  /** Earliest first; slots due at the same time in their fixed order (TIMER_NAMES). */
  private fireDueTimers(wallNow: number): void {
    for (;;) {
      // read again each time: the owner arms and clears slots as each fires
      const armed = this.#armed
      let next = -1
      for (let k = 0; k < armed.length; k += 3) {
        const d = armed[k + 1]! - armed[next + 1]!
        if (this.#firing & (1 << armed[k]!) && (next < 0 || d < 0 || (d === 0 && armed[k]! < armed[next]!))) next = k
      }
      if (next < 0) return
      const i = armed[next]!
      armed[next + 1] = Infinity
      this.#firing &= ~(1 << i)
      this.timerFired(SLOTS[i]!, wallNow - armed[next + 2]!)
    }
  }
}
