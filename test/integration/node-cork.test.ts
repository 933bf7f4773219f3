/**
 * The Node adapter's corkTurn(): what a socket writes until the end of the turn reaches the TCP
 * socket in one write (a session writes a frame per send(); a loop of sends cost a system call
 * each), in order, nothing lost. A real `ws` server on 127.0.0.1.
 */
import { afterAll, describe, expect, it } from 'vitest'
import { nodeDefaults } from '../../src/adapters/node.js'
import type { WebSocketLike } from '../../src/ports.js'
import { closeAllServers, startWsServer } from '../support/servers.js'
import { waitFor } from '../support/wait.js'

afterAll(closeAllServers)

/** An open adapter socket and a count of the writes its TCP socket makes (one per system call it asks for). */
async function open(url: string): Promise<{ ws: WebSocketLike; writes: () => number }> {
  const ws = new nodeDefaults.WebSocket!(url)
  await new Promise<void>((resolve, reject) => {
    ws.onopen = () => resolve()
    ws.onerror = (event) => reject(new Error(String(event?.message)))
  })
  const tcp = (ws as unknown as { _socket: Record<'_write' | '_writev', (...args: unknown[]) => unknown> })._socket
  let writes = 0
  for (const method of ['_write', '_writev'] as const) {
    const original = tcp[method]!
    tcp[method] = function (this: unknown, ...args: unknown[]) {
      writes++
      return original.apply(this, args)
    }
  }
  return { ws, writes: () => writes }
}

describe('Node adapter: corkTurn()', () => {
  it("a turn's frames leave in one write, in order; without it, one write each", async () => {
    const server = await startWsServer({ onMessage: () => {} })
    const corked = await open(server.url)
    corked.ws.corkTurn!()
    for (let i = 0; i < 5; i++) corked.ws.send(Uint8Array.of(i))
    // a second call in the same turn changes nothing
    corked.ws.corkTurn!()
    corked.ws.send(Uint8Array.of(5))
    expect(corked.writes()).toBe(0)
    await waitFor(() => server.received.length === 6, 5_000, 'the six corked frames')
    expect(corked.writes()).toBe(1)
    expect(server.received.map((b) => (b as Buffer)[0])).toEqual([0, 1, 2, 3, 4, 5])

    const plain = await open(server.url)
    for (let i = 0; i < 5; i++) plain.ws.send(Uint8Array.of(i))
    await waitFor(() => server.received.length === 11, 5_000, 'the five frames written as they came')
    expect(plain.writes()).toBe(5)
    corked.ws.close()
    plain.ws.close()
  })

  it('a turn past 64 KiB hands what it holds to the kernel during the turn (the peer reads while the rest is masked), in order', async () => {
    const server = await startWsServer({ onMessage: () => {} })
    const { ws, writes } = await open(server.url)
    const frames = Array.from({ length: 40 }, (_, i) => new Uint8Array(4096).fill(i))
    for (const frame of frames) {
      ws.corkTurn!()
      ws.send(frame)
    }
    // 40 frames of 4 KiB: flushed at 64 KiB, not one write each, not held to the end of the turn
    const during = writes()
    expect(during).toBeGreaterThanOrEqual(2)
    expect(during).toBeLessThanOrEqual(3)
    await waitFor(() => server.received.length === 40, 5_000, 'the forty frames')
    expect(server.received.map((b) => (b as Buffer)[0])).toEqual(frames.map((_, i) => i))
    expect(server.received.every((b) => (b as Buffer).length === 4096)).toBe(true)
    ws.close()
  })
})
