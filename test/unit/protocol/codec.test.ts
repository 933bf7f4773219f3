/** The lifeline.v1 frame codec: round trips, the one-byte DATA header, and malformed input refused with 1002/1007. */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import * as codec from '../../../src/protocol/codec.js'

const welcome: codec.Welcome = {
  resumed: true,
  received: 2 ** 40,
  window: 1 << 20,
  maxMessage: 1 << 20,
  heartbeatInterval: 25_000,
  heartbeatTimeout: 10_000,
  resumeWindow: 120_000,
  ackDelay: 50,
  token: new Uint8Array(32).fill(7),
  protocol: 'chat.v2',
}

describe('codec', () => {
  it('a DATA frame is one byte of kind plus the payload, for text and binary', () => {
    expect(Array.from(codec.encodeData(new Uint8Array([9, 8]), true, false))).toEqual([0x01, 9, 8])
    expect(Array.from(codec.encodeData(codec.encodeText('hé'), false, true))).toEqual([0x02, 0x68, 0xc3, 0xa9])
    expect(codec.decodeFrame(Uint8Array.of(0x03, 5))).toEqual({ type: 'data', binary: true, more: true, payload: Uint8Array.of(5) })
  })

  it('a text message made as its whole DATA frame: kind 0x00 and its UTF-8, each frame its own bytes however many share a slab', () => {
    const made: Array<[string, Uint8Array]> = []
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: 'binary', maxLength: 40 }), fc.string({ minLength: 1000, maxLength: 5000 })), (text) => {
        made.push([text, codec.encodeTextFrame(text)!])
      }),
      { numRuns: 300 },
    )
    // enough bytes that frames came from several slabs; every one still holds its own text
    expect(made.reduce((sum, [, frame]) => sum + frame.length, 0)).toBeGreaterThan(3 * 65_536)
    for (const [text, frame] of made) expect(Array.from(frame)).toEqual([0x00, ...codec.encodeText(text)])
    // a text that might not fit a quarter slab is left to encodeText
    expect(codec.encodeTextFrame('x'.repeat(6000))).toBeUndefined()
  })

  it('every control frame round-trips', () => {
    fc.assert(
      fc.property(fc.maxSafeNat(), fc.maxSafeNat(), fc.uint8Array({ maxLength: 255 }), (a, b, token) => {
        expect(codec.decodeFrame(codec.encodeAck(a))).toEqual({ type: 'ack', count: a })
        expect(codec.decodeFrame(codec.encodeDrain(b))).toEqual({ type: 'drain', delay: b })
        expect(codec.decodeFrame(codec.encodeHello(a, b, token))).toEqual({ type: 'hello', received: a, window: b, token })
      }),
    )
    expect(codec.decodeFrame(codec.encodeWelcome(welcome))).toEqual({ type: 'welcome', ...welcome })
    expect(codec.decodeFrame(codec.encodePing())).toEqual({ type: 'ping' })
    expect(codec.decodeFrame(codec.encodePong())).toEqual({ type: 'pong' })
    expect(codec.decodeFrame(codec.encodeEnd())).toEqual({ type: 'end' })
  })

  it('garbage never crashes: it decodes or throws a ProtocolError with a close code', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), (bytes) => {
        try {
          codec.decodeFrame(bytes)
        } catch (error) {
          expect(error).toBeInstanceOf(codec.ProtocolError)
          expect([1002, 1007]).toContain((error as codec.ProtocolError).code)
        }
      }),
      { numRuns: 2000 },
    )
  })

  it('names what is wrong', () => {
    expect(() => codec.decodeFrame(new Uint8Array())).toThrow('malformed frame: empty frame')
    expect(() => codec.decodeFrame(Uint8Array.of(0x7f))).toThrow('malformed frame: unknown frame kind 0x7f')
    expect(() => codec.decodeFrame(Uint8Array.of(0x10))).toThrow('malformed frame: ack count is cut short')
    expect(() => codec.decodeFrame(Uint8Array.of(0x10, 1, 2))).toThrow('malformed frame: ack has 1 trailing bytes')
    expect(() => codec.decodeFrame(Uint8Array.of(0x10, ...new Array(8).fill(0xff), 1))).toThrow('malformed frame: ack count is not a varint below 2^53')
    expect(() => codec.decodeText(Uint8Array.of(0xff))).toThrow(new codec.ProtocolError(1007, 'text message is not valid UTF-8'))
  })
})
