/**
 * Migrating from reconnecting-websocket 4.4: change the import, keep the code. Each behaviour a
 * migrating program relies on (README of reconnecting-websocket, and the WHATWG WebSocket it
 * follows) is checked against reconnecting-websocket itself and against lifeline-ws's drop-in, on
 * real `ws` servers on 127.0.0.1. Where lifeline-ws differs on purpose, the test says so.
 */
import RWS from 'reconnecting-websocket'
import { afterEach, describe, expect, expectTypeOf, it, vi } from 'vitest'
import { ReconnectingWebSocket, type ReconnectingWebSocketDropEvent, type ReconnectingWebSocketErrorEvent } from '../../src/index.node.js'
import { ReconnectingWebSocket as CoreReconnectingWebSocket } from '../../src/index.core.js'
import { createFakeServer, createVirtualClock } from '../../src/index.testing.js'
import { closeAllServers, refusedPort, startClosingServer, startSilentServer, startWsServer } from '../support/servers.js'
import { closeAll, events, FAST, lifeline, peer, until } from './peers.js'

afterEach(async () => {
  await closeAll()
  await closeAllServers()
  vi.restoreAllMocks()
})

describe.each([peer('reconnecting-websocket', RWS as never), lifeline])('$name', ({ name, make }) => {
  it('readyState is CONNECTING right after new, OPEN once open, CLOSED inside onclose after close()', async () => {
    const server = await startWsServer()
    const ws = make(server.url, undefined, FAST)
    expect(ws.readyState).toBe(0)
    const log = events(ws)
    await until(() => ws.readyState === 1, 'open')
    let inside: number | undefined
    ws.onclose = () => (inside = ws.readyState)
    ws.close()
    expect(ws.readyState).toBe(2) // CLOSING until the server answers (WHATWG, reconnecting-websocket)
    await until(() => inside !== undefined, 'the close event')
    expect(inside).toBe(3)
    expect(log.map((e) => e.type)).toEqual(['open', 'close'])
  })

  it("binaryType is 'blob' by default, so binary event.data is a Blob, as with ws underneath the peer", async () => {
    const server = await startWsServer()
    const ws = make(server.url, undefined, FAST)
    expect(ws.binaryType).toBe('blob')
    const got: unknown[] = []
    ws.onmessage = (event) => got.push(event.data)
    await until(() => ws.readyState === 1, 'open')
    ws.send(new Uint8Array([1, 2, 3]))
    ws.send('text')
    await until(() => got.length === 2, 'two echoes')
    expect(got[0]).toBeInstanceOf(Blob)
    expect(new Uint8Array(await (got[0] as Blob).arrayBuffer())).toEqual(new Uint8Array([1, 2, 3]))
    expect(got[1]).toBe('text')
  })

  it('reconnect(code, reason) closes the open socket with them and connects again; retryCount resets', async () => {
    const closes: { code: number; reason: string }[] = []
    const server = await startWsServer({ onConnection: (c) => c.on('close', (code, reason) => closes.push({ code, reason: String(reason) })) })
    const ws = make(server.url, undefined, FAST)
    await until(() => ws.readyState === 1, 'open')
    ws.reconnect(4001, 'switching rooms')
    await until(() => closes.length === 1 && server.connectionCount === 2 && ws.readyState === 1, 'the second connection')
    expect(closes).toEqual([{ code: 4001, reason: 'switching rooms' }])
    expect(ws.retryCount).toBe(0)
  })

  it('reconnect() after close() opens again', async () => {
    const server = await startWsServer()
    const ws = make(server.url, undefined, FAST)
    await until(() => ws.readyState === 1, 'open')
    ws.close()
    await until(() => ws.readyState === 3, 'closed')
    ws.reconnect()
    await until(() => server.connectionCount === 2 && ws.readyState === 1, 'open again')
  })

  it('reconnect() right after close(), before the server answered: the close is reported, then it opens again', async () => {
    const server = await startWsServer()
    const ws = make(server.url, undefined, FAST)
    await until(() => ws.readyState === 1, 'open')
    const log = events(ws)
    ws.close()
    ws.reconnect()
    await until(() => log.some((e) => e.type === 'open'), 'open again')
    expect(log.map((e) => `${e.type}${e.type === 'close' ? ` ${e.event.code}` : ''}`)).toEqual(['close 1000', 'open'])
  })

  it('retryCount: 0 after new, 1, 2, 3 inside the close handlers of refused attempts, 0 again minUptime after an open', async () => {
    const server = await startWsServer()
    await server.stop() // the port now refuses
    const ws = make(server.url, undefined, { ...FAST, minUptime: 50 })
    expect(ws.retryCount).toBe(0)
    const counts: number[] = []
    ws.onclose = () => counts.push(ws.retryCount)
    await until(() => counts.length >= 3, 'three refused attempts')
    expect(counts.slice(0, 3)).toEqual([1, 2, 3])
    await server.start()
    await until(() => ws.readyState === 1, 'open once the server is back')
    await until(() => ws.retryCount === 0, 'the count reset once the connection lasted minUptime')
  })

  it("a connect timeout is an error event whose message is 'TIMEOUT'", async () => {
    const silent = await startSilentServer()
    const ws = make(silent.url, undefined, { ...FAST, connectionTimeout: 100 })
    const messages: string[] = []
    ws.onerror = (event) => messages.push(event.message)
    await until(() => messages.length > 0, 'an error event')
    expect(messages[0]).toBe('TIMEOUT')
  })

  it('every server close is retried, 1008 included', async () => {
    const server = await startClosingServer(1008, 'policy')
    const ws = make(server.url, undefined, FAST)
    const codes: number[] = []
    ws.onclose = (event) => codes.push(event.code)
    await until(() => server.connectionCount >= 3, 'three connections')
    expect(codes.slice(0, 2)).toEqual([1008, 1008])
  })

  it('url is the URL as given, token and all; extensions is what the server negotiated', async () => {
    const server = await startWsServer({ wsOptions: { perMessageDeflate: true } })
    const url = `${server.url}?token=secret`
    const ws = make(url, undefined, FAST)
    await until(() => ws.readyState === 1, 'open')
    expect(ws.url).toBe(url)
    expect(ws.extensions).toBe('permessage-deflate')
  })

  it('the onX handlers get an event whose target is set: onopen, onmessage, onclose, onerror', async () => {
    const server = await startWsServer({ onConnection: (c) => (c.send('hi'), c.close(4000, 'bye')) })
    const ws = make(server.url, undefined, FAST)
    const targets: Record<string, unknown> = {}
    ws.onopen = (event) => (targets.open ??= event.target)
    ws.onmessage = (event) => (targets.message ??= event.target)
    ws.onclose = (event) => (targets.close ??= event.target)
    await until(() => 'close' in targets, 'open, message and the server close')
    const refused = make(`ws://127.0.0.1:${await refusedPort()}/`, undefined, FAST)
    refused.onerror = (event) => (targets.error ??= event.target)
    await until(() => 'error' in targets, 'the refused attempt')
    for (const type of ['open', 'message', 'close', 'error']) expect(targets[type], type).not.toBeNull()
    // reconnecting-websocket hands on the inner socket's events; lifeline-ws's own events target itself
    if (name === 'lifeline-ws') expect(targets).toEqual({ open: ws, message: ws, close: ws, error: refused })
  })

  it('the queue is unbounded by default: 2,000 sends before open all arrive, in order', async () => {
    const server = await startWsServer({ onMessage: () => {} })
    const ws = make(server.url, undefined, FAST)
    for (let i = 0; i < 2_000; i++) ws.send(`m${i}`)
    await server.waitForReceived(2_000, 5_000)
    expect(server.received[1_999]).toBe('m1999')
  })

  it('accepts its option values: maxReconnectionDelay below 1 s alone, minReconnectionDelay 0, debug', async () => {
    vi.spyOn(console, 'warn').mockImplementation(() => {})
    vi.spyOn(console, 'log').mockImplementation(() => {})
    vi.spyOn(console, 'debug').mockImplementation(() => {})
    const server = await startWsServer()
    for (const options of [{ maxReconnectionDelay: 500 }, { minReconnectionDelay: 0 }, { debug: true }, { maxReconnectionDelay: 50, minReconnectionDelay: 200 }]) {
      const ws = make(server.url, undefined, options)
      await until(() => ws.readyState === 1, `open with ${JSON.stringify(options)}`)
    }
  })
})

describe('lifeline-ws: where it is deliberately different', () => {
  it('maxReconnectionDelay below the 1 s default minimum lowers the minimum; 0 ms delays wait 10 ms (never a busy loop)', () => {
    vi.spyOn(console, 'warn').mockImplementation(() => {})
    const delaysWith = (options: Record<string, unknown>): number[] => {
      const clock = createVirtualClock()
      const server = createFakeServer({ clock })
      const ws = new CoreReconnectingWebSocket('ws://example.test/', undefined, {
        WebSocket: server.WebSocket,
        timer: clock,
        random: () => 0.5,
        heartbeat: false,
        backoff: { jitter: 'none' },
        ...options,
      })
      const delays: number[] = []
      ws.socket.on('reconnecting', ({ delay }) => delays.push(delay))
      for (let i = 0; i < 4; i++) {
        clock.advance(1_000)
        server.refuse()
      }
      ws.close()
      return delays
    }
    expect(delaysWith({ maxReconnectionDelay: 300 })).toEqual([300, 300, 300, 300])
    expect(delaysWith({ minReconnectionDelay: 0, maxReconnectionDelay: 50 })).toEqual([10, 20, 40, 50])
  })

  it("a message that cannot be delivered is a 'drop' event: over maxEnqueuedMessages, and after close()", () => {
    const ws = new ReconnectingWebSocket('ws://127.0.0.1:9/', undefined, { startClosed: true, maxEnqueuedMessages: 1 })
    const drops: string[] = []
    ws.addEventListener('drop', (event) => drops.push(`${event.data}:${event.reason}`))
    ws.send('a')
    ws.send('b')
    ws.close()
    ws.send('c')
    expect(drops).toEqual(['b:overflow', 'a:closed', 'c:closed'])
  })

  it('types its events: MessageEvent, CloseEvent, the error event, and the drop event', () => {
    const ws = new ReconnectingWebSocket('ws://127.0.0.1:9/', null, { startClosed: true })
    ws.onopen = (event) => expectTypeOf(event).toEqualTypeOf<Event>()
    ws.onmessage = (event) => {
      expectTypeOf(event).toEqualTypeOf<MessageEvent>()
      // @ts-expect-error: not a property of MessageEvent (the handler used to take `any`)
      void event.nope
    }
    ws.onclose = (event) => expectTypeOf(event.code).toEqualTypeOf<number>()
    ws.onerror = (event) => expectTypeOf(event).toEqualTypeOf<ReconnectingWebSocketErrorEvent>()
    ws.addEventListener('message', (event) => expectTypeOf(event).toEqualTypeOf<MessageEvent>())
    ws.addEventListener('close', (event) => expectTypeOf(event.wasClean).toEqualTypeOf<boolean>())
    ws.addEventListener('open', (event) => expectTypeOf(event).toEqualTypeOf<Event>())
    ws.addEventListener('error', (event) => expectTypeOf(event.message).toEqualTypeOf<string>())
    ws.addEventListener('drop', (event) => expectTypeOf(event).toEqualTypeOf<ReconnectingWebSocketDropEvent>())
    ws.addEventListener('message', (event) => {
      // @ts-expect-error: not a property of MessageEvent (listeners used to take `any`)
      void event.nope
    })
    ws.socket.on('message', (data) => expectTypeOf(data).toEqualTypeOf<string | ArrayBuffer | Blob | Uint8Array>())
    ws.close()
  })
})
