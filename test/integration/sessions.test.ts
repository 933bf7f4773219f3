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

  it('messages sent in one tick leave in one write to the TCP socket, not one system call each', async () => {
    const server = http.createServer()
    const wss = new WebSocketServer({ server })
    const sessions = attachSessions(wss)
    const all: Session[] = []
    sessions.on('session', (session) => void all.push(session))
    // every write the server's TCP socket makes: ws corks each frame, so a frame on its own is one _writev
    let writes = 0
    server.on('upgrade', (_request, socket: import('node:net').Socket & { _writev?: (...args: unknown[]) => void }) => {
      const writev = socket._writev!.bind(socket)
      socket._writev = (...args: unknown[]) => {
        writes++
        writev(...args)
      }
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    cleanups.push(async () => {
      sessions.close()
      for (const ws of wss.clients) ws.terminate()
      await new Promise((resolve) => wss.close(resolve))
      await new Promise((resolve) => server.close(resolve))
    })
    const c = client(`ws://127.0.0.1:${(server.address() as AddressInfo).port}`)
    await c.connect()
    await waitFor(() => all.length === 1, 2_000, 'the session')
    // the client has the WELCOME: nothing else is due from the server until it sends
    writes = 0
    for (let i = 0; i < 200; i++) void all[0]!.send(`message ${i}`)
    await waitFor(() => c.received.length === 200, 3_000, 'the 200 messages')
    expect(c.received).toEqual(Array.from({ length: 200 }, (_, i) => `message ${i}`))
    expect(writes).toBe(1)
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

  it('a session restored from the store acknowledges again what the old server handled: a client whose window those messages fill goes on', async () => {
    const store = memoryStore()
    // a never acknowledges (its ACK would come after 60 s); b's window holds the two messages a handled and no more
    const a = await serve({ store, ackDelay: 60_000 })
    const b = await serve({ store, maxUnacked: 16 })
    const c = client(a.url)
    await c.connect()
    const first = a.all[0]!
    c.send('message 1')
    c.send('message 2')
    await waitFor(() => a.got.get(first.id)!.length === 2, 2_000, 'a to handle both messages')
    c.kill()
    await waitFor(() => store.size === 1, 2_000, 'the record in the store')
    c.url = b.url
    expect((await c.connect()).received).toBe(2)
    // the ACK a never sent comes from b; without it the client could write nothing more (18 bytes in flight, window 16)
    await waitFor(() => c.outbound.acked === 2, 2_000, 'the acknowledgement of what a handled', { describe: () => `acked ${c.outbound.acked}` })
    c.send('third')
    const moved = b.all[0]!
    await waitFor(() => b.got.get(moved.id)!.length === 1, 2_000, 'b to get the next message')
    expect(b.got.get(moved.id)).toEqual(['third'])
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
    const forged = Uint8Array.from(owner.token) // a copy: the token is a Buffer, whose slice() shares memory
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

describe('hostile clients: the rest of the list', () => {
  /** Open a session with the protocol test client, write `bytes` raw, and resolve with how the server closed it. */
  async function inSession(url: string, bytes: Uint8Array): Promise<{ code: number; reason: string }> {
    const c = client(url)
    await c.connect()
    c.raw(bytes)
    await waitFor(() => c.closes.length === 1, 2_000, 'the server to close the connection')
    return c.closes[0]!
  }

  it('garbage before HELLO: an empty frame, a HELLO cut short, a varint over 8 bytes', async () => {
    const s = await serve()
    expect(await rawSession(s.url, [new Uint8Array(0)])).toEqual({ code: 1002, reason: 'malformed frame: empty frame' })
    expect(await rawSession(s.url, [Uint8Array.of(0x20, 0x80)])).toEqual({ code: 1002, reason: 'malformed frame: hello received is cut short' })
    expect(await rawSession(s.url, [Uint8Array.of(0x20, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01, 0x00)])).toEqual({
      code: 1002,
      reason: 'malformed frame: hello received is not a varint below 2^53',
    })
    expect(s.all).toEqual([])
    expect(s.errors).toEqual([])
  })

  it('garbage inside a session ends that session alone, with the code and reason naming it; no handler runs, no error event, the server goes on', async () => {
    const s = await serve({ maxMessageBytes: 1_000 })
    const bystander = client(s.url)
    await bystander.connect()
    const cases: Array<[string, Uint8Array, { code: number; reason: string }]> = [
      ['an empty frame', new Uint8Array(0), { code: 1002, reason: 'malformed frame: empty frame' }],
      ['an ACK cut short', Uint8Array.of(0x10, 0x80), { code: 1002, reason: 'malformed frame: ack count is cut short' }],
      ['an ACK over 8 varint bytes', Uint8Array.of(0x10, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00), { code: 1002, reason: 'malformed frame: ack count is not a varint below 2^53' }],
      ['an ACK with a trailing byte', Uint8Array.of(0x10, 0x00, 0x00), { code: 1002, reason: 'malformed frame: ack has 1 trailing bytes' }],
      ['a PONG with a trailing byte', Uint8Array.of(0x12, 0x01), { code: 1002, reason: 'malformed frame: pong has 1 trailing bytes' }],
      ['a PING (server to client only)', Uint8Array.of(0x11), { code: 1002, reason: 'unexpected ping frame from a client in a session' }],
      ['a WELCOME-kind byte alone', Uint8Array.of(0x21), { code: 1002, reason: 'malformed frame: welcome flags is cut short' }],
      ['a DRAIN (server to client only)', Uint8Array.of(0x30, 0x00), { code: 1002, reason: 'unexpected drain frame from a client in a session' }],
      ['an unknown kind', Uint8Array.of(0xff), { code: 1002, reason: 'malformed frame: unknown frame kind 0xff' }],
      ['text that is not UTF-8', Uint8Array.of(0x00, 0xc3, 0x28), { code: 1007, reason: 'text message is not valid UTF-8' }],
      ['a lone chunk over maxMessageBytes', Uint8Array.of(0x03, ...new Uint8Array(1_001)), { code: 1009, reason: 'message of more than 1000 bytes' }],
    ]
    for (const [what, bytes, expected] of cases) expect(await inSession(s.url, bytes), what).toEqual(expected)
    expect(s.all.slice(1).map((session) => session.endReason)).toEqual(cases.map(() => 'protocol'))
    expect([...s.got.values()].flat()).toEqual([])
    expect(s.errors).toEqual([])
    expect(s.sessions.size).toBe(1)
    // the server still serves the session that behaved
    bystander.send('still here')
    await waitFor(() => s.got.get(s.all[0]!.id)!.length === 1, 2_000, "the bystander's message")
    expect(bystander.closes).toEqual([])
  })

  it('text that is not UTF-8 with a shared store (handlers run after a store write) is the same 1007, never an unhandled rejection', async () => {
    // a shared store that answers every call at once: the durable path without Redis
    let appended = 0
    const done = async (): Promise<void> => {}
    const store: SharedSessionStore = {
      shared: true,
      start: done,
      stop: done,
      create: done,
      secret: async () => undefined,
      claim: async () => undefined,
      requestRelease: done,
      release: done,
      append: async () => ++appended,
      fetch: async () => [],
      progress: done,
      touch: async () => 0,
      delete: done,
    }
    const s = await serve({ store })
    const c = client(s.url)
    await c.connect()
    c.send('fine')
    await waitFor(() => s.got.get(s.all[0]!.id)!.length === 1, 2_000, 'a valid message first')
    c.raw(Uint8Array.of(0x00, 0xc3, 0x28))
    await waitFor(() => c.closes.length === 1, 2_000, 'the close')
    expect(c.closes).toEqual([{ code: 1007, reason: 'text message is not valid UTF-8' }])
    expect(s.all[0]!.endReason).toBe('protocol')
    expect(s.got.get(s.all[0]!.id)).toEqual(['fine'])
    expect(s.errors).toEqual([])
  })

  it('a message sent as endless chunks is refused at maxMessageBytes (1009) before the server holds more', async () => {
    const s = await serve({ maxMessageBytes: 1_000, maxUnacked: 100_000 })
    const c = client(s.url)
    await c.connect()
    // 100-byte chunks that never say "last": the 11th takes it over 1,000 bytes
    for (let i = 0; i < 20; i++) c.raw(Uint8Array.of(0x03, ...new Uint8Array(100).fill(i)))
    await waitFor(() => c.closes.length === 1, 2_000, 'the close')
    expect(c.closes).toEqual([{ code: 1009, reason: 'message of more than 1000 bytes' }])
    expect(s.got.get(s.all[0]!.id)).toEqual([])
    expect(s.all[0]!.endReason).toBe('protocol')
  })

  it('forged numbers going backwards: an ACK below an earlier one; a resume from fewer messages than were acknowledged', async () => {
    const s = await serve({ ackDelay: 0 })
    const c = client(s.url)
    await c.connect()
    s.all[0]!.send('one')
    s.all[0]!.send('two')
    await waitFor(() => s.all[0]!.bufferedBytes === 0, 2_000, 'both acknowledged')
    c.raw(encodeAck(1))
    await waitFor(() => c.closes.length === 1, 2_000, 'the close')
    expect(c.closes).toEqual([{ code: 1002, reason: 'ack 1 below the earlier ack 2' }])
    expect(s.all[0]!.endReason).toBe('protocol')

    const d = client(s.url)
    await d.connect()
    s.all[1]!.send('one')
    s.all[1]!.send('two')
    await waitFor(() => s.all[1]!.bufferedBytes === 0, 2_000, 'both acknowledged')
    d.kill()
    await waitFor(() => !s.all[1]!.connected, 2_000, 'the server to see the drop')
    d.inbound.received = 1 // it acknowledged 2: claiming to hold 1 asks for a message it already confirmed
    await expect(d.connect()).rejects.toThrow('closed before WELCOME: 1002 resume from 1: outside 2..2 (acknowledged..sent)')
    expect(s.all[1]!.endReason).toBe('protocol')
  })

  it("another client's session: a wrong secret is refused while the owner is away, the id alone opens a new session, and the owner resumes untouched", async () => {
    const s = await serve()
    const owner = client(s.url)
    await owner.connect()
    const session = s.all[0]!
    owner.kill()
    await waitFor(() => !session.connected, 2_000, 'the owner to be away')
    session.send('for the owner')
    const forged = Uint8Array.from(owner.token) // a copy: the token is a Buffer, whose slice() shares memory
    forged[31]! ^= 0x01 // one bit of the secret
    for (let i = 0; i < 3; i++) expect(await rawSession(s.url, [encodeHello(0, 100, forged)])).toEqual({ code: 1008, reason: 'session token rejected' })
    // the id without the secret is not a token of that session: a new, unrelated session
    const idOnly = client(s.url)
    idOnly.token = Uint8Array.from(owner.token.subarray(0, 16))
    expect((await idOnly.connect()).resumed).toBe(false)
    expect(s.all[1]!.id).not.toBe(session.id)
    expect(idOnly.received).toEqual([])
    // the owner, with its token, gets its session and what was sent meanwhile, once
    expect((await owner.connect()).resumed).toBe(true)
    await waitFor(() => owner.received.length === 1, 2_000, "the owner's message")
    expect(owner.received).toEqual(['for the owner'])
    expect(session.endReason).toBe(undefined)
    expect(s.all).toHaveLength(2)
  })

  it('session ids and secrets are fresh random bytes for every session', async () => {
    const s = await serve()
    const tokens: string[] = []
    for (let i = 0; i < 20; i++) {
      const c = client(s.url)
      await c.connect()
      expect(c.token).toHaveLength(32)
      tokens.push(Buffer.from(c.token).toString('hex'))
    }
    expect(new Set(tokens.map((t) => t.slice(0, 32))).size).toBe(20)
    expect(new Set(tokens.map((t) => t.slice(32))).size).toBe(20)
  })

  it('a client that never answers PING is dropped after heartbeat.timeout; its session waits and resumes', async () => {
    const s = await serve({ heartbeat: { interval: 60, timeout: 40 } })
    const c = client(s.url, { pong: false })
    await c.connect()
    const session = s.all[0]!
    await waitFor(() => c.closes.length === 1, 2_000, 'the server to drop the silent client')
    expect(c.closes[0]!.code).toBe(1006) // terminated: a dead link gets no close frame
    expect(c.pings).toBeGreaterThan(0)
    expect(session.connected).toBe(false)
    expect(session.endReason).toBe(undefined)
    const d = client(s.url)
    d.token = c.token
    expect((await d.connect()).resumed).toBe(true)
  })

  it('a flood: connections that never say HELLO are bounded by maxSessions (1013); sessions away in their resume window count until they end', async () => {
    const s = await serve({ maxSessions: 2, helloTimeout: 5_000 })
    // two silent connections fill the HELLO wait list; a third is turned away at once
    const silent = [new WebSocket(s.url, [SUBPROTOCOL]), new WebSocket(s.url, [SUBPROTOCOL])]
    for (const ws of silent) {
      cleanups.push(() => ws.terminate())
      ws.on('error', () => {})
      await new Promise((resolve) => ws.once('open', resolve))
    }
    expect(await rawSession(s.url, [])).toEqual({ code: 1013, reason: 'too many connections waiting for HELLO' })
    for (const ws of silent) ws.terminate()

    // two sessions whose clients vanish still hold their places for the resume window
    const gone = [client(s.url), client(s.url)]
    for (const c of gone) {
      await c.connect()
      c.kill()
    }
    await waitFor(() => s.all.every((session) => !session.connected), 2_000, 'both clients gone')
    await expect(client(s.url).connect()).rejects.toThrow('closed before WELCOME: 1013 too many sessions (2)')
    // one resumes and ends its session (END): its place is free again
    const back = client(s.url)
    back.token = gone[0]!.token
    expect((await back.connect()).resumed).toBe(true)
    back.end()
    await waitFor(() => s.sessions.size === 1, 2_000, 'the session to end')
    expect((await client(s.url).connect()).resumed).toBe(false)
    expect(s.errors).toEqual([])
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
