/**
 * A server message is made once as its whole DATA frame (header byte + payload), and Outbound writes
 * that frame as it is when the message goes unchunked: one allocation per session.send(), no copy.
 */
import { describe, expect, it } from 'vitest'
import { DATA_BINARY, decodeFrame, decodeText } from '../../../src/protocol/codec.js'
import { Outbound } from '../../../src/protocol/session-state.js'
import { messageOf } from '../../../src/server/session.js'

describe('a server message as its ready DATA frame', () => {
  it('text and binary: the header byte, then the payload, which is a view of the frame (binary copied from the caller)', () => {
    const text = messageOf('héllo', 100, 'session.send(data)')
    expect(text.frame![0]).toBe(0)
    expect(decodeFrame(text.frame!)).toMatchObject({ type: 'data', binary: false, more: false })
    expect(decodeText(text.payload)).toBe('héllo')
    expect(text.payload.buffer).toBe(text.frame!.buffer)
    expect(text.payload.byteOffset).toBe(text.frame!.byteOffset + 1)

    const source = Uint8Array.of(1, 2, 3)
    const binary = messageOf(source, 100, 'session.send(data)')
    source[0] = 9
    expect(binary.frame![0]).toBe(DATA_BINARY)
    expect([...binary.payload]).toEqual([1, 2, 3])
    expect([...messageOf(source.buffer, 100, 'x').frame!]).toEqual([DATA_BINARY, 9, 2, 3])
  })

  it('goes out as that same frame, again on a resume; a message over the chunk size still goes in chunks', () => {
    const out = new Outbound()
    const small = messageOf('x'.repeat(10), 1000, 'x')
    const big = messageOf('y'.repeat(25), 1000, 'x')
    out.push(small)
    out.push(big)
    expect(out.nextFrame(1 << 20, 10)).toBe(small.frame)
    const chunks = [out.nextFrame(1 << 20, 10)!, out.nextFrame(1 << 20, 10)!, out.nextFrame(1 << 20, 10)!]
    expect(chunks.map((c) => decodeFrame(c))).toMatchObject([{ more: true }, { more: true }, { more: false }])
    expect(chunks.map((c) => decodeText(c.subarray(1))).join('')).toBe('y'.repeat(25))
    out.resume(0)
    expect(out.nextFrame(1 << 20, 100)).toBe(small.frame)
    expect(out.nextFrame(1 << 20, 100)).toBe(big.frame)
  })

  it('frames from 4 KiB (past Node\'s Buffer pool) share slabs, each frame its own bytes', () => {
    const made: Array<[string | Uint8Array, Uint8Array]> = []
    for (let i = 0; i < 200; i++) {
      const size = 4095 + ((i * 977) % 13_000)
      const data = i % 3 === 0 ? new Uint8Array(size).fill(i) : String.fromCharCode(97 + (i % 26)).repeat(size - 1) + 'é'
      made.push([data, messageOf(data, 1 << 20, 'x').frame!])
    }
    // two 5,000-byte frames in a row come from one allocation
    const [a, b] = [messageOf('a'.repeat(5_000), 1 << 20, 'x'), messageOf('b'.repeat(5_000), 1 << 20, 'x')]
    expect(a.frame!.buffer).toBe(b.frame!.buffer)
    for (const [data, frame] of made) {
      if (typeof data === 'string') expect(decodeText(frame.subarray(1))).toBe(data)
      else expect(Buffer.compare(frame.subarray(1), data)).toBe(0)
      expect(frame[0]).toBe(typeof data === 'string' ? 0 : DATA_BINARY)
    }
  })

  it('over maxMessageBytes is still a RangeError naming the size', () => {
    expect(() => messageOf('abcdef', 5, 'session.send(data)')).toThrow(new RangeError('session.send(data): 6 bytes is over maxMessageBytes (5)'))
  })
})
