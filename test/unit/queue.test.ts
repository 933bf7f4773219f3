/** The outbound queue: order, bounds, overflow, ttl, and that nothing is lost silently. */
import { describe, expect, it } from 'vitest'
import { DeliveryWindow } from '../../src/core/delivery.js'
import { byteSize, OutboundQueue } from '../../src/core/queue.js'
import { harness } from '../helpers/harness.js'

describe('OutboundQueue (data structure)', () => {
  it('counts UTF-8 bytes for strings and byteLength for binary', () => {
    expect(byteSize('abc')).toBe(3)
    expect(byteSize('é')).toBe(2)
    expect(byteSize('€')).toBe(3)
    expect(byteSize('😀')).toBe(4)
    expect(byteSize(new Uint8Array(7))).toBe(7)
    expect(byteSize(new ArrayBuffer(9))).toBe(9)
    expect(byteSize(new Blob(['hello']))).toBe(5)
  })

  it('byteSize goes by brand, not by tag, and is never NaN: anything else is a TypeError', () => {
    expect(byteSize(new DataView(new ArrayBuffer(8), 2, 3))).toBe(3)
    expect(byteSize(new Float64Array(2))).toBe(16)
    expect(byteSize(new File(['abc'], 'f.txt'))).toBe(3)
    for (const forged of [{ [Symbol.toStringTag]: 'Blob', size: 3 }, { [Symbol.toStringTag]: 'ArrayBuffer' }]) {
      expect(() => byteSize(forged as never)).toThrow(
        new TypeError('byteSize(data): data must be a string, ArrayBuffer, ArrayBufferView or Blob'),
      )
    }
  })

  it('a size that is not a number is refused, even with drop-oldest (no eviction could make it fit)', () => {
    const q = new OutboundQueue({ maxMessages: 3, maxBytes: 10, overflow: 'drop-oldest', ttl: undefined })
    q.push('a', 0)
    expect(q.push('b', 0, Number.NaN)).toEqual({ accepted: false, evicted: [] })
    expect(q.drain().map((e) => e.data)).toEqual(['a'])
  })

  it('keeps its own copy of binary data: an ArrayBuffer or view reused after push() is not what is kept', () => {
    const q = new OutboundQueue({ maxMessages: 3, maxBytes: 100, overflow: 'reject', ttl: undefined })
    const buffer = new Uint8Array([1, 2, 3]).buffer
    const view = new Uint8Array([4, 5, 6, 7]).subarray(1, 3)
    q.push(buffer, 0)
    q.push(view, 0)
    new Uint8Array(buffer).fill(0)
    view.fill(0)
    const [kept, keptView] = q.drain().map((e) => e.data)
    expect(kept).toBeInstanceOf(ArrayBuffer)
    expect(Array.from(new Uint8Array(kept as ArrayBuffer))).toEqual([1, 2, 3])
    expect(Array.from(keptView as Uint8Array)).toEqual([5, 6])
  })

  it('reject: refuses the new message when full by count or by bytes', () => {
    const q = new OutboundQueue({ maxMessages: 2, maxBytes: 10, overflow: 'reject', ttl: undefined })
    expect(q.push('aaaa', 0).accepted).toBe(true)
    expect(q.push('bbbb', 0).accepted).toBe(true)
    expect(q.push('c', 0)).toEqual({ accepted: false, evicted: [] })
    q.shift()
    expect(q.push('ccccccc', 0)).toEqual({ accepted: false, evicted: [] }) // 4 + 7 > 10 bytes
    expect(q.length).toBe(1)
    expect(q.highWater).toBe(2)
  })

  it('drop-oldest: evicts from the front until the new message fits', () => {
    const q = new OutboundQueue({ maxMessages: 3, maxBytes: 10, overflow: 'drop-oldest', ttl: undefined })
    q.push('aaa', 0)
    q.push('bbb', 0)
    q.push('ccc', 0)
    expect(q.push('dddddd', 0).evicted.map((e) => e.data)).toEqual(['aaa', 'bbb'])
    expect(q.drain().map((e) => e.data)).toEqual(['ccc', 'dddddd'])
  })

  it('a message larger than maxBytes on its own is refused even with drop-oldest', () => {
    const q = new OutboundQueue({ maxMessages: 3, maxBytes: 4, overflow: 'drop-oldest', ttl: undefined })
    q.push('aa', 0)
    expect(q.push('12345', 0)).toEqual({ accepted: false, evicted: [] })
    expect(q.length).toBe(1)
  })

  it('shares its limits with what is held beside it (written, unconfirmed): counts and bytes of both', () => {
    const held = new DeliveryWindow()
    held.record('xxxx', 4, undefined, 0)
    const q = new OutboundQueue({ maxMessages: 3, maxBytes: 10, overflow: 'reject', ttl: undefined }, held)
    expect(q.push('aaaaa', 0).accepted).toBe(true)
    expect(q.push('bb', 0).accepted).toBe(false) // 4 + 5 + 2 bytes > 10
    expect(q.push('b', 0).accepted).toBe(true)
    expect(q.push('', 0).accepted).toBe(false) // 1 held + 2 queued: no room for a third message
    held.ping(0)
    held.pong(undefined, () => {})
    expect(q.push('', 0).accepted).toBe(true) // confirmed: the room is back
  })

  it('drop-oldest evicts queued messages only: when what is held alone leaves no room, it refuses and evicts nothing', () => {
    const held = new DeliveryWindow()
    held.record('xxxxxxxx', 8, undefined, 0)
    const q = new OutboundQueue({ maxMessages: 3, maxBytes: 10, overflow: 'drop-oldest', ttl: undefined }, held)
    q.push('a', 0)
    expect(q.push('bbb', 0)).toEqual({ accepted: false, evicted: [] })
    expect(q.push('bb', 0).evicted.map((e) => e.data)).toEqual(['a'])
    held.record('y', 1, undefined, 0)
    held.record('z', 1, undefined, 0)
    expect(q.push('c', 0)).toEqual({ accepted: false, evicted: [] }) // 3 held: not even an empty queue fits one
    expect(q.drain().map((e) => e.data)).toEqual(['bb'])
  })

  it('expires the prefix whose ttl has passed', () => {
    const q = new OutboundQueue({ maxMessages: 10, maxBytes: 100, overflow: 'reject', ttl: 100 })
    q.push('a', 0)
    q.push('b', 50)
    q.push('c', 120)
    expect(q.nextExpiry()).toBe(100)
    expect(q.expire(150).map((e) => e.data)).toEqual(['a', 'b'])
    expect(q.drain().map((e) => e.data)).toEqual(['c'])
  })

  it('keeps order across many pushes and shifts (compaction)', () => {
    const q = new OutboundQueue({ maxMessages: 10_000, maxBytes: 1e9, overflow: 'reject', ttl: undefined })
    const out: string[] = []
    for (let i = 0; i < 1000; i++) {
      q.push(String(i), 0)
      if (i % 3 === 0) out.push(q.shift()!.data as string)
    }
    out.push(...q.drain().map((e) => e.data as string))
    expect(out).toEqual(Array.from({ length: 1000 }, (_, i) => String(i)))
    expect(q.bytes).toBe(0)
  })
})

describe('send() through the socket', () => {
  it('queues while connecting and flushes in order on open, before open listeners send', () => {
    const h = harness()
    h.socket.on('open', () => h.socket.send('from-open-listener'))
    expect(h.socket.send('1')).toBe(true)
    expect(h.socket.send('2')).toBe(true)
    expect(h.socket.queued).toBe(2)
    h.server.accept()
    expect(h.server.received).toEqual(['1', '2', 'from-open-listener'])
    expect(h.socket.queued).toBe(0)
  })

  it('sends directly while open', () => {
    const h = harness()
    h.server.accept()
    expect(h.socket.send('now')).toBe(true)
    expect(h.server.received).toEqual(['now'])
  })

  it('queues during backoff and delivers after the reconnect, in order', () => {
    const h = harness()
    h.server.accept()
    h.socket.send('a')
    h.server.drop()
    for (const m of ['b', 'c', 'd']) h.socket.send(m)
    h.clock.advance(5_000)
    h.server.accept()
    expect(h.server.sockets[0]!.sent).toEqual(['a'])
    expect(h.server.sockets[1]!.sent).toEqual(['b', 'c', 'd'])
  })

  it('a socket that is closing (not yet closed) does not swallow sends: they wait for the next socket', () => {
    const h = harness()
    h.server.accept()
    h.server.last.readyState = 2 // the server began closing; the close event has not arrived
    expect(h.socket.send('x')).toBe(true)
    expect(h.socket.queued).toBe(1)
    h.server.last.readyState = 1
    h.server.drop()
    h.clock.advance(5_000)
    h.server.accept()
    expect(h.server.last.sent).toEqual(['x'])
  })

  it('overflow "reject": send() returns false and a drop event says why', () => {
    const h = harness({ queue: { maxMessages: 2 } })
    expect([h.socket.send('a'), h.socket.send('b'), h.socket.send('c')]).toEqual([true, true, false])
    expect(h.of('drop')).toEqual([[{ data: 'c', reason: 'overflow' }]])
  })

  it('overflow "drop-oldest": the oldest is dropped and reported', () => {
    const h = harness({ queue: { maxMessages: 2, overflow: 'drop-oldest' } })
    expect([h.socket.send('a'), h.socket.send('b'), h.socket.send('c')]).toEqual([true, true, true])
    expect(h.of('drop')).toEqual([[{ data: 'a', reason: 'overflow' }]])
    h.server.accept()
    expect(h.server.received).toEqual(['b', 'c'])
  })

  it('ttl: a message waiting longer than ttl is dropped with reason "ttl" when it expires', () => {
    const h = harness({ queue: { ttl: 1_000 } })
    h.server.refuse()
    h.socket.send('old')
    h.clock.advance(600)
    h.socket.send('new')
    h.clock.advance(399)
    expect(h.of('drop')).toEqual([])
    h.clock.advance(1)
    expect(h.of('drop')).toEqual([[{ data: 'old', reason: 'ttl' }]])
    h.clock.advance(5_000)
    expect(h.of('drop')).toEqual([[{ data: 'old', reason: 'ttl' }], [{ data: 'new', reason: 'ttl' }]])
    h.server.accept()
    expect(h.server.received).toEqual([])
    h.clock.advance(5_000) // the stable timer (resetAfter) runs out
    expect(h.clock.pending).toBe(0) // no heartbeat in the harness, and no ttl timer for an empty queue
  })

  it('queued views are copied: reusing the buffer after send() does not change what is sent', () => {
    const h = harness()
    const buffer = new Uint8Array([1, 2, 3])
    h.socket.send(buffer)
    buffer[0] = 99
    h.server.accept()
    expect(Array.from(h.server.received[0] as Uint8Array)).toEqual([1, 2, 3])
  })

  it('a socket.send() that throws is reported as an error and a drop, not lost', () => {
    const h = harness()
    h.server.accept()
    h.server.last.send = () => {
      throw new Error('kaboom')
    }
    expect(h.socket.send('x')).toBe(false)
    expect((h.of('error')[0]![0] as { code: string }).code).toBe('SEND_FAILED')
    expect(h.of('drop')).toEqual([[{ data: 'x', reason: 'error' }]])
  })

  it('accepts strings, ArrayBuffer, every ArrayBufferView and Blob; rejects anything else with a TypeError', () => {
    const h = harness()
    h.server.accept()
    const values = [
      'text',
      new ArrayBuffer(2),
      new Uint8Array(2),
      new Int32Array(1),
      new DataView(new ArrayBuffer(2)),
      Buffer.from('hi'),
      new Blob(['b']),
    ]
    for (const v of values) expect(h.socket.send(v as never)).toBe(true)
    expect(h.server.received).toHaveLength(values.length)
    expect(() => h.socket.send(42 as never)).toThrow(
      new TypeError('send(data): data must be a string, ArrayBuffer, ArrayBufferView or Blob, got number 42'),
    )
    expect(() => h.socket.send({ a: 1 } as never)).toThrow(
      new TypeError('send(data): data must be a string, ArrayBuffer, ArrayBufferView or Blob, got object'),
    )
    expect(() => h.socket.send(undefined as never)).toThrow(TypeError)
  })
})
