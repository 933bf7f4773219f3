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
const UNARMED: readonly number[] = SLOTS.flatMap(() => [Infinity, Infinity])

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

export interface TimerOwner {
  /** `late`: how much later than its due time the slot fired (a sleeping machine shows here). */
  timerFired(slot: TimerSlot, late: number): void
}

export class TimerTable implements Scheduled {
  /**
   * Per slot i: its monotonic due time at 2i (Infinity: not armed) and its wall-clock due time at
   * 2i + 1 (to tell how late it fired). Made at the first use.
   */
  #dues: number[] | undefined = undefined
  /** While firing: the slots that were due when the host called (bit i: slot i). */
  #firing = 0
  /** The host's fields (see Scheduled): the earliest monotonic due time, and the heap position. */
  due = Infinity
  index = NOT_SCHEDULED
  readonly #host: TimerHost
  readonly #owner: TimerOwner

  constructor(host: TimerHost, owner: TimerOwner) {
    this.#owner = owner
    this.#host = host
  }

  set(slot: TimerSlot, ms: number): void {
    const due = this.#host.monotonic() + ms
    const wallDue = this.#host.now() + ms
    // a copy of a packed template: exactly 18 unboxed numbers (flatMap would leave spare capacity)
    const dues = (this.#dues ??= UNARMED.slice())
    const i = INDEX[slot]
    dues[2 * i] = due
    dues[2 * i + 1] = wallDue
    // re-armed while firing: it waits for its new time, even "0 ms" (the next turn, as a port timer would)
    this.#firing &= ~(1 << i)
    this.rearm()
  }

  clear(slot: TimerSlot): void {
    const dues = this.#dues
    const i = INDEX[slot]
    if (!dues || dues[2 * i] === Infinity) return
    dues[2 * i] = Infinity
    this.#firing &= ~(1 << i)
    this.rearm()
  }

  private rearm(): void {
    const dues = this.#dues!
    let earliest = Infinity
    for (let i = 0; i < dues.length; i += 2) if (dues[i]! < earliest) earliest = dues[i]!
    if (earliest === Infinity) this.#host.cancel(this)
    else if (earliest !== this.due || this.index < 0) this.#host.schedule(this, earliest)
  }

  fire(): void {
    const dues = this.#dues!
    const now = this.#host.monotonic()
    this.due = Infinity
    for (let i = 0; i < SLOTS.length; i++) if (dues[2 * i]! <= now) this.#firing |= 1 << i
    try {
      this.fireDue(this.#host.now())
    } finally {
      this.#firing = 0
      this.rearm()
    }
  }

  /** Earliest first; slots due at the same time in their fixed order (TIMER_NAMES). */
  private fireDue(wallNow: number): void {
    const dues = this.#dues!
    for (;;) {
      let next = -1
      for (let i = 0; i < SLOTS.length; i++) {
        if (this.#firing & (1 << i) && (next < 0 || dues[2 * i]! < dues[2 * next]!)) next = i
      }
      if (next < 0) return
      dues[2 * next] = Infinity
      this.#firing &= ~(1 << next)
      this.#owner.timerFired(SLOTS[next]!, wallNow - dues[2 * next + 1]!)
    }
  }
}
