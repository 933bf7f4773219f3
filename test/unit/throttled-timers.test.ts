/**
 * Timers that survive throttling (issue 18): a hidden page runs chained timers about once a minute,
 * so the heartbeat timer can fire long after the ping's deadline. The deadline is checked whenever
 * anything happens (a send, inbound data, a signal), so a dead link is never written to on the
 * strength of a late timer. The virtual clock's throttle() moves time without running timers.
 */
import { describe, expect, it } from 'vitest'
import { harness } from '../helpers/harness.js'

const HB = { interval: 1_000, timeout: 1_000, mode: 'message', message: 'ping' } as const
const answerPing = (data: unknown) => (data === 'ping' ? 'pong' : undefined)

/** Open, one answered ping, then a silent link with a ping outstanding whose timer is held back. */
function pingOutstandingOnSilentLink() {
  const h = harness({ heartbeat: HB, backoff: { initialDelay: 100, maxDelay: 100, jitter: 'none' } }, { answer: answerPing })
  h.server.accept()
  h.clock.advance(1_000) // the first ping, answered
  expect(h.server.received).toEqual(['ping'])
  h.server.silence()
  h.clock.advance(1_000) // the second ping goes into the silence; its deadline is 1 000 ms away
  expect(h.server.last.swallowed).toEqual(['ping'])
  return h
}

describe('the heartbeat deadline is checked whenever anything happens', () => {
  it('a send() after the deadline, its timer throttled: the link is abandoned and the message queued, then delivered on the next socket', () => {
    const h = pingOutstandingOnSilentLink()
    h.clock.throttle(30_000) // the timer is due at +1 000 ms and does not run
    expect(h.socket.state).toBe('open')
    expect(h.socket.send('after the deadline')).toBe(true)
    expect(h.socket.state).toBe('backoff')
    expect(h.server.sockets[0]!.swallowed).toEqual(['ping']) // never written into the dead link
    expect(h.socket.queued).toBe(1)
    expect(h.of('state').at(-1)).toEqual(['backoff', 'open', 'heartbeat timeout', 'heartbeat-timeout'])
    expect(h.of('close')).toEqual([[{ code: 4000, reason: 'heartbeat timeout', wasClean: false }]])
    const [[error]] = h.of('error') as [[Error & { code: string }]]
    expect(error.code).toBe('HEARTBEAT_TIMEOUT')
    // the late timer, when it runs, finds nothing left to judge
    h.clock.advance(100)
    h.server.accept()
    expect(h.server.sockets[1]!.sent).toEqual(['after the deadline'])
    expect(h.of('drop')).toEqual([])
    expect(h.of('close')).toHaveLength(1)
  })

  it('a send() before the deadline, its timer throttled too, writes to the socket as usual', () => {
    const h = pingOutstandingOnSilentLink()
    h.clock.throttle(999)
    expect(h.socket.send('in time')).toBe(true)
    expect(h.socket.state).toBe('open')
    expect(h.server.last.swallowed).toEqual(['ping', 'in time'])
  })

  it('a send() reads the clock once a turn: a later one in the same turn is written, the first of the next turn abandons the link', async () => {
    const h = pingOutstandingOnSilentLink()
    expect(h.socket.send('in time')).toBe(true) // reads the clock: the deadline is 1 000 ms ahead
    h.clock.throttle(30_000) // within this turn nothing from the network is read, and no timer runs
    expect(h.socket.send('same turn')).toBe(true)
    expect(h.socket.state).toBe('open')
    expect(h.server.last.swallowed).toEqual(['ping', 'in time', 'same turn'])
    await Promise.resolve() // the turn ends
    expect(h.socket.send('next turn')).toBe(true)
    expect(h.socket.state).toBe('backoff')
    expect(h.server.sockets[0]!.swallowed).toEqual(['ping', 'in time', 'same turn'])
    expect(h.of('state').at(-1)).toEqual(['backoff', 'open', 'heartbeat timeout', 'heartbeat-timeout'])
    expect(h.socket.queued).toBe(1)
  })

  it('data arriving after the deadline proves the link: no abandon, and a later send() is written', () => {
    const h = harness({ heartbeat: HB }, { answer: () => undefined }) // a server that never answers pings
    h.server.accept()
    h.clock.advance(1_000) // a ping, unanswered
    h.clock.throttle(5_000)
    h.server.send('news')
    expect(h.of('message')).toEqual([['news']])
    h.clock.throttle(5_000)
    expect(h.socket.send('reply')).toBe(true)
    expect(h.socket.state).toBe('open')
    expect(h.server.last.sent).toEqual(['ping', 'reply'])
  })

  it("'visible' after the deadline abandons the link at once, and the retry follows", () => {
    const h = pingOutstandingOnSilentLink()
    h.clock.throttle(60_000)
    h.socket.signal('visible')
    expect(h.of('state').map(([next, , , cause]) => [next, cause])).toEqual([
      ['connecting', 'start'],
      ['open', 'open'],
      ['backoff', 'heartbeat-timeout'],
    ])
    h.clock.advance(1_000)
    expect(h.socket.state).toBe('connecting')
  })
})
