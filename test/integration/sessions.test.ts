/**
 * lifeline-ws/server end to end: a real `ws` server on 127.0.0.1 with attachSessions(), the
 * protocol test client (test/support/session-client.ts), and the fault proxy cutting links.
 */
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { WebSocket, WebSocketServer } from 'ws'
import { attachSessions, memoryStore, type Session, type SessionServer, type SessionServerOptions, type SharedSessionStore } from '../../src/index.server.js'
import { encodeAck, encodeHello, SUBPROTOCOL } from '../../src/protocol/codec.js'
import { createFaultProxy, type FaultProxy } from '../support/fault-proxy.mjs'
import { SessionClient } from '../support/session-client.js'
import { waitFor } from '../support/wait.js'

interface Served {
  wss: WebSocketServer
  sessions: SessionServer
  port: number
  url: string
  /** Every session announced, in order. */
  all: Session[]
  /** What each session's 'message' listener got, by session id. */
  got: Map<string, unknown[]>
  errors: unknown[]
}

const cleanups: Array<() => Promise<void> | void> = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

async function serve(options: SessionServerOptions = {}, wssOptions: ConstructorParameters<typeof WebSocketServer>[0] = {}): Promise<Served> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, ...wssOptions })
  await new Promise<void>((resolve) => wss.once('listening', resolve))
  const sessions = attachSessions(wss, options)
  const port = (wss.address() as AddressInfo).port
  const served: Served = { wss, sessions, port, url: `ws://127.0.0.1:${port}`, all: [], got: new Map(), errors: [] }
  sessions.on('error', (error) => served.errors.push(error))
  sessions.on('session', (session) => {
    served.all.push(session)
    const got: unknown[] = []
    served.got.set(session.id, got)
    session.on('message', (data) => void got.push(data))
  })
  cleanups.push(async () => {
    sessions.close()
    for (const ws of wss.clients) ws.terminate()
    await new Promise((resolve) => wss.close(resolve))
  })
  return served
}

function client(url: string, options?: ConstructorParameters<typeof SessionClient>[1]): SessionClient {
  const c = new SessionClient(url, options)
  cleanups.push(() => c.kill())
  return c
}

async function proxyTo(port: number): Promise<FaultProxy> {
  const proxy = createFaultProxy({ target: { port } })
  await proxy.start()
  cleanups.push(() => proxy.close())
  return proxy
}

/** A raw ws client offering lifeline.v1; resolves with its close code and reason. */
async function rawSession(url: string, frames: Array<Uint8Array | string>): Promise<{ code: number; reason: string }> {
  const ws = new WebSocket(url, [SUBPROTOCOL])
  cleanups.push(() => ws.terminate())
  ws.on('error', () => {})
  await new Promise((resolve) => ws.once('open', resolve))
  for (const frame of frames) ws.send(frame)
  const [code, reason] = await new Promise<[number, Buffer]>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the server did not close the connection within 3 s')), 3_000)
    ws.once('close', (c, r) => {
      clearTimeout(timer)
      resolve([c, r])
    })
  })
  return { code, reason: reason.toString() }
}

describe('negotiation', () => {
  it('a plain client is an ordinary socket; a session client never reaches the wss "connection" listeners', async () => {
    const s = await serve()
    const plain: WebSocket[] = []
    s.wss.on('connection', (ws) => {
      plain.push(ws)
      ws.on('message', (data) => ws.send(`echo ${data}`))
    })
    const ws = new WebSocket(s.url, ['chat'])
    cleanups.push(() => ws.terminate())
    const echoed = new Promise<string>((resolve) => ws.once('message', (d) => resolve(d.toString())))
    ws.once('open', () => ws.send('hi'))
    expect(await echoed).toBe('echo hi')
    expect(ws.protocol).toBe('chat')

    const c = client(s.url)
    await c.connect()
    expect(plain).toHaveLength(1)
    expect(s.all).toHaveLength(1)
  })

  it("lifeline.v1 is picked; the user's handleProtocols choice among the rest is conveyed in WELCOME and session.protocol", async () => {
    const s = await serve({}, { handleProtocols: (protocols) => (protocols.has('chat.v2') ? 'chat.v2' : false) })
    const c = client(s.url, { protocols: ['chat.v1', 'chat.v2'] })
    const welcome = await c.connect()
    expect(c.ws!.protocol).toBe(SUBPROTOCOL)
    expect(welcome).toMatchObject({ resumed: false, protocol: 'chat.v2', resumeWindow: 120_000, heartbeatInterval: 25_000, heartbeatTimeout: 10_000 })
    expect(s.all[0]!.protocol).toBe('chat.v2')
    expect(s.all[0]!.id).toMatch(/^[\w-]{22}$/)
  })
})

describe('where the wss lives', () => {
  it('sharing an http server ({ server }) and with noServer + handleUpgrade, as on a standalone port', async () => {
    // two http servers: a ws server given { server, path } refuses upgrades to other paths
    const listen = async (): Promise<[http.Server, number]> => {
      const server = http.createServer((_, res) => res.end('http still works'))
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
      cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())))
      return [server, (server.address() as AddressInfo).port]
    }
    const [sharedHttp, sharedPort] = await listen()
    const [manualHttp, manualPort] = await listen()
    const shared = new WebSocketServer({ server: sharedHttp, path: '/shared' })
    const manual = new WebSocketServer({ noServer: true })
    manualHttp.on('upgrade', (request, socket, head) => {
      manual.handleUpgrade(request, socket, head, (ws) => manual.emit('connection', ws, request))
    })
    for (const [wss, path, port] of [[shared, '/shared', sharedPort], [manual, '/manual', manualPort]] as const) {
      const sessions = attachSessions(wss, { ackDelay: 1 })
      const plain: WebSocket[] = []
      wss.on('connection', (ws) => plain.push(ws))
      cleanups.push(() => {
        sessions.close()
        for (const ws of wss.clients) ws.terminate()
        wss.close()
      })
      const got: unknown[] = []
      sessions.on('session', (session) => {
        session.on('message', (data) => void got.push(data))
        session.send(`hello from ${path}`)
      })
      const c = client(`ws://127.0.0.1:${port}${path}`)
      await c.connect()
      c.send('hi')
      await waitFor(() => got.length === 1 && c.received.length === 1, 2_000, `a round trip on ${path}`)
      expect(c.received).toEqual([`hello from ${path}`])
      expect(plain).toEqual([])
    }
  })
})

describe('delivery', () => {
  it('text and binary both ways, each as its own type, and acks empty both buffers', async () => {
    const s = await serve({ ackDelay: 5 })
    const c = client(s.url)
    await c.connect()
    const session = s.all[0]!
    c.send('héllo')
    c.send(Uint8Array.of(1, 2, 3))
    session.send('wörld')
    session.send(Uint8Array.of(4, 5))
    await waitFor(() => s.got.get(session.id)!.length === 2 && c.received.length === 2, 2_000, 'both messages each way')
    expect(s.got.get(session.id)).toEqual(['héllo', Buffer.from([1, 2, 3])])
    expect(c.received).toEqual(['wörld', Buffer.from([4, 5])])
    await waitFor(() => c.outbound.bufferedBytes === 0 && session.bufferedBytes === 0, 2_000, 'acks both ways')
  })

  it('a message larger than the chunk size goes in chunks and reassembles, both ways', async () => {
    const s = await serve({ chunkSize: 1000, ackDelay: 5 })
    const c = client(s.url, { chunkSize: 1000 })
    await c.connect()
    const big = Buffer.alloc(50_000, 7)
    big[49_999] = 9
    c.send(big)
    s.all[0]!.send(big)
    await waitFor(() => c.received.length === 1 && s.got.get(s.all[0]!.id)!.length === 1, 3_000, 'the big message each way')
    expect(c.received[0]).toEqual(big)
    expect(s.got.get(s.all[0]!.id)![0]).toEqual(big)
    expect(c.dataFrames).toBe(50)
  })

  it('a promise from the message listener delays the ack until it settles', async () => {
    const s = await serve({ ackDelay: 0, heartbeat: { interval: 20, timeout: 10 } })
    let release!: () => void
    s.sessions.on('session', (session) => session.on('message', () => new Promise<void>((resolve) => (release = resolve))))
    const c = client(s.url)
    await c.connect()
    c.send('slow')
    await waitFor(() => release !== undefined, 2_000, 'the handler to start')
    // frames on one connection arrive in order: an ACK written on receipt would come before these PINGs
    const pings = c.pings
    await waitFor(() => c.pings >= pings + 2, 2_000, 'two heartbeats after the handler started')
    expect(c.outbound.acked).toBe(0)
    release()
    await waitFor(() => c.outbound.acked === 1, 2_000, 'the ack after the handler settled')
  })

  it('exactly once, in order, both ways, across links reset at random moments', async () => {
    const s = await serve({ ackDelay: 2, chunkSize: 700 })
    const proxy = await proxyTo(s.port)
    const c = client(`ws://127.0.0.1:${proxy.port}`, { chunkSize: 700 })
    // reconnect whenever the link drops, like the real client's driver will
    let stopped = false
    c.on('close', () => {
      if (!stopped) setTimeout(() => c.connect().catch(() => {}), 5)
    })
    await c.connect()
    const session = s.all[0]!
    const N = 300
    const expected = Array.from({ length: N }, (_, i) => `m${i}:${'x'.repeat(i * 7)}`)
    let resets = 0
    for (let i = 0; i < N; i++) {
      c.send(expected[i]!)
      session.send(expected[i]!)
      if (i % 37 === 0) {
        proxy.reset()
        resets++
      }
      if (i % 10 === 0) await new Promise((resolve) => setImmediate(resolve))
    }
    await waitFor(() => c.received.length === N && s.got.get(session.id)!.length === N, 10_000, 'every message each way', {
      describe: () => `client got ${c.received.length}, server got ${s.got.get(session.id)!.length}`,
    })
    stopped = true
    expect(s.got.get(session.id)).toEqual(expected)
    expect(c.received).toEqual(expected)
    expect(s.all).toHaveLength(1)
    expect(c.opens.filter((resumed) => resumed).length).toBeGreaterThan(0)
    expect(c.opens.every((resumed, i) => resumed === i > 0)).toBe(true)
    expect(resets).toBeGreaterThan(5)
  })

  it('a silent link: the server drops it after heartbeat.timeout; the session waits, and the client resumes', async () => {
    const s = await serve({ heartbeat: { interval: 100, timeout: 50 } })
    const proxy = await proxyTo(s.port)
    const c = client(`ws://127.0.0.1:${proxy.port}`)
    await c.connect()
    const session = s.all[0]!
    const disconnected = new Promise((resolve) => session.on('disconnect', () => resolve(true)))
    proxy.silence()
    session.send('while away')
    expect(await disconnected).toBe(true)
    expect(session.connected).toBe(false)
    proxy.heal()
    c.kill()
    c.url = s.url
    expect((await c.connect()).resumed).toBe(true)
    await waitFor(() => c.received.length === 1, 2_000, 'the message sent while away')
    expect(c.received).toEqual(['while away'])
  })
})

describe('lifecycle', () => {
  it('END from the client ends the session at once ("client"); session.close() closes the client with 4410 ("server")', async () => {
    const s = await serve()
    const c = client(s.url)
    await c.connect()
    const reasons: unknown[] = []
    s.all[0]!.on('close', (reason) => reasons.push(reason))
    c.end()
    await waitFor(() => reasons.length === 1, 2_000, 'the session to end')
    expect(reasons).toEqual(['client'])
    expect(s.sessions.size).toBe(0)

    const d = client(s.url)
    await d.connect()
    s.all[1]!.close()
    await waitFor(() => d.closes.length === 1, 2_000, 'the client to be closed')
    expect(d.closes).toEqual([{ code: 4410, reason: 'session ended by the server' }])
    expect(s.all[1]!.endReason).toBe('server')
  })

  it('a resume while the old connection still looks alive takes the session over; the old one gets 4409', async () => {
    const s = await serve()
    const first = client(s.url)
    await first.connect()
    const second = client(s.url)
    second.token = first.token
    expect((await second.connect()).resumed).toBe(true)
    await waitFor(() => first.closes.length === 1, 2_000, 'the old connection to close')
    expect(first.closes).toEqual([{ code: 4409, reason: 'session resumed on a newer connection' }])
    s.all[0]!.send('to the new one')
    await waitFor(() => second.received.length === 1, 2_000, 'the message on the new connection')
    expect(s.all).toHaveLength(1)
  })

  it('a listener that throws or rejects is an "error" event; the message is still acknowledged and nothing crashes', async () => {
    const s = await serve({ ackDelay: 0 })
    s.sessions.on('session', (session) => {
      session.on('message', (data) => {
        if (data === 'throw') throw new Error('sync boom')
        return Promise.reject(new Error('async boom'))
      })
    })
    const c = client(s.url)
    await c.connect()
    c.send('throw')
    c.send('reject')
    await waitFor(() => c.outbound.acked === 2, 2_000, 'both acknowledged')
    expect(s.errors.map((e) => (e as Error).message)).toEqual(['sync boom', 'async boom'])
  })

  it('sessions.close() ends every session (1001) and gives the wss back: a lifeline.v1 client is then an ordinary socket', async () => {
    const s = await serve()
    const c = client(s.url)
    await c.connect()
    s.sessions.close()
    await waitFor(() => c.closes.length === 1, 2_000, 'the client to be closed')
    expect(c.closes).toEqual([{ code: 1001, reason: 'server shutting down' }])
    expect(s.all[0]!.endReason).toBe('shutdown')
    const plain: WebSocket[] = []
    s.wss.on('connection', (ws) => plain.push(ws))
    const ws = new WebSocket(s.url, [SUBPROTOCOL])
    cleanups.push(() => ws.terminate())
    await new Promise((resolve) => ws.once('open', resolve))
    await waitFor(() => plain.length === 1, 2_000, 'the wss to get it as a connection')
  })
})

describe('resume window', () => {
  it('passes: the session ends with "expired" and what was never acknowledged; a late resume starts a new session (resumed: false)', async () => {
    const s = await serve({ resumeWindow: 100 })
    const c = client(s.url, { ack: false })
    await c.connect()
    const session = s.all[0]!
    const closed = new Promise<unknown[]>((resolve) => session.on('close', (...args) => resolve(args)))
    session.send('unacked')
    await waitFor(() => c.received.length === 1, 2_000, 'the message')
    c.kill()
    expect(await closed).toEqual(['expired', ['unacked']])
    const welcome = await c.connect()
    expect(welcome.resumed).toBe(false)
    expect(s.all).toHaveLength(2)
    expect(s.all[1]!.id).not.toBe(session.id)
  })
})

describe('drain', () => {
  it('every client moves within the window and resumes; nothing sent during the move is lost', async () => {
    const s = await serve({ ackDelay: 2 })
    const clients = [client(s.url), client(s.url), client(s.url)]
    for (const c of clients) await c.connect()
    const drained = s.sessions.drain({ within: 200 })
    for (const [i, session] of s.all.entries()) for (let k = 0; k < 10; k++) session.send(`${i}:${k}`)
    await drained
    // the old connections are gone; the new ones may still be on their way
    for (const [i, session] of s.all.entries()) for (let k = 10; k < 20; k++) session.send(`${i}:${k}`)
    await waitFor(() => clients.every((c) => c.received.length === 20 && c.opens.length === 2), 3_000, 'every message after the move')
    for (const [i, c] of clients.entries()) {
      expect(c.received).toEqual(Array.from({ length: 20 }, (_, k) => `${i}:${k}`))
      expect(c.opens).toEqual([false, true])
      expect(c.closes).toEqual([{ code: 1000, reason: '' }])
    }
    expect(s.all).toHaveLength(3)
  })

  it('a client that ignores DRAIN is closed with 1012 after within + 1 s', async () => {
    const s = await serve()
    const c = client(s.url, { followDrain: false })
    await c.connect()
    const delays: number[] = []
    c.on('drain', (delay: number) => delays.push(delay))
    await s.sessions.drain({ within: 50 })
    expect(delays).toHaveLength(1)
    expect(delays[0]).toBeLessThan(50)
    expect(c.closes).toEqual([{ code: 1012, reason: 'drain: reconnect elsewhere' }])
  })
})

describe('a shared store (the fleet path of issue 16, in one process)', () => {
  it('a session resumes on another server from the store, with what the first one still had to send', async () => {
    const store = memoryStore()
    const a = await serve({ store, ackDelay: 2 })
    const b = await serve({ store, ackDelay: 2 })
    const c = client(a.url, { ack: false })
    await c.connect()
    const first = a.all[0]!
    c.send('to a')
    await waitFor(() => a.got.get(first.id)!.length === 1, 2_000, 'a to get the message')
    first.send('from a')
    await waitFor(() => c.received.length === 1, 2_000, 'the message from a')
    c.kill()
    await waitFor(() => store.size === 1, 2_000, 'the record in the store')
    c.url = b.url
    expect((await c.connect()).resumed).toBe(true)
    const moved = b.all[0]!
    expect(moved.id).toBe(first.id)
    // never acknowledged, so b writes it again: the client saw it once already (its dedupe is by count)
    c.send('to b')
    await waitFor(() => b.got.get(moved.id)!.length === 1, 2_000, 'b to get the next message')
    expect(b.got.get(moved.id)).toEqual(['to b'])
    expect(c.received).toEqual(['from a'])
  })
})

describe('a shared store that stalls (Redis reconnecting)', () => {
  /** A shared store none of whose calls ever settle, as node-redis's connect() while Redis is down. */
  function stalledStore(): SharedSessionStore {
    const never = (): Promise<never> => new Promise<never>(() => {})
    return { shared: true, start: never, stop: async () => {}, create: never, secret: never, claim: never, requestRelease: never, release: never, append: never, fetch: never, progress: never, touch: never, delete: never }
  }

  it('a HELLO resuming a session, or starting one, is answered within helloTimeout with 1013 (retried), never left hanging', async () => {
    const s = await serve({ store: stalledStore(), helloTimeout: 200 })
    const token = new Uint8Array(32).fill(7)
    expect(await rawSession(s.url, [encodeHello(0, 1 << 20, token)])).toEqual({ code: 1013, reason: 'session store not answering: try again later' })
    expect(await rawSession(s.url, [encodeHello(0, 1 << 20, new Uint8Array(0))])).toEqual({ code: 1013, reason: 'session store not answering: try again later' })
    expect(s.errors.map((e) => (e as Error).message)).toEqual([
      'session store not answering: a HELLO got no answer within helloTimeout (200 ms); closed with 1013',
      'session store not answering: a HELLO got no answer within helloTimeout (200 ms); closed with 1013',
    ])
    expect(s.sessions.size).toBe(0)
  })
})

describe('hostile clients', () => {
  it('garbage: a text frame, an unknown kind, DATA before HELLO, a second HELLO', async () => {
    const s = await serve()
    expect(await rawSession(s.url, ['hello?'])).toEqual({ code: 1002, reason: 'text frame: lifeline.v1 frames are binary' })
    expect(await rawSession(s.url, [Uint8Array.of(0x7e, 1)])).toEqual({ code: 1002, reason: 'malformed frame: unknown frame kind 0x7e' })
    expect(await rawSession(s.url, [Uint8Array.of(0x01, 1)])).toEqual({ code: 1002, reason: 'expected HELLO, got a data frame' })
    const hello = encodeHello(0, 100, new Uint8Array())
    expect(await rawSession(s.url, [hello, hello])).toEqual({ code: 1002, reason: 'unexpected hello frame from a client in a session' })
    expect(s.all.map((session) => session.endReason)).toEqual(['protocol'])
  })

  it('forged numbers end the session: an ack of messages never sent; a resume claiming more than was sent', async () => {
    const s = await serve()
    const c = client(s.url)
    await c.connect()
    c.raw(encodeAck(5))
    await waitFor(() => c.closes.length === 1, 2_000, 'the close')
    expect(c.closes).toEqual([{ code: 1002, reason: 'ack 5 beyond the 0 messages sent' }])
    expect(s.all[0]!.endReason).toBe('protocol')

    const d = client(s.url)
    await d.connect()
    d.kill()
    await waitFor(() => !s.all[1]!.connected, 2_000, 'the server to see the drop')
    d.inbound.received = 3
    await expect(d.connect()).rejects.toThrow('closed before WELCOME: 1002 resume from 3: outside 0..0 (acknowledged..sent)')
  })

  it("another client's session id without its secret is refused with 1008; the owner's session is untouched", async () => {
    const s = await serve()
    const owner = client(s.url)
    await owner.connect()
    const forged = owner.token.slice()
    forged[20]! ^= 0xff
    expect(await rawSession(s.url, [encodeHello(0, 100, forged)])).toEqual({ code: 1008, reason: 'session token rejected' })
    expect(owner.connected).toBe(true)
    s.all[0]!.send('still mine')
    await waitFor(() => owner.received.length === 1, 2_000, 'the owner to still get messages')
  })

  it('a client that never acks: the session ends at maxBufferedBytes with 4413, handing back what was undelivered', async () => {
    const s = await serve({ maxBufferedBytes: 10_000, maxMessageBytes: 1_000, maxUnacked: 1_000 })
    const c = client(s.url, { ack: false })
    await c.connect()
    const session = s.all[0]!
    const closed = new Promise<unknown[]>((resolve) => session.on('close', (...args) => resolve(args)))
    for (let i = 0; i < 11; i++) session.send(Buffer.alloc(1_000, i))
    const [reason, undelivered] = await closed
    expect(reason).toBe('overflow')
    expect(undelivered).toHaveLength(11)
    await waitFor(() => c.closes.length === 1, 2_000, 'the client to be closed')
    expect(c.closes).toEqual([{ code: 4413, reason: 'session ended: over 10000 unacknowledged bytes' }])
    expect(() => session.send('more')).toThrow(`session.send(): session ${session.id} has ended (overflow)`)
  })

  it('a client writing beyond the window is closed with 1008; a message over maxMessageBytes with 1009', async () => {
    const s = await serve({ maxUnacked: 100, maxMessageBytes: 500 })
    // handlers that never finish: nothing is acknowledged
    s.sessions.on('session', (session) => session.on('message', () => new Promise(() => {})))
    const greedy = client(s.url, { window: 100 })
    await greedy.connect()
    greedy.welcome!.window = 10_000 // ignore what the server said
    for (let i = 0; i < 3; i++) greedy.send(Buffer.alloc(60))
    await waitFor(() => greedy.closes.length === 1, 2_000, 'the close')
    expect(greedy.closes).toEqual([{ code: 1008, reason: 'window exceeded: 120 unacknowledged bytes, window 100' }])

    const big = client(s.url)
    await big.connect()
    big.send(Buffer.alloc(501))
    await waitFor(() => big.closes.length === 1, 2_000, 'the close')
    expect(big.closes).toEqual([{ code: 1009, reason: 'message of more than 500 bytes' }])
  })

  it('a flood of sessions: beyond maxSessions, 1013; connections that never say HELLO are closed after helloTimeout', async () => {
    const s = await serve({ maxSessions: 3, helloTimeout: 100 })
    for (let i = 0; i < 3; i++) await client(s.url).connect()
    await expect(client(s.url).connect()).rejects.toThrow('closed before WELCOME: 1013 too many sessions (3)')
    expect(await rawSession(s.url, [])).toEqual({ code: 1002, reason: 'no HELLO within 100 ms' })
    expect(s.sessions.size).toBe(3)
  })
})

describe('options', () => {
  it('bad values throw naming the option and the value', () => {
    const wss = new WebSocketServer({ noServer: true })
    expect(() => attachSessions(wss, { resumeWindow: -1 })).toThrow(new RangeError('attachSessions: resumeWindow must be a whole number >= 0, got -1'))
    expect(() => attachSessions(wss, { maxSessions: '5' as never })).toThrow(new TypeError('attachSessions: maxSessions must be a number, got "5"'))
    expect(() => attachSessions(wss, { heartbeat: { interval: 10, timeout: 10 } })).toThrow(
      new RangeError('attachSessions: heartbeat.timeout (10) must be < heartbeat.interval (10)'),
    )
    expect(() => attachSessions(wss, { resumeWindw: 1 } as never)).toThrow(new TypeError('attachSessions: unknown option "resumeWindow"'.replace('resumeWindow', 'resumeWindw')))
    expect(() => attachSessions({} as never)).toThrow(new TypeError('attachSessions(wss): wss must be a ws WebSocketServer, got object'))
  })
})
