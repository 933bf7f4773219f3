/**
 * The delivery window against a model of the wire, over random sequences (fast-check), in both
 * modes. The model: each socket is one ordered stream of messages and pings; the server reads a
 * prefix of it, answers the pings it has read in order (all, or only the latest), and a clean close
 * means it read everything. Sockets are abandoned with an unknown part unread. Checked:
 * - every message written ends as exactly one of confirmed or dropped ('unconfirmed'), possibly
 *   after being resent; 'report' never resends, 'resend' drops nothing until closed for good;
 * - a confirmed message was read by the server, and written before the ping whose answer
 *   confirmed it;
 * - each socket's writes are in send order (resent messages keep theirs, ahead of new ones);
 * - the window's bytes and count are exactly what the model holds, never above the limits;
 * - the confirmation ping is due `delay` after the first write no ping covers, only with no ping out.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { confirmationDue, DeliveryWindow, fitsBeside, type Delivery, type Written } from '../../src/core/delivery.js'

/** What a pong confirms, as entries: the window hands them to a callback one by one. */
function pong(window: DeliveryWindow, position?: number): Written[] {
  const confirmed: Written[] = []
  window.pong(position, (settle, at, data, bytes) => confirmed.push({ data, bytes, settle, at }))
  return confirmed
}

const LIMITS = { maxMessages: 12, maxBytes: 200 }
const DELAY = 10

type Op =
  | { k: 'write'; bytes: number }
  | { k: 'ping' }
  | { k: 'read'; n: number }
  | { k: 'pong'; how: 'oldest' | 'latest-echo' | 'latest-no-echo' | 'unsolicited' }
  | { k: 'clean' }
  | { k: 'abandon' }
  | { k: 'open'; flush: number }

const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ k: fc.constant('write' as const), bytes: fc.integer({ min: 0, max: 40 }) }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('ping' as const) }) },
  { weight: 3, arbitrary: fc.record({ k: fc.constant('read' as const), n: fc.integer({ min: 1, max: 6 }) }) },
  {
    weight: 3,
    arbitrary: fc.record({
      k: fc.constant('pong' as const),
      how: fc.constantFrom('oldest' as const, 'oldest' as const, 'latest-echo' as const, 'latest-no-echo' as const, 'unsolicited' as const),
    }),
  },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('clean' as const) }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('abandon' as const) }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('open' as const), flush: fc.integer({ min: 0, max: 5 }) }) },
)

type Item = { kind: 'message'; id: number; position: number } | { kind: 'ping'; position: number; answered: boolean }

interface Wire {
  items: Item[]
  /** Items the server has read, a prefix. */
  read: number
}

type Fate = 'confirmed' | 'dropped'

/** What a run reached, so the test can show its generator reaches every case. */
interface Reached {
  confirmed: number
  reportedAtAbandon: number
  resent: number
  resentAfterPartialFlush: number
}

function run(delivery: Delivery, ops: readonly Op[], dts: readonly number[]): Reached {
  const reached: Reached = { confirmed: 0, reportedAtAbandon: 0, resent: 0, resentAfterPartialFlush: 0 }
  const window = new DeliveryWindow()
  let now = 0
  let wire: Wire | undefined = { items: [], read: 0 }
  const wires: Wire[] = [wire]
  let nextId = 0
  const bytesOf = new Map<number, number>()
  const fates = new Map<number, Fate>()
  const resentIds = new Set<number>()
  /** When each message was last written: the latency sample runs from there. */
  const writtenAt = new Map<number, number>()
  /** The model of what the window holds: unconfirmed on the live socket, then waiting to resend. */
  let unconfirmed: number[] = []
  let waiting: number[] = []
  /** Write time of the first message no ping covers on the live socket. */
  let unpingedSince: number | undefined
  /** Positions of the pings the client has not seen answered yet (its view, which may lag the server's). */
  let clientPings: number[] = []

  const idOf = (entry: Written): number => Number(entry.data)
  const settleAll = (entries: readonly Written[], fate: Fate): void => {
    for (const entry of entries) {
      const id = idOf(entry)
      if (fates.has(id)) expect.fail(`message ${id} settled twice`)
      fates.set(id, fate)
    }
  }
  const write = (entry: { id: number; settle?: Written['settle'] }): void => {
    const live = wire!
    window.record(String(entry.id), bytesOf.get(entry.id)!, entry.settle, now)
    live.items.push({ kind: 'message', id: entry.id, position: window.written })
    unconfirmed.push(entry.id)
    writtenAt.set(entry.id, now)
    unpingedSince ??= now
  }
  /** The confirmed ones: exactly the oldest unconfirmed, read, and before the answered ping. */
  const confirm = (confirmed: readonly Written[], pingIndex: number): void => {
    const live = wire!
    const ids = confirmed.map(idOf)
    if (ids.some((id, at) => id !== unconfirmed[at])) expect(ids).toEqual(unconfirmed.slice(0, ids.length))
    for (const id of ids) {
      const at = live.items.findIndex((item) => item.kind === 'message' && item.id === id)
      if (at >= pingIndex) expect.fail(`message ${id} confirmed by a ping written before it`)
      if (at >= live.read) expect.fail(`message ${id} confirmed but never read`)
    }
    if (confirmed.some((entry) => entry.at !== writtenAt.get(idOf(entry)))) expect.fail('a latency sample not from the last write')
    unconfirmed = unconfirmed.slice(ids.length)
    settleAll(confirmed, 'confirmed')
  }
  const flushResends = (limit: number): void => {
    for (let i = 0; i < limit; i++) {
      const entry = window.nextResend()
      if (!entry) break
      expect(delivery).toBe('resend')
      const id = idOf(entry)
      expect(id).toBe(waiting[0])
      waiting = waiting.slice(1)
      resentIds.add(id)
      write({ id, settle: entry.settle })
    }
  }
  const endSocket = (): void => {
    wire = undefined
    unpingedSince = undefined
    clientPings = []
  }

  ops.forEach((step, i) => {
    now += dts[i % dts.length]!
    const live = wire
    switch (step.k) {
      case 'write': {
        if (!live) break
        // the send path: resends go first, and a message must fit beside what is held
        flushResends(Infinity)
        if (!fitsBeside(LIMITS, { length: 0, bytes: 0 }, window, step.bytes)) break
        const id = nextId++
        bytesOf.set(id, step.bytes)
        write({ id })
        break
      }
      case 'ping':
        if (!live) break
        expect(window.ping(now)).toBe(window.written)
        live.items.push({ kind: 'ping', position: window.written, answered: false })
        unpingedSince = undefined
        clientPings.push(window.written)
        break
      case 'read':
        if (live) live.read = Math.min(live.items.length, live.read + step.n)
        break
      case 'pong': {
        if (!live) break
        if (step.how === 'unsolicited') {
          // only meaningful with nothing outstanding: otherwise it is indistinguishable from an answer
          if (clientPings.length === 0) expect(pong(window)).toEqual([])
          break
        }
        const readPings = live.items.slice(0, live.read).flatMap((item, index) => (item.kind === 'ping' && !item.answered ? [{ item, index }] : []))
        if (readPings.length === 0) break
        const answer = step.how === 'oldest' ? readPings[0]! : readPings.at(-1)!
        for (const ping of readPings) if (ping.index <= answer.index) ping.item.answered = true
        const confirmed = step.how === 'latest-echo' ? pong(window, answer.item.position) : pong(window)
        // without an echo the client takes it for its oldest ping (at worst it confirms less); with
        // one, that ping and every older one are answered
        const retired = step.how === 'latest-echo' ? clientPings.indexOf(answer.item.position) + 1 : 1
        const upTo = clientPings[retired - 1]!
        clientPings = clientPings.slice(retired)
        const expected = live.items.flatMap((item) => (item.kind === 'message' && item.position <= upTo && unconfirmed.includes(item.id) ? [item.id] : []))
        if (confirmed.length !== expected.length) expect(confirmed.map(idOf)).toEqual(expected)
        confirm(confirmed, answer.index)
        break
      }
      case 'clean': {
        if (!live) break
        live.read = live.items.length
        confirm(window.closedCleanly(), live.items.length)
        expect(unconfirmed).toEqual([])
        endSocket()
        break
      }
      case 'abandon': {
        if (!live) break
        const reported = window.abandon(delivery)
        if (delivery === 'report') {
          expect(reported.map(idOf)).toEqual(unconfirmed)
          settleAll(reported, 'dropped')
          reached.reportedAtAbandon += reported.length
        } else {
          expect(reported).toEqual([])
          if (waiting.length > 0 && unconfirmed.length > 0) reached.resentAfterPartialFlush++
          waiting = [...unconfirmed, ...waiting]
        }
        unconfirmed = []
        endSocket()
        break
      }
      case 'open':
        if (live) break
        wire = { items: [], read: 0 }
        wires.push(wire)
        flushResends(step.flush)
        break
    }
    // the window holds exactly what the model holds, within the limits (checked cheaply: every step)
    const heldBytes = unconfirmed.reduce((sum, id) => sum + bytesOf.get(id)!, 0) + waiting.reduce((sum, id) => sum + bytesOf.get(id)!, 0)
    const outstanding = clientPings.length
    const due = confirmationDue(window.unpingedSince, window.outstanding, DELAY)
    const actual = [window.length, window.bytes, window.unpingedSince, window.outstanding, due]
    const expected = [unconfirmed.length + waiting.length, heldBytes, unpingedSince, outstanding, unpingedSince !== undefined && outstanding === 0 ? unpingedSince + DELAY : undefined]
    if (actual.some((value, at) => value !== expected[at])) expect(actual, `after step ${i} (${step.k})`).toEqual(expected)
    if (window.length > LIMITS.maxMessages || window.bytes > LIMITS.maxBytes) expect.fail(`over the limits after step ${i}`)
  })

  // closed for good: everything still held is reported, in send order
  const rest = window.drain()
  const restIds = rest.map(idOf)
  expect(restIds).toEqual([...unconfirmed, ...waiting])
  expect(restIds).toEqual([...restIds].sort((a, b) => a - b))
  settleAll(rest, 'dropped')
  expect([window.length, window.bytes]).toEqual([0, 0])

  // every message written has exactly one fate
  expect(fates.size).toBe(nextId)
  for (let id = 0; id < nextId; id++) expect(fates.has(id), `message ${id} has no fate`).toBe(true)
  // order within each socket: send order (a resent message goes before anything newer)
  for (const each of wires) {
    const ids = each.items.flatMap((item) => (item.kind === 'message' ? [item.id] : []))
    expect(ids).toEqual([...ids].sort((a, b) => a - b))
  }
  if (delivery === 'report') {
    expect(resentIds.size).toBe(0)
    expect(window.resent).toBe(0)
  } else {
    // 'resend' loses nothing before the end: a drop only for what was still held at drain()
    const dropped = [...fates].filter(([, fate]) => fate === 'dropped').map(([id]) => id)
    expect(dropped.sort((a, b) => a - b)).toEqual([...restIds].sort((a, b) => a - b))
  }
  expect(window.confirmed).toBe([...fates.values()].filter((fate) => fate === 'confirmed').length)
  reached.confirmed = window.confirmed
  reached.resent = window.resent
  return reached
}

describe('delivery window: properties over random writes, pings, pongs, closes and abandons', () => {
  for (const delivery of ['report', 'resend'] as const) {
    it(`'${delivery}': every message confirmed (only once read, only by a later ping), reported, or resent in order`, () => {
      const total: Reached = { confirmed: 0, reportedAtAbandon: 0, resent: 0, resentAfterPartialFlush: 0 }
      fc.assert(
        fc.property(fc.array(op, { minLength: 10, maxLength: 150, size: 'max' }), fc.array(fc.integer({ min: 0, max: 30 }), { minLength: 1, maxLength: 8 }), (ops, dts) => {
          const reached = run(delivery, ops, dts)
          for (const key of Object.keys(total) as (keyof Reached)[]) total[key] += reached[key]
        }),
        { numRuns: 400 },
      )
      // the generator reaches what the properties are about
      expect(total.confirmed).toBeGreaterThan(100)
      if (delivery === 'report') expect(total.reportedAtAbandon).toBeGreaterThan(100)
      else expect([total.resent > 100, total.resentAfterPartialFlush > 5]).toEqual([true, true])
    })
  }

  it('the model itself notices a window that confirms too much (a pong treated as answering the latest ping)', () => {
    // the mutation a wrong window would make: every pong retires all outstanding pings
    const wrong = DeliveryWindow.prototype.pong
    DeliveryWindow.prototype.pong = function (this: DeliveryWindow, position, each) {
      const pings = (this as unknown as { pings: number[] }).pings
      return wrong.call(this, position ?? pings.at(-1), each)
    }
    try {
      const ops: Op[] = [{ k: 'write', bytes: 1 }, { k: 'ping' }, { k: 'write', bytes: 1 }, { k: 'ping' }, { k: 'read', n: 2 }, { k: 'pong', how: 'oldest' }]
      expect(() => run('report', ops, [1])).toThrow(/to deeply equal|confirmed by a ping written before it|never read/)
    } finally {
      DeliveryWindow.prototype.pong = wrong
    }
  })
})
