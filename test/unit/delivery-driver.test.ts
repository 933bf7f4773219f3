/**
 * Issue 14 through the real driver, fake server and virtual clock: sendAsync() settles on
 * confirmation, a dead link's unconfirmed messages are reported or resent, unconfirmed messages
 * hold queue room, and the options are checked.
 */
import { describe, expect, it } from 'vitest'
import { createSocket } from '../../src/index.core.js'
import { sendAsync } from '../../src/index.promises.js'
import { createFakeServer, createVirtualClock, type VirtualClock } from '../../src/index.testing.js'
import type { WithInternals } from '../../src/runtime/internals.js'
import { harness } from '../helpers/harness.js'

const HEARTBEAT = { interval: 1_000, timeout: 500 }

/** The server pushing: `tick` every `ms` on the virtual clock, until stopped. */
function every(clock: VirtualClock, ms: number, tick: () => void): { stop(): void } {
  let handle: unknown
  const next = (): void => {
    handle = clock.setTimeout(() => {
      tick()
      next()
    }, ms)
  }
  next()
  return { stop: () => clock.clearTimeout(handle) }
}

describe('delivery through the driver', () => {
  it('sendAsync() resolves when a ping written after the message is answered, not at the write', async () => {
    const h = harness({ heartbeat: HEARTBEAT, confirmDelay: 20 }, { pingFrames: true })
    h.server.accept()
    let done = false
    const sent = sendAsync(h.socket, 'a').then(() => (done = true))
    await Promise.resolve()
    expect(h.server.received).toEqual(['a'])
    expect(done).toBe(false)
    expect(h.server.last.pings).toBe(0)
    h.clock.advance(19)
    await Promise.resolve()
    expect(done).toBe(false)
    h.clock.advance(1) // the confirmation ping, its pong echoing the write position
    expect(h.server.last.pings).toBe(1)
    await sent
    expect(h.monitor.stats()).toMatchObject({ confirmed: 1, held: { messages: 0, bytes: 0 }, confirmLatency: { last: 20, samples: 1 } })
  })

  it("one ping confirms a whole burst; a pong whose payload is no position confirms nothing", () => {
    const h = harness({ heartbeat: HEARTBEAT, confirmDelay: 20 }, { pingFrames: true })
    h.server.accept()
    const ws = h.server.last
    for (let i = 0; i < 5; i++) h.socket.send(`m${i}`)
    expect(h.monitor.stats().held.messages).toBe(5)
    // an unsolicited pong (no payload) while the burst waits: nothing confirmed
    ws.emitFrame('pong')
    expect(h.monitor.stats().confirmed).toBe(0)
    h.clock.advance(20)
    expect(ws.pings).toBe(1)
    expect(h.monitor.stats()).toMatchObject({ confirmed: 5, held: { messages: 0 } })
  })

  it("'report': a link that goes silent reports its unconfirmed messages, in send order, reason 'unconfirmed', before the next socket opens", async () => {
    const h = harness({ heartbeat: HEARTBEAT, confirmDelay: 20 }, { pingFrames: true })
    h.server.accept()
    h.server.last.silent = true
    const rejected = sendAsync(h.socket, 'lost').catch((error: unknown) => error)
    h.socket.send('also lost')
    h.clock.advance(20 + 500) // the confirmation ping goes unanswered: heartbeat timeout
    expect(h.of('drop')).toEqual([[{ data: 'lost', reason: 'unconfirmed' }], [{ data: 'also lost', reason: 'unconfirmed' }]])
    expect(await rejected).toMatchObject({ code: 'DROPPED', reason: 'unconfirmed' })
    const names = h.names()
    expect(names.indexOf('drop')).toBeLessThan(names.lastIndexOf('state'))
  })

  it("'resend': a dead link's unconfirmed messages go first on the next connection, in order, before what was queued meanwhile", async () => {
    const h = harness({ heartbeat: HEARTBEAT, confirmDelay: 20, delivery: 'resend' }, { pingFrames: true })
    h.server.accept()
    const first = sendAsync(h.socket, 'a')
    h.socket.send('b')
    h.server.drop()
    h.socket.send('c') // queued while backing off
    h.clock.advance(3_000)
    h.server.accept()
    expect(h.server.last.sent).toEqual(['a', 'b', 'c'])
    expect(h.of('drop')).toEqual([])
    h.clock.advance(20)
    await first
    expect(h.monitor.stats()).toMatchObject({ resent: 2, unconfirmed: 2, confirmed: 3, held: { messages: 0 } })
  })

  it.each(['report', 'resend'] as const)(
    "'%s': a one-way failure towards the server while it keeps pushing: the confirmation ping's answer is due timeout after it was sent, inbound data does not stand in for it",
    async (delivery) => {
      const h = harness({ heartbeat: HEARTBEAT, confirmDelay: 20, delivery }, { pingFrames: true })
      h.server.accept()
      const ws = h.server.last
      // client → server lost: pings go unanswered, writes never arrive; server → client still flows
      ws.ping = () => void ws.pings++
      const ticker = every(h.clock, 100, () => ws.deliver('tick'))
      const sent = sendAsync(h.socket, 'a').catch((error: unknown) => error)
      h.clock.advance(20) // the confirmation ping
      expect(ws.pings).toBe(1)
      h.clock.advance(499)
      expect(h.socket.state).toBe('open')
      h.clock.advance(1) // 500 ms after the ping, with data arriving all along
      ticker.stop()
      expect(h.of('error').map(([e]) => (e as { code: string }).code)).toEqual(['HEARTBEAT_TIMEOUT'])
      expect(h.of('close')[0]).toEqual([{ code: 4000, reason: 'heartbeat timeout', wasClean: false }])
      if (delivery === 'report') {
        expect(h.of('drop')).toEqual([[{ data: 'a', reason: 'unconfirmed' }]])
        expect(await sent).toMatchObject({ code: 'DROPPED', reason: 'unconfirmed' })
      } else {
        expect(h.of('drop')).toEqual([])
        h.clock.advance(3_000)
        h.server.accept()
        expect(h.server.last.sent).toEqual(['a'])
        h.clock.advance(20)
        expect(await sent).toBeUndefined()
      }
    },
  )

  it('an idle socket whose pings are answered makes no delivery window (position 0 pings, no per-heartbeat bookkeeping); its first write makes one', async () => {
    const h = harness({ heartbeat: HEARTBEAT, confirmDelay: 20 }, { pingFrames: true })
    h.server.accept()
    const ws = h.server.last
    const payloads: (string | undefined)[] = []
    const answer = ws.ping!
    ws.ping = (data) => {
      payloads.push(data)
      answer(data)
    }
    const driver = (h.socket as unknown as WithInternals)._internals()
    h.clock.advance(5_000) // five quiet intervals: five pings, each answered
    expect(payloads).toEqual(['0', '0', '0', '0', '0'])
    expect(driver.held).toBeUndefined()
    const sent = sendAsync(h.socket, 'a')
    h.clock.advance(20) // its confirmation ping, at position 1
    await sent
    expect(payloads.at(-1)).toBe('1')
    expect(driver.held).toBeDefined()
    expect(h.monitor.stats()).toMatchObject({ confirmed: 1, held: { messages: 0 } })
    expect(h.of('error')).toEqual([])
  })

  it('a ping sent while the idle one is unanswered makes the window, holding both (answers come in order)', () => {
    const h = harness({ heartbeat: HEARTBEAT, confirmDelay: 20 }, { pingFrames: true })
    h.server.accept()
    const ws = h.server.last
    ws.ping = () => void ws.pings++ // unanswered
    const driver = (h.socket as unknown as WithInternals)._internals()
    h.clock.advance(1_000) // the first ping, nothing written: no window
    expect(driver.held).toBeUndefined()
    ws.deliver('data') // data stands in for its answer
    h.clock.advance(1_000) // quiet an interval since: the second ping
    expect(ws.pings).toBe(2)
    expect(driver.held?.outstanding).toBe(2)
    ws.emitFrame('pong', '0') // the first one's answer
    expect(driver.held?.outstanding).toBe(1)
  })

  it('a heartbeat ping left unanswered while data arrives holds up a later write no longer than timeout from the write (its answer is due)', () => {
    const h = harness({ heartbeat: HEARTBEAT, confirmDelay: 20 }, { pingFrames: true })
    h.server.accept()
    const ws = h.server.last
    ws.ping = () => void ws.pings++
    h.clock.advance(1_000) // a quiet interval: the heartbeat pings (nothing written yet)
    expect(ws.pings).toBe(1)
    const ticker = every(h.clock, 100, () => ws.deliver('tick'))
    h.clock.advance(2_000) // data stands in for that ping's answer: nothing is at stake, the link stays
    expect(h.socket.state).toBe('open')
    h.socket.send('a') // waits behind that ping's answer: no ping of its own until it comes
    h.clock.advance(499)
    expect(h.of('drop')).toEqual([])
    h.clock.advance(1)
    ticker.stop()
    expect(h.of('drop')).toEqual([[{ data: 'a', reason: 'unconfirmed' }]])
    expect(h.of('error').map(([e]) => (e as { code: string }).code)).toEqual(['HEARTBEAT_TIMEOUT'])
  })

  it("a confirmation ping whose answer waits behind one large message still arriving keeps the link (issue 12's download credit), then confirms", async () => {
    const h = harness({ heartbeat: HEARTBEAT, confirmDelay: 20 }, { pingFrames: true })
    h.server.accept()
    const ws = h.server.last
    const answer = ws.ping!
    ws.ping = () => void ws.pings++ // the pong waits behind the large frame on its way in
    ws.bytesRead = 0
    const sent = sendAsync(h.socket, 'a')
    h.clock.advance(20)
    for (let step = 0; step < 6; step++) {
      ws.bytesRead += 100_000 // one large message arriving; none completes
      h.clock.advance(250)
    }
    expect(h.socket.state).toBe('open')
    ws.deliver('large') // it completes, and right behind it the pong
    ws.emitFrame('pong', '1')
    ws.ping = answer
    await sent
    expect(h.of('error')).toEqual([])
    expect(h.monitor.stats()).toMatchObject({ confirmed: 1, held: { messages: 0 } })
  })

  /**
   * Open the harness's socket and sendAsync a Blob on it whose write the socket reports only when
   * the test calls `callbacks[0]`, as `ws` does for a Blob it reads first.
   */
  function blobWrittenLater(h: ReturnType<typeof harness>) {
    h.server.accept()
    const ws = h.server.last
    const callbacks: ((error?: unknown) => void)[] = []
    Object.assign(ws, {
      sendWithCallback(data: unknown, callback: (error?: unknown) => void) {
        ws.send(data)
        callbacks.push(callback)
      },
    })
    const blob = new Blob(['b'])
    const sent = sendAsync(h.socket, blob).then(
      () => 'confirmed',
      (error: { reason?: string }) => error.reason,
    )
    return { callbacks, blob, sent }
  }

  describe("a write whose callback comes after its socket was replaced (Node ws: a Blob, and what follows one)", () => {
    /** The Blob's socket dies before `ws` reports the Blob written. */
    function withCallbacks(delivery: 'report' | 'resend') {
      const h = harness({ heartbeat: HEARTBEAT, confirmDelay: 20, delivery, backoff: { initialDelay: 100, jitter: 'none' } }, { pingFrames: true })
      const written = blobWrittenLater(h)
      h.server.drop() // the connection dies before ws reports the Blob written
      return { h, ...written }
    }

    it("'resend': it is written again on the next connection, not reported", async () => {
      const { h, callbacks, blob, sent } = withCallbacks('resend')
      callbacks[0]!() // written (to the socket that died)
      expect(h.of('drop')).toEqual([])
      h.clock.advance(100)
      h.server.accept()
      expect(h.server.last.sent).toEqual([blob])
      h.clock.advance(20)
      expect(await sent).toBe('confirmed')
      expect(h.monitor.stats()).toMatchObject({ unconfirmed: 1, resent: 1, confirmed: 1, held: { messages: 0, bytes: 0 } })
    })

    it("'resend': a callback that comes once the next connection is open writes it there at once", async () => {
      const { h, callbacks, blob, sent } = withCallbacks('resend')
      h.clock.advance(100)
      h.server.accept()
      callbacks[0]!()
      expect(h.server.last.sent).toEqual([blob])
      h.clock.advance(20)
      expect(await sent).toBe('confirmed')
    })

    it("'resend', closed for good before the callback: reported 'unconfirmed' (no next connection will come)", async () => {
      const { h, callbacks, blob, sent } = withCallbacks('resend')
      h.socket.close()
      callbacks[0]!()
      expect(h.of('drop')).toEqual([[{ data: blob, reason: 'unconfirmed' }]])
      expect(await sent).toBe('unconfirmed')
      expect(h.monitor.stats().held).toEqual({ messages: 0, bytes: 0 })
    })

    it("'report': reported 'unconfirmed' (the server may or may not have read it)", async () => {
      const { h, callbacks, blob, sent } = withCallbacks('report')
      callbacks[0]!()
      expect(h.of('drop')).toEqual([[{ data: blob, reason: 'unconfirmed' }]])
      expect(await sent).toBe('unconfirmed')
    })
  })

  it("'report': a callback that comes during a graceful close is confirmed by the clean close (ws writes the Blob before the close frame)", async () => {
    const h = harness({ heartbeat: HEARTBEAT, confirmDelay: 1_000, delivery: 'report' }, { pingFrames: true })
    const { callbacks, sent } = blobWrittenLater(h)
    h.socket.close() // graceful: both close frames go through
    callbacks[0]!() // written, before ws's close frame
    h.clock.advance(0)
    expect(h.of('drop')).toEqual([])
    expect(await sent).toBe('confirmed')
    expect(h.monitor.stats()).toMatchObject({ confirmed: 1, unconfirmed: 0, held: { messages: 0, bytes: 0 } })
  })

  it('a clean close confirms everything written, also with no ping answered', async () => {
    const h = harness({ heartbeat: HEARTBEAT, confirmDelay: 1_000 }, { pingFrames: true })
    h.server.accept()
    const sent = sendAsync(h.socket, 'x')
    h.socket.close()
    h.clock.advance(0)
    await sent
    expect(h.monitor.stats().confirmed).toBe(1)
  })

  it("unconfirmed messages hold queue room: when they fill queue.maxMessages, send() overflows ('reject')", () => {
    const h = harness({ heartbeat: HEARTBEAT, queue: { maxMessages: 2 } }, { pingFrames: true })
    h.server.accept()
    expect(h.socket.send('1')).toBe(true)
    expect(h.socket.send('2')).toBe(true)
    expect(h.socket.send('3')).toBe(false)
    expect(h.of('drop')).toEqual([[{ data: '3', reason: 'overflow' }]])
    h.clock.advance(20)
    expect(h.socket.send('4')).toBe(true)
  })

  it("no heartbeat: nothing is confirmed; sendAsync() resolves at the write and stats().delivery is 'none'", async () => {
    const h = harness({ heartbeat: false }, {})
    h.server.accept()
    await sendAsync(h.socket, 'x')
    expect(h.monitor.stats()).toMatchObject({ delivery: 'none', confirmed: 0, held: { messages: 0, bytes: 0 } })
  })

  it('app-level heartbeat: the answer confirms what was written before its ping', async () => {
    const h = harness({ heartbeat: { ...HEARTBEAT, mode: 'message', message: 'ping' }, confirmDelay: 5 }, { answer: (d) => (d === 'ping' ? 'pong' : undefined) })
    h.server.accept()
    const sent = sendAsync(h.socket, 'x')
    h.clock.advance(5)
    h.clock.advance(0)
    await sent
    expect(h.server.received).toEqual(['x', 'ping'])
  })

  it('delivery and confirmDelay are checked', () => {
    const clock = createVirtualClock(0)
    const { WebSocket } = createFakeServer({ clock })
    const make = (extra: object) => () => createSocket({ url: 'ws://x.test', WebSocket, timer: clock, random: () => 0.5, heartbeat: false, ...extra })
    expect(make({ delivery: 'maybe' })).toThrow(new TypeError('delivery must be "report" or "resend", got string "maybe"'))
    expect(make({ confirmDelay: -1 })).toThrow(new RangeError('confirmDelay must be a finite number of ms >= 0, got number -1'))
    expect(make({ confirmDelay: '5' })).toThrow(new TypeError('confirmDelay must be a number, got string "5"'))
  })
})
