/**
 * A socket's timer table and its two hosts, in virtual time: `ownTimer` (one port timer per socket:
 * browsers, workers) and `sharedTimers` (one port timer per clock for every socket: Node, core).
 * Every behaviour is checked against both hosts.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { sharedTimers } from '../../src/runtime/scheduler.js'
import { NOT_SCHEDULED, ownTimer, TimerTable, type TimerHost, type TimerHostFor, type TimerSlot } from '../../src/runtime/timers.js'
import { createVirtualClock, type VirtualClock } from '../../src/testing/clock.js'

type Fired = { slot: TimerSlot; at: number; late: number }

/** The table as the driver uses it (its base class), with its firings handed to `onFired`. */
class Table extends TimerTable {
  constructor(
    host: TimerHost,
    private readonly onFired: (slot: TimerSlot, late: number) => void,
  ) {
    super(host)
  }
  protected timerFired(slot: TimerSlot, late: number): void {
    this.onFired(slot, late)
  }
  set(slot: TimerSlot, ms: number): void {
    this.setTimer(slot, ms)
  }
  clear(slot: TimerSlot): void {
    this.clearTimer(slot)
  }
}

function table(clock: VirtualClock, host: TimerHostFor, onFire?: (fired: Fired, timers: Table) => void) {
  const fired: Fired[] = []
  const timers: Table = new Table(host(clock), (slot, late) => {
    const entry = { slot, at: clock.now(), late }
    fired.push(entry)
    onFire?.(entry, timers)
  })
  return { timers, fired }
}

const HOSTS: [string, TimerHostFor][] = [
  ['ownTimer', ownTimer],
  ['sharedTimers', sharedTimers],
]

describe.each(HOSTS)('TimerTable with %s', (_, host) => {
  it('fires each slot at its due time, earliest first, and on time (late 0)', () => {
    const clock = createVirtualClock(1_000)
    const { timers, fired } = table(clock, host)
    timers.set('heartbeat', 300)
    timers.set('stable', 100)
    timers.set('lifetime', 200)
    clock.advance(1_000)
    expect(fired).toEqual([
      { slot: 'stable', at: 1_100, late: 0 },
      { slot: 'lifetime', at: 1_200, late: 0 },
      { slot: 'heartbeat', at: 1_300, late: 0 },
    ])
  })

  it('slots due at the same time fire in the core’s fixed order (TIMER_NAMES), in one turn', () => {
    const clock = createVirtualClock()
    const { timers, fired } = table(clock, host)
    timers.set('lifetime', 50)
    timers.set('idle', 50)
    timers.set('heartbeat', 50)
    timers.set('stable', 50)
    clock.advance(50)
    expect(fired.map((f) => f.slot)).toEqual(['stable', 'heartbeat', 'idle', 'lifetime'])
  })

  it('re-arming a slot replaces its due time; clearing it means it never fires', () => {
    const clock = createVirtualClock()
    const { timers, fired } = table(clock, host)
    timers.set('heartbeat', 100)
    timers.set('heartbeat', 500)
    timers.set('idle', 50)
    timers.clear('idle')
    clock.advance(400)
    expect(fired).toEqual([])
    clock.advance(100)
    expect(fired).toEqual([{ slot: 'heartbeat', at: 500, late: 0 }])
  })

  it('holds a port timer only while a slot is armed', () => {
    const clock = createVirtualClock()
    const { timers } = table(clock, host)
    expect(clock.pending).toBe(0)
    timers.set('heartbeat', 100)
    timers.set('idle', 200)
    expect(clock.pending).toBe(1)
    expect(timers.index).not.toBe(NOT_SCHEDULED)
    timers.clear('heartbeat')
    timers.clear('idle')
    expect(clock.pending).toBe(0)
    expect(timers.index).toBe(NOT_SCHEDULED)
  })

  it('a slot re-armed for 0 ms while firing waits for the next turn: the others due now go first', () => {
    const clock = createVirtualClock()
    let rearmed = false
    const { timers, fired } = table(clock, host, ({ slot }, t) => {
      if (slot === 'stable' && !rearmed) {
        rearmed = true
        t.set('stable', 0)
      }
    })
    timers.set('stable', 10)
    timers.set('heartbeat', 10)
    clock.advance(10)
    expect(fired.map((f) => f.slot)).toEqual(['stable', 'heartbeat', 'stable'])
  })

  it('a slot cleared by an earlier slot of the same turn does not fire', () => {
    const clock = createVirtualClock()
    const { timers, fired } = table(clock, host, ({ slot }, t) => slot === 'stable' && t.clear('heartbeat'))
    timers.set('stable', 10)
    timers.set('heartbeat', 10)
    clock.advance(100)
    expect(fired.map((f) => f.slot)).toEqual(['stable'])
  })

  it('after a sleep (the wall clock jumped on while the timer waited) the slot reports how late it is', () => {
    const clock = createVirtualClock()
    const { timers, fired } = table(clock, host)
    timers.set('heartbeat', 1_000)
    clock.advance(400)
    clock.jump(60_000)
    clock.advance(600)
    expect(fired).toEqual([{ slot: 'heartbeat', at: 61_000, late: 60_000 }])
  })

  it('the wall clock set back an hour moves no timer: each fires after its own time (late is then negative)', () => {
    const clock = createVirtualClock(10_000_000)
    const { timers, fired } = table(clock, host)
    timers.set('heartbeat', 1_000)
    timers.set('idle', 1_500)
    clock.advance(200)
    clock.jump(-3_600_000)
    clock.advance(800)
    expect(fired).toEqual([{ slot: 'heartbeat', at: 10_001_000 - 3_600_000, late: -3_600_000 }])
    clock.advance(499)
    expect(fired).toHaveLength(1)
    clock.advance(1)
    expect(fired[1]).toEqual({ slot: 'idle', at: 10_001_500 - 3_600_000, late: -3_600_000 })
  })

  it('the wall clock set back, then another slot armed before the first fires: nothing stalls', () => {
    const clock = createVirtualClock(10_000_000)
    const { timers, fired } = table(clock, host)
    timers.set('heartbeat', 1_000)
    clock.advance(200)
    clock.jump(-3_600_000)
    timers.set('stable', 100)
    clock.advance(100)
    expect(fired.map((f) => f.slot)).toEqual(['stable'])
    clock.advance(700)
    expect(fired.map((f) => f.slot)).toEqual(['stable', 'heartbeat'])
  })

  it('the wall clock stepped forward fires nothing early: each slot waits for its own time', () => {
    const clock = createVirtualClock(10_000_000)
    const { timers, fired } = table(clock, host)
    timers.set('heartbeat', 100)
    timers.set('connect', 10_000)
    clock.jump(60_000)
    clock.advance(100)
    expect(fired.map((f) => f.slot)).toEqual(['heartbeat'])
    clock.advance(9_899)
    expect(fired).toHaveLength(1)
    clock.advance(1)
    expect(fired.map((f) => f.slot)).toEqual(['heartbeat', 'connect'])
  })

  it('a clock without monotonic(): timers are ordered by now()', () => {
    const virtual = createVirtualClock()
    const clock = { setTimeout: virtual.setTimeout, clearTimeout: virtual.clearTimeout, now: virtual.now } as unknown as VirtualClock
    const fired: string[] = []
    const timers = new Table(host(clock), (slot) => void fired.push(slot))
    timers.set('idle', 200)
    timers.set('heartbeat', 100)
    virtual.advance(100)
    expect(fired).toEqual(['heartbeat'])
    virtual.advance(100)
    expect(fired).toEqual(['heartbeat', 'idle'])
  })

  it('a due time with a fraction of a ms, after a jump: fires once, within 1 ms, without spinning (found by the fuzz suite)', () => {
    const clock = createVirtualClock(1_000_000)
    let portCallbacks = 0
    const counted = Object.assign(Object.create(clock) as VirtualClock, {
      setTimeout: (callback: () => void, ms: number) =>
        clock.setTimeout(() => {
          if (++portCallbacks > 100) throw new Error('a timer loop')
          callback()
        }, ms),
    })
    const { timers, fired } = table(counted, host)
    // values the fuzz suite's shape produced: a maxLifetime with jitter, jumps of the wall clock
    clock.jump(6_792)
    clock.advance(28_040)
    timers.set('lifetime', 4_490.868510459675)
    clock.jump(10_388)
    clock.advance(10_000)
    expect(fired).toHaveLength(1)
    expect(fired[0]!.late).toBeGreaterThanOrEqual(10_388)
    expect(fired[0]!.late).toBeLessThan(10_388 + 1)
    expect(portCallbacks).toBeLessThanOrEqual(2)
  })

  it('a slot due 30 days away (issue 12, #3): no port timer asked for more than 2^31 − 1 ms, a few wakes, fires on time', () => {
    // Node runs a setTimeout over 2^31 − 1 ms after 1 ms (with a TimeoutOverflowWarning): the
    // table re-armed it every tick, a busy loop for the whole wait
    const clock = createVirtualClock(1_000)
    const asked: number[] = []
    const counted = Object.assign(Object.create(clock) as VirtualClock, {
      setTimeout: (callback: () => void, ms: number) => {
        asked.push(ms)
        return clock.setTimeout(callback, ms)
      },
    })
    const { timers, fired } = table(counted, host)
    const DAYS_30 = 30 * 24 * 3_600_000
    timers.set('lifetime', DAYS_30)
    timers.set('heartbeat', 2 ** 31)
    clock.advance(DAYS_30)
    expect(Math.max(...asked)).toBeLessThanOrEqual(2 ** 31 - 1)
    expect(asked.length).toBeLessThanOrEqual(4)
    expect(fired).toEqual([
      { slot: 'heartbeat', at: 1_000 + 2 ** 31, late: 0 },
      { slot: 'lifetime', at: 1_000 + DAYS_30, late: 0 },
    ])
  })

  it('a listener that throws does not stop the table: the next slot still fires', () => {
    const clock = createVirtualClock()
    const { timers, fired } = table(clock, host, ({ slot }) => {
      if (slot === 'stable') throw new Error('listener bug')
    })
    timers.set('stable', 10)
    timers.set('heartbeat', 20)
    expect(() => clock.advance(10)).toThrow('listener bug')
    clock.advance(10)
    expect(fired.map((f) => f.slot)).toEqual(['stable', 'heartbeat'])
  })
})

describe('ownTimer with a port that cannot cancel', () => {
  it('a clock whose setTimeout returns nothing: a cleared or replaced timer that still fires is ignored', () => {
    const virtual = createVirtualClock()
    // setTimeout hands back no handle, so clearTimeout cannot cancel anything
    const clock = { ...virtual, now: virtual.now, monotonic: virtual.monotonic, setTimeout: (cb: () => void, ms: number) => void virtual.setTimeout(cb, ms), clearTimeout: () => {} }
    const fired: string[] = []
    const timers = new Table(ownTimer(clock as unknown as VirtualClock), (slot) => void fired.push(slot))
    timers.set('heartbeat', 100)
    timers.clear('heartbeat')
    timers.set('idle', 300)
    timers.set('idle', 500)
    expect(() => virtual.advance(1_000)).not.toThrow()
    expect(fired).toEqual(['idle'])
  })
})

describe('sharedTimers: one port timer per clock', () => {
  it('1,000 sockets with heartbeats hold one port timer, and each fires at its own time', () => {
    const clock = createVirtualClock()
    const tables = Array.from({ length: 1_000 }, () => table(clock, sharedTimers))
    tables.forEach(({ timers }, i) => timers.set('heartbeat', 1_000 + ((i * 7919) % 1_000)))
    expect(clock.pending).toBe(1)
    clock.advance(2_000)
    tables.forEach(({ fired }, i) => expect(fired).toEqual([{ slot: 'heartbeat', at: 1_000 + ((i * 7919) % 1_000), late: 0 }]))
    expect(clock.pending).toBe(0)
  })

  it('a socket whose timer listener throws does not cost the others due in the same turn their timers', () => {
    const clock = createVirtualClock()
    const tables = Array.from({ length: 5 }, (_, i) =>
      table(clock, sharedTimers, () => {
        if (i === 0) throw new Error('listener bug')
      }),
    )
    for (const { timers } of tables) timers.set('heartbeat', 10)
    expect(() => clock.advance(10)).toThrow('listener bug')
    clock.advance(0)
    expect(tables.map(({ fired }) => fired.length)).toEqual([1, 1, 1, 1, 1])
    expect(clock.pending).toBe(0)
  })

  it('the wall clock set back, then another socket arms a timer, or the earliest is cancelled: no socket stalls', () => {
    const clock = createVirtualClock(10_000_000)
    const a = table(clock, sharedTimers)
    const b = table(clock, sharedTimers)
    const c = table(clock, sharedTimers)
    a.timers.set('heartbeat', 1_000)
    c.timers.set('heartbeat', 500)
    clock.advance(200)
    clock.jump(-3_600_000)
    b.timers.set('connect', 100)
    c.timers.clear('heartbeat')
    clock.advance(800)
    expect([a.fired.length, b.fired.length, c.fired.length]).toEqual([1, 1, 0])
  })

  it('the wall clock stepped forward: a timer of one socket firing does not fire another socket’s early', () => {
    const clock = createVirtualClock(10_000_000)
    const a = table(clock, sharedTimers)
    const b = table(clock, sharedTimers)
    a.timers.set('heartbeat', 100)
    b.timers.set('connect', 10_000)
    clock.jump(60_000)
    clock.advance(100)
    expect([a.fired.length, b.fired.length]).toEqual([1, 0])
    clock.advance(9_900)
    expect(b.fired.map((f) => f.slot)).toEqual(['connect'])
  })

  it('one socket clearing another’s timer in the same turn: the other does not fire', () => {
    const clock = createVirtualClock()
    const b = table(clock, sharedTimers)
    const a = table(clock, sharedTimers, () => b.timers.clear('heartbeat'))
    a.timers.set('heartbeat', 10)
    b.timers.set('heartbeat', 10)
    clock.advance(10)
    expect(a.fired.length + b.fired.length).toBe(1)
  })

  it('property: whatever is armed, re-armed and cleared, every armed slot fires once, at its last due time, in time order', () => {
    const slots: TimerSlot[] = ['stable', 'heartbeat', 'idle', 'lifetime']
    const op = fc.record({
      socket: fc.nat({ max: 19 }),
      slot: fc.constantFrom(...slots),
      clear: fc.boolean(),
      ms: fc.nat({ max: 5_000 }),
    })
    fc.assert(
      fc.property(fc.array(op, { maxLength: 200 }), (ops) => {
        const clock = createVirtualClock()
        const order: Fired[] = []
        const tables = Array.from({ length: 20 }, () => table(clock, sharedTimers, (f) => order.push(f)))
        const expected = new Map<string, number>()
        for (const { socket, slot, clear, ms } of ops) {
          if (clear) {
            tables[socket]!.timers.clear(slot)
            expected.delete(`${socket}:${slot}`)
          } else {
            tables[socket]!.timers.set(slot, ms)
            expected.set(`${socket}:${slot}`, ms)
          }
        }
        clock.advance(10_000)
        const got = new Map<string, number>()
        tables.forEach(({ fired }, i) => fired.forEach((f) => got.set(`${i}:${f.slot}`, f.at)))
        expect(got).toEqual(expected)
        expect(order.map((f) => f.at)).toEqual(order.map((f) => f.at).sort((x, y) => x - y))
        expect(order.every((f) => f.late === 0)).toBe(true)
        expect(clock.pending).toBe(0)
      }),
      { numRuns: 200 },
    )
  })
})
