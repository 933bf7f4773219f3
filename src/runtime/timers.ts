/**
 * A socket's timers: the core's named timers plus the queue's time-to-live, in one small table that
 * asks its host to be called at its earliest due time. Arming or clearing a name allocates nothing.
 *
 * Two hosts: `sharedTimers` (scheduler.ts: one port timer per clock for every socket, what Node
 * and lifeline-ws/core use, where thousands of sockets share a process) and `ownTimer` below (one
 * port timer per socket: browsers and workers, where a page has a socket or two and every byte of
 * code counts).
 */
import { TIMER_NAMES, type TimerName } from '../core/state.js'
import type { Clock } from './ports.js'

/** The driver's own slot: the oldest queued message's time-to-live. */
export const QUEUE_TTL = 'queue-ttl'
export type TimerSlot = TimerName | typeof QUEUE_TTL

const SLOTS: readonly TimerSlot[] = [...TIMER_NAMES, QUEUE_TTL]
const INDEX = Object.fromEntries(SLOTS.map((slot, i) => [slot, i])) as Record<TimerSlot, number>

/** What a host keeps of a table: when it wants to be called, and the host's own bookkeeping. */
export interface Scheduled {
  /** Wall-clock ms. Written only by the host. */
  due: number
  /** The host's bookkeeping (a heap position); NOT_SCHEDULED when not waiting. */
  index: number
  fire(now: number): void
  /** The wall clock was set back by `ms`: move every own due time back as much. */
  shift(ms: number): void
}

export const NOT_SCHEDULED = -1

/**
 * A port timer that fires more than this much "early" by the wall clock means the clock was set
 * back. Less is ordinary: libuv and browsers count timers from a cached loop time.
 */
export const SET_BACK_TOLERANCE = 1_000

/** Calls tables back at their due times through the clock's port timers. */
export interface TimerHost {
  now(): number
  schedule(item: Scheduled, due: number): void
  cancel(item: Scheduled): void
}

/** Makes the host for a socket's table, given the socket's clock. */
export type TimerHostFor = (clock: Clock) => TimerHost

/**
 * One port timer for one socket. Port timers run on monotonic time, due times on the wall clock: a
 * timer that fires while the wall clock says it is early means the clock was set back, and the due
 * times move back with it (a heartbeat must not stall for an hour because someone fixed the clock).
 */
export const ownTimer: TimerHostFor = (clock) => {
  let handle: unknown
  let expected = 0
  let waiting: Scheduled | undefined
  const fire = (): void => {
    const item = waiting!
    const now = clock.now()
    handle = waiting = undefined
    if (expected - now > SET_BACK_TOLERANCE) item.shift(expected - now)
    item.index = NOT_SCHEDULED
    item.fire(now)
  }
  return {
    now: () => clock.now(),
    schedule(item, due) {
      if (handle !== undefined) clock.clearTimeout(handle)
      const now = clock.now()
      const delay = Math.max(0, due - now)
      item.due = due
      item.index = 0
      waiting = item
      expected = now + delay
      handle = clock.setTimeout(fire, delay)
    },
    cancel(item) {
      if (handle !== undefined) clock.clearTimeout(handle)
      handle = waiting = undefined
      item.index = NOT_SCHEDULED
    },
  }
}

export interface TimerOwner {
  /** `late`: how much later than its due time the slot fired (a sleeping machine shows here). */
  timerFired(slot: TimerSlot, late: number): void
}

export class TimerTable implements Scheduled {
  /** Due time per slot (Infinity: not armed); made at the first use. */
  #dues: number[] | undefined = undefined
  /** While firing: the slots that were due when the scheduler called (bit i: slot i). */
  #firing = 0
  /** The scheduler's fields (see Scheduled): the earliest due time, and the heap position. */
  due = Infinity
  index = NOT_SCHEDULED
  readonly #host: TimerHost

  readonly #owner: TimerOwner

  constructor(host: TimerHost, owner: TimerOwner) {
    this.#owner = owner
    this.#host = host
  }

  set(slot: TimerSlot, ms: number): void {
    this.setAt(slot, this.#host.now() + ms)
  }

  setAt(slot: TimerSlot, due: number): void {
    const dues = (this.#dues ??= SLOTS.map(() => Infinity))
    dues[INDEX[slot]] = due
    // re-armed while firing: it waits for its new time, even "0 ms" (the next turn, as a port timer would)
    this.#firing &= ~(1 << INDEX[slot])
    this.#rearm()
  }

  clear(slot: TimerSlot): void {
    const dues = this.#dues
    if (!dues || dues[INDEX[slot]] === Infinity) return
    dues[INDEX[slot]] = Infinity
    this.#firing &= ~(1 << INDEX[slot])
    this.#rearm()
  }

  /** Whether any slot is armed. */
  get armed(): boolean {
    return this.index !== NOT_SCHEDULED
  }

  #rearm(): void {
    let earliest = Infinity
    for (const due of this.#dues!) if (due < earliest) earliest = due
    if (earliest === Infinity) this.#host.cancel(this)
    else if (earliest !== this.due || this.index < 0) this.#host.schedule(this, earliest)
  }

  shift(ms: number): void {
    const dues = this.#dues
    if (dues) for (let i = 0; i < dues.length; i++) dues[i]! -= ms
  }

  fire(now: number): void {
    const dues = this.#dues!
    this.due = Infinity
    for (let i = 0; i < dues.length; i++) if (dues[i]! <= now) this.#firing |= 1 << i
    try {
      this.#fireDue(now)
    } finally {
      this.#firing = 0
      this.#rearm()
    }
  }

  /** Earliest first; slots due at the same time in their fixed order (TIMER_NAMES). */
  #fireDue(now: number): void {
    const dues = this.#dues!
    for (;;) {
      let next = -1
      for (let i = 0; i < dues.length; i++) {
        if (this.#firing & (1 << i) && (next < 0 || dues[i]! < dues[next]!)) next = i
      }
      if (next < 0) return
      const late = now - dues[next]!
      dues[next] = Infinity
      this.#firing &= ~(1 << next)
      this.#owner.timerFired(SLOTS[next]!, late)
    }
  }
}
