/**
 * Migrating from partysocket 1.x (`partysocket/ws`, its ReconnectingWebSocket): change the import,
 * keep the code. Each behaviour below is from partysocket's README and API docs, checked against
 * partysocket itself and against lifeline-ws's drop-in, on real `ws` servers on 127.0.0.1.
 */
import PartySocketWS from 'partysocket/ws'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { closeAllServers, startWsServer } from '../support/servers.js'
import { closeAll, events, FAST, lifeline, peer, until, type Compatible } from './peers.js'

afterEach(async () => {
  await closeAll()
  await closeAllServers()
  vi.restoreAllMocks()
})

type PartyLike = Compatible & { send(data: unknown): boolean; drainQueuedMessages(): unknown[] }

describe.each([peer('partysocket', PartySocketWS as never), lifeline])('$name', ({ name, make }) => {
  it('send() is true when written to the open socket, false when held for the next open', async () => {
    const server = await startWsServer({ onMessage: () => {} })
    const ws = make(server.url, undefined, FAST) as PartyLike
    expect(ws.send('early')).toBe(false)
    await until(() => ws.readyState === 1, 'open')
    expect(ws.send('now')).toBe(true)
    await server.waitForReceived(2, 5_000)
    expect(server.received).toEqual(['early', 'now'])
  })

  it('held messages are flushed before the open event: nothing is left to drain inside onopen', async () => {
    const server = await startWsServer({ onMessage: () => {} })
    const ws = make(server.url, undefined, FAST) as PartyLike
    ws.send('queued')
    let heldAtOpen: unknown[] | undefined
    ws.onopen = () => (heldAtOpen = ws.drainQueuedMessages())
    await until(() => heldAtOpen !== undefined, 'open')
    expect(heldAtOpen).toEqual([])
    await server.waitForReceived(1, 5_000)
    expect(server.received).toEqual(['queued'])
  })

  it('drainQueuedMessages() removes and returns what was never sent', async () => {
    const server = await startWsServer()
    const ws = make(server.url, undefined, { ...FAST, startClosed: true }) as PartyLike
    expect(ws.readyState).toBe(3) // startClosed: CLOSED until reconnect()
    ws.send('a')
    ws.send('b')
    expect(ws.drainQueuedMessages()).toEqual(['a', 'b'])
    expect(ws.drainQueuedMessages()).toEqual([])
    ws.reconnect()
    await until(() => ws.readyState === 1, 'open after reconnect()')
    expect(server.received).toEqual([])
  })

  it('reconnect() after the retries ran out opens again', async () => {
    const server = await startWsServer()
    await server.stop()
    const ws = make(server.url, undefined, { ...FAST, maxRetries: 1 })
    const log = events(ws)
    // two failed attempts (an error and a close each), then no more: CLOSED
    await until(() => log.filter((e) => e.type === 'close' || e.type === 'error').length >= 4 && ws.readyState === 3, 'the retries to run out')
    await server.start()
    ws.reconnect()
    await until(() => ws.readyState === 1, 'open after reconnect()')
  })

  it('accepts its own options: shouldReconnectOnClose, debug with debugLogger, protocols null', async () => {
    const lines: unknown[] = []
    const server = await startWsServer({ onConnection: (c) => c.close(4000, 'go away') })
    const seen: number[] = []
    const ws = make(server.url, null, {
      ...FAST,
      debug: true,
      debugLogger: (...args: unknown[]) => lines.push(args),
      shouldReconnectOnClose: (event: { code: number }) => (seen.push(event.code), false),
    })
    await until(() => seen.length === 1 && ws.readyState === 3, 'the close, not retried')
    expect(seen).toEqual([4000])
    expect(server.connectionCount).toBe(1)
    expect(lines.length).toBeGreaterThan(0)
  })

  it('close() timing: partysocket reports the close at once; lifeline-ws (as reconnecting-websocket) once the server answers', async () => {
    const server = await startWsServer()
    const ws = make(server.url, undefined, FAST)
    await until(() => ws.readyState === 1, 'open')
    const codes: number[] = []
    ws.onclose = (event) => codes.push(event.code)
    ws.close(4001, 'done')
    if (name === 'partysocket') expect(codes).toEqual([4001])
    else {
      expect(codes).toEqual([])
      expect(ws.readyState).toBe(2)
      await until(() => codes.length === 1, 'the close')
      expect(codes).toEqual([4001])
    }
    expect(ws.readyState).toBe(3)
  })
})
