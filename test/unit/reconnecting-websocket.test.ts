/** The drop-in class: WHATWG interface, real events, peers' option names. */
import { afterEach, describe, expect, it, vi } from 'vitest'
import { createSocket, ReconnectingWebSocket } from '../../src/index.core.js'
import { createFakeServer, createVirtualClock } from '../../src/index.testing.js'

function setup(options: Record<string, unknown> = {}, protocols?: string[]) {
  const clock = createVirtualClock()
  const server = createFakeServer({ clock })
  const ws = new ReconnectingWebSocket('ws://example.test/', protocols, {
    WebSocket: server.WebSocket,
    timer: clock,
    random: () => 0.5,
    heartbeat: false,
    ...options,
  })
  clock.advance(0)
  return { ws, clock, server }
}

afterEach(() => vi.restoreAllMocks())

describe('ReconnectingWebSocket', () => {
  it('has the WHATWG constants on the class and on instances', () => {
    const { ws } = setup()
    expect([ReconnectingWebSocket.CONNECTING, ReconnectingWebSocket.OPEN, ReconnectingWebSocket.CLOSING, ReconnectingWebSocket.CLOSED]).toEqual([0, 1, 2, 3])
    expect([ws.CONNECTING, ws.OPEN, ws.CLOSING, ws.CLOSED]).toEqual([0, 1, 2, 3])
    expect(ws).toBeInstanceOf(EventTarget)
  })

  it('readyState follows the connection: CONNECTING between attempts, OPEN, CLOSING, CLOSED', () => {
    const { ws, server, clock } = setup()
    expect(ws.readyState).toBe(0)
    server.accept()
    expect(ws.readyState).toBe(1)
    server.drop()
    expect(ws.readyState).toBe(0)
    clock.advance(5_000)
    server.accept()
    ws.close()
    expect(ws.readyState).toBe(2)
    clock.advance(0)
    expect(ws.readyState).toBe(3)
  })

  it('fires onX handlers and listeners with real Event/MessageEvent objects and the true close code', () => {
    const { ws, server } = setup({}, ['chat'])
    const seen: string[] = []
    ws.onopen = (e: Event) => seen.push(`onopen ${e instanceof Event}`)
    ws.addEventListener('open', () => seen.push('listener open'))
    ws.onmessage = (e: MessageEvent) => seen.push(`onmessage ${e.data} ${e instanceof MessageEvent}`)
    ws.onclose = (e: { code: number; wasClean: boolean; type: string }) => seen.push(`onclose ${e.type} ${e.code} ${e.wasClean}`)
    ws.onerror = (e: { error: { code: string } }) => seen.push(`onerror ${e.error.code}`)
    server.accept('chat')
    expect(ws.protocol).toBe('chat')
    server.send('hi')
    server.close(1011, 'x')
    expect(seen).toEqual(['onopen true', 'listener open', 'onmessage hi true', 'onclose close 1011 true'])
    const removed = vi.fn()
    ws.addEventListener('message', removed)
    ws.removeEventListener('message', removed)
    expect(ws.dispatchEvent(new Event('custom'))).toBe(true)
  })

  it("binaryType: the drop-in's default is 'blob' (the peers' and browsers'); createSocket keeps its own 'arraybuffer'", () => {
    const { ws, server } = setup()
    expect(ws.binaryType).toBe('blob')
    expect(server.last.binaryType).toBe('blob')
    ws.close()
    const clock = createVirtualClock()
    const plain = createFakeServer({ clock })
    const socket = createSocket({ url: 'ws://example.test/', WebSocket: plain.WebSocket, timer: clock, random: () => 0.5, heartbeat: false })
    clock.advance(0)
    expect(socket.binaryType).toBe('arraybuffer')
    expect(plain.last.binaryType).toBe('arraybuffer')
    socket.close()
  })

  it('binaryType is kept across reconnects; send() queues while not open; bufferedAmount counts the queue', () => {
    const { ws, server, clock } = setup()
    ws.binaryType = 'arraybuffer'
    ws.send('abc')
    expect(ws.bufferedAmount).toBe(3)
    server.accept()
    expect(server.received).toEqual(['abc'])
    server.drop()
    clock.advance(5_000)
    expect(server.last.binaryType).toBe('arraybuffer')
  })

  it('maps reconnecting-websocket/partysocket option names onto ours, with a one-time note', () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {})
    const { ws, server, clock } = setup({
      minReconnectionDelay: 200,
      maxReconnectionDelay: 800,
      reconnectionDelayGrowFactor: 3,
      minUptime: 100,
      connectionTimeout: 700,
      maxRetries: 2,
      maxEnqueuedMessages: 1,
      backoff: { jitter: 'none' },
    })
    const delays: number[] = []
    ws.socket.on('reconnecting', ({ delay }) => delays.push(delay))
    server.refuse()
    clock.advance(200)
    clock.advance(700) // connectionTimeout
    clock.advance(600)
    server.refuse()
    expect(delays).toEqual([200, 600])
    expect(ws.state).toBe('closed') // maxRetries 2
    const drops: string[] = []
    ws.addEventListener('drop', (e) => drops.push(`${e.data} ${e.reason}`))
    expect(ws.send('a')).toBe(false) // held for reconnect(), as the peers hold it
    expect(ws.send('b')).toBe(false) // maxEnqueuedMessages 1
    expect(drops).toEqual(['b overflow'])
    expect(ws.drainQueuedMessages()).toEqual(['a'])
    expect(warn.mock.calls.map((c) => String(c[0]))).toEqual([
      'lifeline-ws: minReconnectionDelay is used as backoff.initialDelay; every delay is jittered (±50 % by default, backoff.jitter), not only the first',
      'lifeline-ws: maxReconnectionDelay is used as backoff.maxDelay; at the cap delays stay spread over [max/2, max)',
    ])
    setup({ minReconnectionDelay: 100 })
    expect(warn).toHaveBeenCalledTimes(2) // once per process
  })

  it('startClosed: stays idle (CLOSED) until reconnect()', () => {
    vi.spyOn(console, 'warn').mockImplementation(() => {})
    const { ws, server } = setup({ startClosed: true })
    expect(ws.readyState).toBe(3)
    expect(server.sockets).toHaveLength(0)
    ws.reconnect()
    expect(ws.readyState).toBe(0)
  })

  it('exposes the lifeline extras', () => {
    const { ws, server } = setup()
    server.accept()
    expect(ws.state).toBe('open')
    expect(ws.stats().opens).toBe(1)
    ws.reconnect()
    expect(ws.state).toBe('connecting')
    expect(ws.history()).toMatchObject([{ cause: 'reconnect', attempts: 1 }])
  })

  it('keeps historySize and signal, the options lifeline-ws/monitor and closeOn() carry out for each socket underneath', async () => {
    const controller = new AbortController()
    const { ws, server, clock } = setup({ historySize: 1, signal: controller.signal })
    for (const code of [4000, 4001]) {
      server.accept()
      server.close(code)
      clock.advance(5_000)
    }
    expect(ws.history().map((d) => d.code)).toEqual([4001])
    server.accept()
    controller.abort()
    expect(ws.state).toBe('closed')
    expect(server.last.closedBy).toEqual({ code: 1000, reason: 'aborted' })
    // a reconnect() after close() makes a fresh socket: the aborted signal closes it too, with fresh stats
    ws.reconnect()
    await Promise.resolve()
    expect(ws.state).toBe('closed')
    expect(ws.stats().opens).toBe(0)
    expect(() => setup({ signal: {} })).toThrow(new TypeError('signal must be an AbortSignal, got object'))
    expect(() => setup({ historySize: -1 })).toThrow(new RangeError('historySize must be a whole number >= 0, got number -1'))
  })

  it('a peer callback option that is not a function is a TypeError naming it (it was ignored, or failed only at the first close)', () => {
    expect(() => setup({ shouldReconnectOnClose: 5 })).toThrow(new TypeError('shouldReconnectOnClose must be a function, got number 5'))
    expect(() => setup({ debug: true, debugLogger: 'console' })).toThrow(new TypeError('debugLogger must be a function, got string "console"'))
    expect(() => setup({ shouldReconnectOnClose: undefined, debugLogger: undefined })).not.toThrow()
  })
})
