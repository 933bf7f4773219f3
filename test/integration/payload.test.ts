/** Large messages through a real `ws` echo server on 127.0.0.1, byte for byte. */
import { afterEach, describe, expect, it } from 'vitest'
import { cleanup, connect } from '../support/lifeline.js'
import { startWsServer } from '../support/servers.js'

afterEach(cleanup)

const MiB = 1024 * 1024

describe('large payloads over real TCP', () => {
  it('f: 16 MiB binary round trip is byte-identical', async () => {
    const server = await startWsServer()
    const { socket, rec } = connect({ url: server.url, heartbeat: false })
    await rec.waitFor('open', 2_000)

    const size = 16 * MiB
    const sent = new Uint8Array(size)
    // a pattern that is not periodic in any power of two, so an offset or a dropped chunk shows
    for (let i = 0; i < size; i++) sent[i] = (i * 31 + (i >>> 13) * 7 + 11) & 0xff
    expect(socket.send(sent)).toBe(true)

    const echoed = await rec.waitFor('message', 10_000, { what: 'the 16 MiB echo' })
    const data = echoed.args[0]
    expect(data).toBeInstanceOf(ArrayBuffer)
    expect((data as ArrayBuffer).byteLength).toBe(size)
    const got = new Uint8Array(data as ArrayBuffer)
    expect(Buffer.compare(Buffer.from(got.buffer, got.byteOffset, got.byteLength), Buffer.from(sent.buffer))).toBe(0)
    // spot checks with concrete values, for a readable failure if the comparison above fails
    expect([got[0], got[1], got[8191], got[8192], got[size - 1]]).toEqual([11, 42, (8191 * 31 + 11) & 0xff, (8192 * 31 + 7 + 11) & 0xff, sent[size - 1]])
    expect(server.received).toHaveLength(1)
    expect((server.received[0] as Buffer).length).toBe(size)
  })

  it('f: a large string (4 Mi characters, multi-byte and astral) round trips exactly', async () => {
    const server = await startWsServer()
    const { socket, rec } = connect({ url: server.url, heartbeat: false })
    await rec.waitFor('open', 2_000)

    const unit = 'ascii-é-€-𝄞-😀|' // 1, 2, 3 and 4-byte UTF-8 sequences
    const text = unit.repeat(Math.ceil((4 * MiB) / unit.length)).slice(0, 4 * MiB - 1) + '!'
    expect(text.length).toBe(4 * MiB)
    expect(socket.send(text)).toBe(true)

    const echoed = await rec.waitFor('message', 10_000, { what: 'the large string echo' })
    expect(typeof echoed.args[0]).toBe('string')
    expect(echoed.args[0].length).toBe(text.length)
    expect(echoed.args[0] === text).toBe(true)
    expect(server.received[0]).toBe(text)
  })
})
