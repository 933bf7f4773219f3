/** Issue 18, long outages: suspended after suspendAfter of failing to connect; online, visible, reconnect() and an open end it. */
import { describe, expect, it } from 'vitest'
import type { Policy } from '../../src/core/policy.js'
import type { Input, State } from '../../src/core/state.js'
import { transition } from '../../src/core/transition.js'
import { harness } from '../helpers/harness.js'
import { AT, POLICY, STATES } from '../helpers/policy.js'

const r = 0.5
const SUSPENDING: Policy = { ...POLICY, suspend: { after: 120_000, delay: 30_000, queue: 'keep' } }
const DROPPING: Policy = { ...POLICY, suspend: { after: 120_000, delay: 30_000, queue: 'drop' } }
const refused = (at: number): Input => ({ type: 'socket-close', id: 1, at, random: r, close: { code: 1006, reason: '', wasClean: false } })

describe('suspend: the core', () => {
  it('the first failure starts the outage clock; an open clears it', () => {
    const [down] = transition(STATES.connecting, refused(AT), SUSPENDING)
    expect(down).toMatchObject({ phase: 'backoff', downSince: AT, suspended: false })
    const [open] = transition({ ...STATES.connecting, downSince: AT, suspended: true }, { type: 'socket-open', id: 1, at: AT, random: r }, SUSPENDING)
    expect(open).toMatchObject({ downSince: 0, suspended: false })
  })

  it('a failure suspendAfter into the outage suspends: one event, suspendedDelay ±25 %, the queue kept', () => {
    const long: State = { ...STATES.connecting, downSince: AT - 120_000, attempt: 30 }
    const [next, commands] = transition(long, refused(AT), SUSPENDING)
    expect(next).toMatchObject({ phase: 'backoff', suspended: true, retryAt: AT + 30_000 })
    expect(commands).toContainEqual({ type: 'set-timer', name: 'retry', ms: 30_000 })
    expect(commands.filter((c) => c.type === 'emit').map((c) => c.type === 'emit' && c.event)).toEqual(['close', 'state', 'suspended', 'reconnecting'])
    expect(commands).toContainEqual({ type: 'emit', event: 'suspended', since: AT - 120_000 })
    expect(commands).not.toContainEqual(expect.objectContaining({ type: 'drop-queue' }))
    // the bounds of the jitter
    expect(transition(long, { ...refused(AT), random: 0 } as Input, SUSPENDING)[0].retryAt).toBe(AT + 22_500)
    expect(transition(long, { ...refused(AT), random: 0.999 } as Input, SUSPENDING)[0].retryAt).toBeCloseTo(AT + 37_485)
    // still suspended: no second event
    const [, again] = transition({ ...long, suspended: true }, refused(AT + 30_000), SUSPENDING)
    expect(again).not.toContainEqual(expect.objectContaining({ event: 'suspended' }))
    // 1 ms short: the normal backoff
    expect(transition(long, refused(AT - 1), SUSPENDING)[0].suspended).toBe(false)
    // no suspend policy (suspendAfter Infinity): never
    expect(transition(long, refused(AT), POLICY)[0].suspended).toBe(false)
  })

  it("suspendedQueue 'drop': the queue is dropped with reason 'suspended' on entry, and so is every later send while suspended", () => {
    const long: State = { ...STATES.connecting, downSince: AT - 120_000 }
    const [suspended, commands] = transition(long, refused(AT), DROPPING)
    expect(commands).toContainEqual({ type: 'drop-queue', reason: 'suspended' })
    expect(transition(suspended, { type: 'queued', at: AT, expires: Infinity }, DROPPING)[1]).toEqual([
      { type: 'clear-timer', name: 'ttl' },
      { type: 'drop-queue', reason: 'suspended' },
    ])
    expect(transition(suspended, { type: 'queued', at: AT, expires: Infinity }, SUSPENDING)[1]).toEqual([{ type: 'clear-timer', name: 'ttl' }])
  })

  it('online, visible and reconnect() end it at once; a whole suspendAfter of normal backoff follows', () => {
    const suspended: State = { ...STATES.backoff, downSince: AT - 200_000, suspended: true, retryAt: AT + 25_000 }
    for (const signal of ['online', 'visible'] as const) {
      const [next, commands] = transition(suspended, { type: 'signal', signal, at: AT, random: r }, SUSPENDING)
      expect(next).toMatchObject({ suspended: false, downSince: AT, retryAt: AT + 500 })
      expect(commands).toContainEqual({ type: 'set-timer', name: 'retry', ms: 500 })
    }
    const [next] = transition(suspended, { type: 'reconnect', at: AT }, SUSPENDING)
    expect(next).toMatchObject({ phase: 'connecting', suspended: false, downSince: AT })
    expect(transition(next, refused(AT + 1), SUSPENDING)[0]).toMatchObject({ suspended: false })
  })
})

describe('suspend: through the driver', () => {
  it('a dead service: normal retries for suspendAfter, then one every ~suspendedDelay; an open ends it', () => {
    const h = harness({ suspendAfter: 60_000, suspendedDelay: 20_000, backoff: { jitter: 'none', initialDelay: 1_000, maxDelay: 5_000 } })
    const suspended: unknown[] = []
    h.socket.on('suspended', (info) => suspended.push(info))
    const start = h.clock.now()
    while (h.clock.now() - start < 60_000) {
      h.server.refuse()
      h.clock.advance((h.log[h.log.length - 1]![1] as { delay: number }).delay)
    }
    const before = h.server.sockets.length
    h.server.refuse()
    expect(suspended).toEqual([{ since: start }])
    const delays = h.of('reconnecting').map(([info]) => (info as { delay: number }).delay)
    expect(delays[delays.length - 1]).toBe(20_000)
    h.clock.advance(19_999)
    expect(h.server.sockets).toHaveLength(before)
    h.clock.advance(1)
    expect(h.server.sockets).toHaveLength(before + 1)
    // an open ends it: the next drop is back on the normal backoff (capped at maxDelay, as the
    // attempt count resets only after resetAfter)
    h.server.accept()
    h.server.drop()
    expect((h.log[h.log.length - 1]![1] as { delay: number }).delay).toBe(5_000)
    expect(suspended).toHaveLength(1)
  })

  it("suspendedQueue 'drop': queued messages and sends while suspended are dropped with reason 'suspended'; reconnect() ends it", () => {
    const h = harness({ suspendAfter: 10_000, suspendedQueue: 'drop', backoff: { jitter: 'none', initialDelay: 1_000, maxDelay: 5_000 } })
    h.socket.send('old')
    for (let i = 0; i < 5; i++) {
      h.server.refuse()
      h.clock.advance(5_000)
    }
    expect(h.of('drop')).toEqual([[{ data: 'old', reason: 'suspended' }]])
    expect(h.socket.send('during')).toBe(true)
    expect(h.of('drop')[1]).toEqual([{ data: 'during', reason: 'suspended' }])
    h.socket.reconnect()
    h.socket.send('after')
    h.server.accept()
    expect(h.server.last.sent).toEqual(['after'])
  })
})
