/**
 * The delivery window (src/core/delivery.ts): which writes an answered ping or a clean close
 * confirms, what an abandoned socket reports or resends, what it holds against the queue's limits,
 * and when a confirmation ping is due. Pure: time is a number passed in.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { confirmationDue, DeliveryWindow, fitsBeside, type Written } from '../../src/core/delivery.js'

/** What a pong confirms, as entries: the window hands them to a callback one by one. */
function pong(window: DeliveryWindow, position?: number): Written[] {
  const confirmed: Written[] = []
  window.pong(position, (settle, at, data, bytes) => confirmed.push({ data, bytes, settle, at }))
  return confirmed
}

const data = (entries: readonly Written[]): unknown[] => entries.map((entry) => entry.data)

/** A window with `names` written, one byte each, at times 0, 1, 2… */
function windowWith(...names: string[]): DeliveryWindow {
  const window = new DeliveryWindow()
  names.forEach((name, i) => window.record(name, 1, undefined, i))
  return window
}

describe('DeliveryWindow: what a pong confirms', () => {
  it('an answered ping confirms every write before it and none after', () => {
    const window = windowWith('a', 'b')
    expect(window.ping(0)).toBe(2)
    window.record('c', 1, undefined, 5)
    expect(data(pong(window))).toEqual(['a', 'b'])
    expect(window.length).toBe(1)
    expect(window.bytes).toBe(1)
    expect(window.confirmed).toBe(2)
  })

  it('pongs answer pings in order: the first pong confirms up to the first ping only', () => {
    const window = windowWith('a')
    window.ping(0)
    window.record('b', 1, undefined, 1)
    window.ping(0)
    expect(data(pong(window))).toEqual(['a'])
    expect(data(pong(window))).toEqual(['b'])
    expect(window.outstanding).toBe(0)
  })

  it('a pong with no ping outstanding (unsolicited) confirms nothing', () => {
    const window = windowWith('a')
    expect(pong(window)).toEqual([])
    expect(window.length).toBe(1)
  })

  it('a ping with no write since the last confirms nothing new, and keeps the pong count in step', () => {
    const window = windowWith('a')
    window.ping(0)
    window.ping(0)
    window.record('b', 1, undefined, 2)
    expect(data(pong(window))).toEqual(['a'])
    expect(pong(window)).toEqual([]) // answers the second ping, sent before 'b'
    expect(window.length).toBe(1)
  })

  it('a pong echoing its ping position confirms up to that ping and retires the older pings (a peer may answer only the latest)', () => {
    const window = windowWith('a')
    const first = window.ping(0)
    window.record('b', 1, undefined, 1)
    const second = window.ping(0)
    window.record('c', 1, undefined, 2)
    expect([first, second]).toEqual([1, 2])
    expect(data(pong(window, second))).toEqual(['a', 'b'])
    expect(window.outstanding).toBe(0)
    expect(data(window.drain())).toEqual(['c'])
  })

  it('a pong echoing a position no outstanding ping has confirms nothing (a forged or stale echo cannot over-confirm)', () => {
    const window = windowWith('a', 'b')
    window.ping(0)
    expect(pong(window, 7)).toEqual([])
    expect(pong(window, 0)).toEqual([])
    expect(window.outstanding).toBe(1)
    expect(window.length).toBe(2)
  })

  it('awaitingSince: from the later of the oldest unanswered ping and the oldest unconfirmed write; none while no write waits on a ping', () => {
    const window = new DeliveryWindow()
    window.ping(10) // an idle heartbeat ping: no write waits on it
    expect([window.awaitingSince, window.pingedAt]).toEqual([undefined, 10])
    window.record('a', 1, undefined, 30) // written after it: waits on it from its write
    expect(window.awaitingSince).toBe(30)
    window.ping(40)
    expect(pong(window)).toEqual([]) // answers the ping at 10: 'a' now waits on the one at 40
    expect([window.awaitingSince, window.pingedAt]).toEqual([40, 40])
    expect(data(pong(window))).toEqual(['a'])
    expect([window.awaitingSince, window.pingedAt]).toEqual([undefined, undefined])
  })

  it('a clean close confirms every write on the socket, and positions start again', () => {
    const window = windowWith('a', 'b')
    window.ping(0)
    expect(data(window.closedCleanly())).toEqual(['a', 'b'])
    expect([window.length, window.bytes, window.outstanding, window.written]).toEqual([0, 0, 0, 0])
    window.record('c', 1, undefined, 9)
    expect(window.ping(0)).toBe(1)
  })

  it('keeps each message with its settle callback, bytes and write time (the latency sample runs from it)', () => {
    const settle = (): void => {}
    const window = new DeliveryWindow()
    window.record('x', 3, settle, 40)
    window.ping(0)
    expect(pong(window)).toEqual([{ data: 'x', bytes: 3, settle, at: 40 }])
  })
})

describe('DeliveryWindow: an abandoned socket', () => {
  it("'report' returns the unconfirmed messages in send order, keeps nothing, and never resends", () => {
    const window = windowWith('a', 'b', 'c')
    window.ping(0)
    window.record('d', 1, undefined, 3)
    expect(data(pong(window))).toEqual(['a', 'b', 'c'])
    window.record('e', 1, undefined, 4)
    expect(data(window.abandon('report'))).toEqual(['d', 'e'])
    expect([window.length, window.bytes, window.abandoned, window.resent]).toEqual([0, 0, 2, 0])
    expect(window.nextResend()).toBeUndefined()
  })

  it("'resend' reports nothing and hands the messages back in order for the next socket, still held", () => {
    const window = windowWith('a', 'b')
    expect(window.abandon('resend')).toEqual([])
    expect([window.length, window.bytes, window.abandoned]).toEqual([2, 2, 2])
    const first = window.nextResend()!
    window.record(first.data, first.bytes, first.settle, 10)
    expect(window.written).toBe(1) // positions started again on the new socket
    const second = window.nextResend()!
    window.record(second.data, second.bytes, second.settle, 10)
    expect(window.nextResend()).toBeUndefined()
    expect([window.length, window.bytes, window.resent]).toEqual([2, 2, 2])
    window.ping(0)
    expect(data(pong(window))).toEqual(['a', 'b'])
  })

  it("'resend' of a socket lost in the middle of a resend: what it was written goes first, then what still waited", () => {
    const window = windowWith('a', 'b', 'c')
    window.abandon('resend')
    const a = window.nextResend()!
    window.record(a.data, a.bytes, a.settle, 5)
    window.abandon('resend')
    expect(data(window.drain())).toEqual(['a', 'b', 'c'])
  })

  it('drain (closed for good) returns the unconfirmed, then those waiting to be resent, and holds nothing after', () => {
    const window = windowWith('a')
    window.abandon('resend')
    window.record('b', 1, undefined, 3) // a write on the next socket, in a test that skips the resend
    expect(data(window.drain())).toEqual(['b', 'a'])
    expect([window.length, window.bytes]).toEqual([0, 0])
  })

  it('lets go of every message as it leaves: nothing confirmed or taken to resend stays referenced', () => {
    const window = new DeliveryWindow()
    const gone: unknown[] = []
    for (let i = 0; i < 1_000; i++) {
      window.record(new Uint8Array(1), 1, undefined, i)
      // each pong answers the ping of five writes earlier: the array never empties, so slots must be cleared one by one
      if (i % 10 === 9) window.ping(0)
      if (i % 10 === 4) gone.push(...data(pong(window)))
    }
    const reachable = (): Set<unknown> => {
      const found = new Set<unknown>()
      for (const value of Object.values(window)) {
        // the ring holds the data itself, the resend list entries
        if (Array.isArray(value)) for (const slot of value) found.add(slot instanceof Uint8Array ? slot : (slot as Written | undefined)?.data)
      }
      return found
    }
    expect(gone.length).toBe(990)
    expect(reachable().size).toBeGreaterThan(5) // the test looks where the messages still held are
    expect(gone.filter((message) => reachable().has(message))).toEqual([])
    window.abandon('resend')
    const resent = window.nextResend()!.data
    expect(reachable().has(resent)).toBe(false)
    expect(reachable().size).toBeGreaterThan(5)
  })

  it('holds O(unconfirmed) slots, not O(written): 100,000 writes confirmed in bursts keep the array small', () => {
    const window = new DeliveryWindow()
    let largest = 0
    for (let i = 0; i < 100_000; i++) {
      window.record('m', 1, undefined, i)
      // the ring: 4 slots a message
      largest = Math.max(largest, (window as unknown as { held: unknown[] }).held.length / 4)
      if (i % 7 === 6) window.ping(0)
      if (i % 50 === 49) while (window.outstanding > 1) pong(window)
    }
    expect(largest).toBeLessThan(200)
  })
})

/** The ring's slots and where its oldest message is (private: the ring is what these tests are about). */
const ring = (window: DeliveryWindow): { held: unknown[]; head: number } => window as unknown as { held: unknown[]; head: number }

describe('DeliveryWindow: the ring of unconfirmed writes (wrap-around and growth)', () => {
  it('confirms in order across the wrap, and doubles while wrapped without reordering', () => {
    const window = new DeliveryWindow()
    let next = 0
    const write = (n: number): void => {
      for (let i = 0; i < n; i++) window.record(`m${next++}`, 1, undefined, 0)
    }
    const ids = (from: number, n: number): string[] => Array.from({ length: n }, (_, i) => `m${from + i}`)
    const confirm = (): unknown[] => {
      window.ping(0)
      return data(pong(window))
    }
    write(10)
    expect(ring(window).held.length).toBe(16 * 4)
    expect(confirm()).toEqual(ids(0, 10))
    write(12) // 6 slots to the ring's end, then 6 from its start
    expect(ring(window).head).toBe(40)
    expect(ring(window).held.length).toBe(16 * 4)
    expect(confirm()).toEqual(ids(10, 12))
    expect(ring(window).head).toBe(24) // wrapped
    write(16) // full, wrapped: 16 messages from slot 24 round to slot 20
    expect(ring(window).held.length).toBe(16 * 4)
    write(1) // the 17th: the ring doubles
    expect(ring(window).held.length).toBe(32 * 4)
    expect(window.length).toBe(17)
    write(20) // and again, past 32
    expect(ring(window).held.length).toBe(64 * 4)
    expect(confirm()).toEqual(ids(22, 37))
    expect([window.length, window.bytes, window.confirmed]).toEqual([0, 0, 59])
  })

  it('keeps its ring while writes go on, even when a pong confirms all; lets it go when a ping finds nothing new', () => {
    const window = new DeliveryWindow()
    const burst = (): void => {
      for (let i = 0; i < 3_000; i++) window.record('m', 1, undefined, 0)
      window.ping(0)
      pong(window)
    }
    burst()
    const long = ring(window).held
    expect(long.length).toBe(4_096 * 4)
    expect(window.length).toBe(0)
    burst() // a steady sender: the ring is reused, not grown again from 16
    expect(ring(window).held).toBe(long)
    window.ping(0) // an idle link: the heartbeat's ping covers no write
    pong(window)
    expect(ring(window).held.length).toBe(0)
    burst()
    window.abandon('report') // a new socket starts with a small ring too
    expect(ring(window).held.length).toBe(0)
  })

  it('every message leaves exactly once, in send order, over random bursts, pings and pongs', () => {
    const step = fc.oneof(
      fc.record({ k: fc.constant('write' as const), n: fc.integer({ min: 1, max: 70 }) }),
      fc.record({ k: fc.constant('ping' as const) }),
      fc.record({ k: fc.constant('pong' as const), echo: fc.boolean() }),
      fc.record({ k: fc.constant('count' as const) }),
    )
    fc.assert(
      fc.property(fc.array(step, { maxLength: 80 }), fc.constantFrom('report' as const, 'resend' as const), (steps, delivery) => {
        const window = new DeliveryWindow()
        const left: unknown[] = []
        const pings: number[] = []
        let next = 0
        for (const s of steps) {
          if (s.k === 'write') for (let i = 0; i < s.n; i++) window.record(`m${next++}`, NaN, undefined, 0)
          else if (s.k === 'ping') pings.push(window.ping(0))
          else if (s.k === 'count') {
            // the strings held are counted now, wherever they sit in the ring
            let bytes = 0
            for (let i = left.length; i < next; i++) bytes += `m${i}`.length
            expect(window.bytes).toBe(bytes)
          } else {
            // an echo of the latest ping (a peer may answer only that one), or the oldest answered
            const position = s.echo ? pings.at(-1) : undefined
            if (s.echo) pings.length = 0
            else pings.shift()
            left.push(...data(pong(window, position)))
          }
          const { held } = ring(window)
          expect(held.length & (held.length - 1)).toBe(0) // a power of two (or empty)
          expect(held.length / 4).toBeGreaterThanOrEqual(next - left.length)
        }
        const rest = delivery === 'report' ? window.abandon('report') : (window.abandon('resend'), window.drain())
        left.push(...data(rest))
        expect(left).toEqual(Array.from({ length: next }, (_, i) => `m${i}`))
        expect([window.length, window.bytes]).toEqual([0, 0])
      }),
    )
  })
})

describe('shared limits: unconfirmed messages count against the queue', () => {
  const limits = { maxMessages: 3, maxBytes: 10 }

  it('counts messages and bytes of both together', () => {
    const window = new DeliveryWindow()
    window.record('abcd', 4, undefined, 0)
    expect(fitsBeside(limits, { length: 1, bytes: 4 }, window, 2)).toBe(true)
    expect(fitsBeside(limits, { length: 1, bytes: 4 }, window, 3)).toBe(false)
    window.record('e', 1, undefined, 0)
    expect(fitsBeside(limits, { length: 1, bytes: 0 }, window, 0)).toBe(false)
  })

  it('bytes waiting to be resent still count; reported ones no longer do', () => {
    const resend = windowWith('a', 'b')
    resend.abandon('resend')
    expect(fitsBeside(limits, { length: 0, bytes: 0 }, resend, 1)).toBe(true)
    expect(fitsBeside({ maxMessages: 2, maxBytes: 10 }, { length: 0, bytes: 0 }, resend, 1)).toBe(false)
    const report = windowWith('a', 'b')
    report.abandon('report')
    expect(fitsBeside({ maxMessages: 2, maxBytes: 2 }, { length: 0, bytes: 0 }, report, 2)).toBe(true)
  })
})

describe('strings written without counting their size', () => {
  // UTF-16 units → UTF-8 bytes: 'a' 1 → 1, 'é' 1 → 2, '€' 1 → 3, '😀' 2 → 4
  const mixed = 'aé€😀'

  it('counts them when the bytes held are read, exactly; at most 3 bytes a UTF-16 unit until then', () => {
    const window = new DeliveryWindow()
    window.record(mixed, NaN, undefined, 0)
    window.record('bc', 2, undefined, 1)
    expect(window.bytesAtMost).toBe(5 * 3 + 2)
    expect(window.bytes).toBe(10 + 2)
    expect(window.bytesAtMost).toBe(12)
  })

  it('what a pong confirms leaves the counts whether it was counted or not', () => {
    const window = new DeliveryWindow()
    window.record(mixed, NaN, undefined, 0)
    window.record('bc', 2, undefined, 1)
    window.ping(2)
    window.record('€€', NaN, undefined, 3)
    expect(pong(window).map((entry) => entry.bytes)).toEqual([10, 2])
    expect([window.length, window.bytesAtMost, window.bytes]).toEqual([1, 6, 6])
  })

  it('an abandoned socket hands them over with their bytes counted', () => {
    for (const delivery of ['report', 'resend'] as const) {
      const window = new DeliveryWindow()
      window.record(mixed, NaN, undefined, 0)
      window.record('', NaN, undefined, 1)
      const reported = window.abandon(delivery)
      if (delivery === 'report') expect([reported.map((entry) => entry.bytes), window.bytes, window.bytesAtMost]).toEqual([[10, 0], 0, 0])
      else expect([window.nextResend()!.bytes, window.nextResend()!.bytes, window.bytes, window.bytesAtMost]).toEqual([10, 0, 0, 0])
    }
  })

  it('binary data given without its size is counted at once', () => {
    const window = new DeliveryWindow()
    window.record(new Uint8Array(7), NaN, undefined, 0)
    expect([window.bytesAtMost, window.bytes]).toEqual([7, 7])
  })

  it('fitsBeside with what is held at most: a string fits uncounted only at 3 bytes a unit, beside the queue', () => {
    const limits = { maxMessages: 3, maxBytes: 20 }
    const window = new DeliveryWindow()
    window.record(mixed, NaN, undefined, 0) // 10 bytes, at most 15
    expect(fitsBeside(limits, { length: 0, bytes: 0 }, window, 3, window.bytesAtMost)).toBe(true) // 15 + 3
    expect(fitsBeside(limits, { length: 0, bytes: 3 }, window, 3, window.bytesAtMost)).toBe(false) // 3 + 15 + 3 > 20, though 3 + 10 + 1 fits
    expect(window.bytesAtMost).toBe(15) // not counted by the above
    expect(fitsBeside(limits, { length: 0, bytes: 3 }, window, 1)).toBe(true)
    expect(fitsBeside(limits, { length: 2, bytes: 0 }, window, 0, window.bytesAtMost)).toBe(false) // the message count
  })
})

describe('the confirmation ping: one per burst, none on an idle link', () => {
  it.each([
    // unpingedSince, outstanding pings, delay → due
    [undefined, 0, 10, undefined], // nothing written since the last ping: an idle link costs nothing
    [100, 0, 10, 110], // the burst's first write, plus the delay
    [100, 1, 10, undefined], // a ping is out: its answer comes first, then one ping covers the rest
    [100, 0, 0, 100],
  ])('confirmationDue(%s, %s, %s) = %s', (since, outstanding, delay, due) => {
    expect(confirmationDue(since, outstanding, delay)).toBe(due)
  })

  it('the first write of a burst starts the wait; later writes do not move it; a ping ends it', () => {
    const window = new DeliveryWindow()
    expect(window.unpingedSince).toBeUndefined()
    window.record('a', 1, undefined, 100)
    window.record('b', 1, undefined, 104)
    expect(confirmationDue(window.unpingedSince, window.outstanding, 10)).toBe(110)
    window.ping(0)
    window.record('c', 1, undefined, 111)
    expect(confirmationDue(window.unpingedSince, window.outstanding, 10)).toBeUndefined()
    pong(window)
    // what was written while the ping was out is due from its own first write: at once, if overdue
    expect(confirmationDue(window.unpingedSince, window.outstanding, 10)).toBe(121)
  })

  it('a heartbeat ping covers the writes before it like any other', () => {
    const window = windowWith('a')
    window.ping(0)
    expect(window.unpingedSince).toBeUndefined()
    expect(data(pong(window))).toEqual(['a'])
  })
})
