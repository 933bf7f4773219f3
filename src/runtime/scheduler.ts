/**
 * One port timer per clock, shared by every socket on that clock. Each socket's timer table asks to
 * be called at its earliest (monotonic) due time; a binary heap keeps those in order and the single
 * port timer is armed for the first. 10,000 idle sockets with heartbeats then hold 10,000 heap
 * entries (a number and a slot each) instead of 10,000 Node Timeouts with a callback each.
 */
import type { Clock } from '../ports.js'
import { delayUntil, monotonicOf, NOT_SCHEDULED, type Scheduled, type TimerHost, type TimerHostFor } from './timers.js'

/** A table taken out of the heap to be called (its `index` while the scheduler fires). */
const FIRING = -2

const schedulers = new WeakMap<Clock, Scheduler>()

/** The scheduler of this clock (made at the first use, forgotten with the clock). */
export const sharedTimers: TimerHostFor = (clock) => {
  let scheduler = schedulers.get(clock)
  if (!scheduler) schedulers.set(clock, (scheduler = new Scheduler(clock)))
  return scheduler
}

export class Scheduler implements TimerHost {
  readonly #heap: Scheduled[] = []
  #handle: unknown = undefined
  #armedFor = Infinity
  readonly #onPortTimer: () => void

  readonly #clock: Clock
  readonly monotonic: () => number

  constructor(clock: Clock) {
    this.#clock = clock
    this.monotonic = monotonicOf(clock)
    this.#onPortTimer = () => this.#fire()
  }

  now(): number {
    return this.#clock.now()
  }

  schedule(item: Scheduled, due: number): void {
    if (item.index >= 0) {
      const earlier = due < item.due
      item.due = due
      if (earlier) this.#up(item.index)
      else this.#down(item.index)
    } else {
      item.due = due
      item.index = this.#heap.length
      this.#heap.push(item)
      this.#up(item.index)
    }
    this.#rearm()
  }

  cancel(item: Scheduled): void {
    if (item.index === FIRING) item.index = NOT_SCHEDULED
    if (item.index < 0) return
    const i = item.index
    const last = this.#heap.pop()!
    item.index = NOT_SCHEDULED
    if (last !== item) {
      this.#heap[i] = last
      last.index = i
      this.#up(i)
      this.#down(last.index)
    }
    this.#rearm()
  }

  #rearm(): void {
    const earliest = this.#heap.length > 0 ? this.#heap[0]!.due : Infinity
    if (earliest === this.#armedFor) return
    if (this.#handle !== undefined) this.#clock.clearTimeout(this.#handle)
    this.#handle = undefined
    this.#armedFor = earliest
    if (earliest === Infinity) return
    this.#handle = this.#clock.setTimeout(this.#onPortTimer, delayUntil(earliest, this.monotonic()))
  }

  #fire(): void {
    this.#handle = undefined
    this.#armedFor = Infinity
    const heap = this.#heap
    const now = this.monotonic()
    // take out everything due first: one that re-schedules itself for "now" waits for the next turn
    const due: Scheduled[] = []
    while (heap.length > 0 && heap[0]!.due <= now) {
      const item = this.#popFirst()
      item.index = FIRING
      due.push(item)
    }
    try {
      for (const item of due) {
        // cancelled or re-scheduled by an earlier one's listeners meanwhile: not due any more
        if (item.index !== FIRING) continue
        item.index = NOT_SCHEDULED
        item.fire()
      }
    } finally {
      // one socket's throw must not cost the others their timers: whatever did not fire, fires
      // next turn
      for (const item of due) {
        if (item.index !== FIRING) continue
        item.index = NOT_SCHEDULED
        this.schedule(item, item.due)
      }
      this.#rearm()
    }
  }

  #popFirst(): Scheduled {
    const heap = this.#heap
    const first = heap[0]!
    const last = heap.pop()!
    if (last !== first) {
      heap[0] = last
      last.index = 0
      this.#down(0)
    }
    return first
  }

  #up(i: number): void {
    const heap = this.#heap
    const item = heap[i]!
    while (i > 0) {
      const parent = (i - 1) >> 1
      if (heap[parent]!.due <= item.due) break
      heap[i] = heap[parent]!
      heap[i]!.index = i
      i = parent
    }
    heap[i] = item
    item.index = i
  }

  #down(i: number): void {
    const heap = this.#heap
    const n = heap.length
    const item = heap[i]!
    for (;;) {
      let child = 2 * i + 1
      if (child >= n) break
      if (child + 1 < n && heap[child + 1]!.due < heap[child]!.due) child++
      if (heap[child]!.due >= item.due) break
      heap[i] = heap[child]!
      heap[i]!.index = i
      i = child
    }
    heap[i] = item
    item.index = i
  }
}
