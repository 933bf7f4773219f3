/**
 * A socket's timer table and its two hosts, in virtual time: `ownTimer` (one port timer per socket:
 * browsers, workers) and `sharedTimers` (one port timer per clock for every socket: Node, core).
 * Every behaviour is checked against both hosts.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { sharedTimers } from '../../src/runtime/scheduler.js'
import { ownTimer, TimerTable, type TimerHostFor, type TimerSlot } from '../../src/runtime/timers.js'
import { createVirtualClock, type VirtualClock } from '../../src/testing/clock.js'

type Fired = { slot: TimerSlot; at: number; late: number }

function table(clock: VirtualClock, host: TimerHostFor, onFire?: (fired: Fired, timers: TimerTable) => void) {
  const fired: Fired[] = []
  const timers: TimerTable = new TimerTable(host(clock), {
    timerFired(slot, late) {
      const entry = { slot, at: clock.now(), late }
      fired.push(entry)
      onFire?.(entry, timers)
    },
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
    expect(timers.armed).toBe(true)
    timers.clear('heartbeat')
    timers.clear('idle')
    expect(clock.pending).toBe(0)
    expect(timers.armed).toBe(false)
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

  it('the wall clock set back an hour: timers still fire after their own time, and later slots keep their spacing', () => {
    const clock = createVirtualClock(10_000_000)
    const { timers, fired } = table(clock, host)
    timers.set('heartbeat', 1_000)
    timers.set('idle', 1_500)
    clock.advance(200)
    clock.jump(-3_600_000)
    clock.advance(800)
    expect(fired).toEqual([{ slot: 'heartbeat', at: 10_001_000 - 3_600_000, late: 0 }])
    clock.advance(499)
    expect(fired).toHaveLength(1)
    clock.advance(1)
    expect(fired[1]).toEqual({ slot: 'idle', at: 10_001_500 - 3_600_000, late: 0 })
  })

  it('a port timer firing a little early by the wall clock (< 1 s, ordinary drift) is not a set-back: the slot waits for its time', () => {
    const clock = createVirtualClock(50_000)
    const { timers, fired } = table(clock, host)
    timers.set('heartbeat', 1_000)
    clock.jump(-300) // the port timer now fires when the wall clock says 50,700
    clock.advance(1_000)
    expect(fired).toEqual([])
    clock.advance(300)
    expect(fired).toEqual([{ slot: 'heartbeat', at: 51_000, late: 0 }])
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
