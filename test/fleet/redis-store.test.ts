/**
 * lifeline-ws/server/redis against a real redis-server (test/support/redis.ts): sessions resume on
 * another server, a SIGKILLed node loses nothing it acknowledged (its redeliveries flagged), and an
 * unreachable Redis degrades new sessions to this process alone, loudly. The clients are the
 * protocol test client (test/support/session-client.ts). The child node runs from dist/ (npx tsup).
 */
import { fork, type ChildProcess } from 'node:child_process'
import type { AddressInfo } from 'node:net'
import { describe, expect, it } from 'vitest'
import { WebSocketServer } from 'ws'
import { attachSessions, type Session, type SessionServer } from '../../src/index.server.js'
import { redisStore } from '../../src/index.server-redis.js'
import { freePort, useRedisForFile } from '../support/redis.js'
import { SessionClient } from '../support/session-client.js'
import { waitFor } from '../support/wait.js'

const { fleet, cleanups } = useRedisForFile()

interface Node {
  url: string
  sessions: SessionServer
  got: Array<{ id: string; data: unknown; redelivered: boolean }>
  errors: unknown[]
  all: Session[]
  store: ReturnType<typeof redisStore>
}

/** An in-process server with a redisStore whose app echoes each message once the echo is durable. */
async function node(leaseTtl = 1_000, commandTimeout = 500): Promise<Node> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 })
  await new Promise<void>((resolve) => wss.once('listening', resolve))
  const store = redisStore({ url: fleet.redis.url, leaseTtl, commandTimeout })
  const sessions = attachSessions(wss, { store, ackDelay: 10 })
  const n: Node = { url: `ws://127.0.0.1:${(wss.address() as AddressInfo).port}`, sessions, got: [], errors: [], all: [], store }
  sessions.on('error', (error) => void n.errors.push(error))
  sessions.on('session', (session) => {
    n.all.push(session)
    session.on('message', (data, { redelivered }) => {
      n.got.push({ id: session.id, data, redelivered })
      return session.send(`echo:${String(data)}`)
    })
  })
  cleanups.push(async () => {
    sessions.close()
    for (const ws of wss.clients) ws.terminate()
    await new Promise((resolve) => wss.close(resolve))
  })
  return n
}

function client(url: string): SessionClient {
  const c = new SessionClient(url)
  cleanups.push(() => c.kill())
  return c
}

/** A node in a child process (test/fleet/session-node.mjs), so it can be SIGKILLed. */
async function childNode(store: string): Promise<{ url: string; child: ChildProcess; got: Array<[string, string, boolean]> }> {
  const port = await freePort()
  const child = fork(new URL('./session-node.mjs', import.meta.url).pathname, [String(port), store, '600'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
  cleanups.push(() => void child.kill('SIGKILL'))
  const got: Array<[string, string, boolean]> = []
  child.on('message', (m: { got?: [string, string, boolean] }) => void (m.got && got.push(m.got)))
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('child node not ready within 10 s')), 10_000)
    child.on('message', (m: { ready?: boolean }) => {
      if (m.ready) {
        clearTimeout(timer)
        resolve()
      }
    })
    child.once('exit', (code) => reject(new Error(`child node exited (${code})`)))
  })
  return { url: `ws://127.0.0.1:${port}`, child, got }
}

const notDurableError = (e: unknown): boolean => /session store unavailable: session .* is not durable/.test(String((e as Error).message))

describe('redisStore', () => {
  it('a session resumes on another server: the first lets go after storing how far it got; nothing lost, nothing twice, nothing flagged', async () => {
    // a generous commandTimeout: a slow start on a loaded machine is an error event, not what this is about
    const [a, b] = [await node(1_000, 2_000), await node(1_000, 2_000)]
    const c = client(a.url)
    await c.connect()
    for (let i = 1; i <= 20; i++) c.send(`m${i}`)
    await waitFor(() => c.received.length === 20, 5_000, '20 echoes from A')
    for (let i = 21; i <= 30; i++) c.send(`m${i}`)
    c.kill()
    c.url = b.url
    expect((await c.connect()).resumed).toBe(true)
    await waitFor(() => c.received.length === 30 && c.outbound.acked === 30, 5_000, 'every echo and ack after the move', {
      describe: () => `received ${c.received.length}, acked ${c.outbound.acked}`,
    })
    const seen = [...a.got, ...b.got]
    expect(seen.map((g) => g.data)).toEqual(Array.from({ length: 30 }, (_, i) => `m${i + 1}`))
    expect(seen.filter((g) => g.redelivered)).toEqual([])
    expect(c.received).toEqual(Array.from({ length: 30 }, (_, i) => `echo:m${i + 1}`))
    expect(a.all[0]!.endReason).toBe('moved')
    expect(a.errors).toEqual([])
    expect(b.errors).toEqual([])
  })

  it('a node asked to let go of a session first lets its running handler finish: the next node does not run it again', async () => {
    let open = (): void => {}
    const gate = new Promise<void>((resolve) => (open = resolve))
    // a generous commandTimeout: a slow start on a loaded machine is an error event, not what this is about
    const a = await node(1_000, 2_000)
    // the handler on A waits until A has been asked to let go (it closed the connection): it is running then
    a.sessions.on('session', (session) => session.on('message', () => gate))
    const storeB = redisStore({ url: fleet.redis.url, leaseTtl: 1_000, commandTimeout: 2_000 })
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 })
    await new Promise<void>((resolve) => wss.once('listening', resolve))
    const b = attachSessions(wss, { store: storeB, ackDelay: 10 })
    const bGot: Array<{ data: unknown; redelivered: boolean }> = []
    const bErrors: unknown[] = []
    b.on('error', (error) => void bErrors.push(error))
    b.on('session', (session) => session.on('message', (data, { redelivered }) => void bGot.push({ data, redelivered })))
    cleanups.push(async () => {
      b.close()
      for (const ws of wss.clients) ws.terminate()
      await new Promise((resolve) => wss.close(resolve))
    })
    const c = client(a.url)
    await c.connect()
    c.send('m1')
    await waitFor(() => a.got.length === 1, 5_000, 'the handler on A to start')
    // the client resumes on B while its connection to A is still up: B asks A to let go
    c.url = `ws://127.0.0.1:${(wss.address() as AddressInfo).port}`
    const resumed = c.connect()
    await waitFor(() => c.closes.some((x) => x.reason === 'session resumed on another server'), 5_000, 'A to close its connection, letting go')
    open()
    expect((await resumed).resumed).toBe(true)
    await waitFor(() => c.received.length === 1 && c.outbound.acked === 1, 5_000, 'the echo from A, and the ACK, through B', {
      describe: () => `received ${JSON.stringify(c.received)}, acked ${c.outbound.acked}`,
    })
    const messages = (errors: unknown[]): string[] => errors.map((e) => String((e as Error).message))
    expect({ a: a.got.map((g) => [g.data, g.redelivered]), b: bGot, received: c.received, end: a.all[0]!.endReason, aErrors: messages(a.errors), bErrors: messages(bErrors) }).toEqual({
      a: [['m1', false]],
      b: [],
      received: ['echo:m1'],
      end: 'moved',
      aErrors: [],
      bErrors: [],
    })
  })

  it('a node SIGKILLed mid-stream: the client resumes on another; every acknowledged message survives, and a repeat is only ever flagged', async () => {
    const a = await childNode(fleet.redis.url)
    const b = await node()
    const c = client(a.url)
    await c.connect()
    let sent = 0
    const pump = setInterval(() => {
      if (sent < 200) c.send(`m${++sent}`)
    }, 2)
    cleanups.push(() => clearInterval(pump))
    await waitFor(() => a.got.length >= 50, 5_000, '50 messages handled on the child node')
    a.child.kill('SIGKILL')
    c.url = b.url
    await waitFor(() => !c.connected, 5_000, 'the client to see the kill')
    const welcome = await c.connect(10_000)
    expect(welcome.resumed).toBe(true)
    await waitFor(() => sent === 200 && c.outbound.acked === 200 && c.received.length >= 200, 10_000, 'all 200 acknowledged and echoed', {
      describe: () => `sent ${sent}, acked ${c.outbound.acked}, received ${c.received.length}`,
    })
    // client → server: every message handled, in order; one handled twice only if flagged
    const handled = [...a.got.map(([, data, redelivered]) => ({ data, redelivered })), ...b.got.map((g) => ({ data: g.data, redelivered: g.redelivered }))]
    const firsts = handled.filter((h, i) => handled.findIndex((o) => o.data === h.data) === i).map((h) => h.data)
    expect(firsts).toEqual(Array.from({ length: 200 }, (_, i) => `m${i + 1}`))
    const repeats = handled.filter((h, i) => handled.findIndex((o) => o.data === h.data) !== i)
    for (const r of repeats) expect(r.redelivered).toBe(true)
    // server → client: every echo, in order; a repeat only for a message redelivered
    const echoes = c.received.filter((r, i) => c.received.indexOf(r) === i)
    expect(echoes).toEqual(Array.from({ length: 200 }, (_, i) => `echo:m${i + 1}`))
    expect(c.received.length - echoes.length).toBeLessThanOrEqual(repeats.length)
    expect(b.errors).toEqual([])
  }, 30_000)

  it('Redis restarting under a connected session: its writes are retried until Redis is back; the session stays on its node, nothing handled twice', async () => {
    const a = await node()
    const c = client(a.url)
    await c.connect()
    c.send('m1')
    await waitFor(() => c.received.length === 1 && c.outbound.acked === 1, 5_000, 'm1 echoed and acknowledged')
    await fleet.redis.down()
    const before = a.store.commands
    c.send('m2')
    // the 'started' write for m2 failed at least once (commandTimeout 500 ms) and was tried again
    await waitFor(() => a.store.commands >= before + 2, 5_000, 'a store write retried while Redis is down')
    await fleet.redis.up()
    await waitFor(() => c.received.length === 2 && c.outbound.acked === 2, 10_000, 'm2 echoed and acknowledged once Redis is back', {
      describe: () => `received ${JSON.stringify(c.received)}, acked ${c.outbound.acked}, closes ${JSON.stringify(c.closes)}`,
    })
    expect({ got: a.got.map((g) => [g.data, g.redelivered]), received: c.received, closes: c.closes, opens: c.opens, end: a.all[0]!.endReason }).toEqual({
      got: [['m1', false], ['m2', false]],
      received: ['echo:m1', 'echo:m2'],
      closes: [],
      opens: [false],
      end: undefined,
    })
  }, 20_000)

  it('session.send() while Redis restarts: the append is retried until Redis is back, resolves, and reaches the client once', async () => {
    const a = await node()
    const c = client(a.url)
    await c.connect()
    await waitFor(() => a.all.length === 1, 5_000, 'the session on A')
    await fleet.redis.down()
    const before = a.store.commands
    const sent = a.all[0]!.send('while down')
    const settled = sent.then(() => 'resolved', (error: unknown) => `rejected: ${(error as Error).message}`)
    // the first try timed out (commandTimeout 500 ms) and was tried again
    await waitFor(() => a.store.commands >= before + 2, 5_000, 'the append retried while Redis is down')
    await fleet.redis.up()
    expect(await settled).toBe('resolved')
    await waitFor(() => c.received.length === 1, 5_000, 'the message at the client')
    a.all[0]!.send('after')
    await waitFor(() => c.received.length === 2, 5_000, 'the next message at the client')
    expect(c.received).toEqual(['while down', 'after'])
  }, 20_000)

  it('a node that dropped a session the store still names it the holder of (its give-up lost with Redis): a resume elsewhere gets it let go, not refused until the deadline', async () => {
    const [a, b] = [await node(), await node()]
    const c = client(a.url)
    await c.connect()
    c.send('m1')
    await waitFor(() => c.received.length === 1 && c.outbound.acked === 1, 5_000, 'm1 echoed and acknowledged')
    // what a node that gave the session up while Redis was unreachable is left with: nothing in memory
    ;(a.all[0] as unknown as { end(reason: string): void }).end('moved')
    c.url = b.url
    const started = Date.now()
    expect((await c.connect(5_000)).resumed).toBe(true)
    // answered by the release, not by the HELLO deadline (helloTimeout, 10 s)
    expect(Date.now() - started).toBeLessThan(5_000)
    c.send('m2')
    await waitFor(() => c.received.length === 2, 5_000, 'm2 echoed by B')
    expect(b.got.map((g) => [g.data, g.redelivered])).toEqual([['m2', false]])
  })

  it('sessions.send(id) reaches a session exactly once, in order, whether its client is on this node, on another, or on none', async () => {
    // a generous commandTimeout: a slow start on a loaded machine is an error event, not what this is about
    const [a, b] = [await node(1_000, 2_000), await node(1_000, 2_000)]
    const c = client(a.url)
    await c.connect()
    await waitFor(() => a.all.length === 1, 5_000, 'the session on A')
    const id = a.all[0]!.id
    // on this node, and from another node while the client is on A: interleaved, each awaited as durable
    for (let i = 1; i <= 20; i++) await (i % 2 ? a : b).sessions.send(id, `s${i}`)
    await waitFor(() => c.received.length === 20, 5_000, '20 messages at the client', { describe: () => JSON.stringify(c.received) })
    // on none: the client away, posted from B
    c.kill()
    await waitFor(() => !a.all[0]!.connected, 5_000, 'A to see the client gone')
    await b.sessions.send(id, 's21')
    await b.sessions.send(id, new Uint8Array([1, 2, 3]))
    // the client comes back on B: B takes the session over with both
    c.url = b.url
    expect((await c.connect(5_000)).resumed).toBe(true)
    await a.sessions.send(id, 's23') // A no longer holds it: through the store to B
    await waitFor(() => c.received.length === 23 && c.outbound.acked === 0, 5_000, 'every message once at the client', { describe: () => JSON.stringify(c.received) })
    expect(c.received).toEqual([...Array.from({ length: 21 }, (_, i) => `s${i + 1}`), Buffer.from([1, 2, 3]), 's23'])
    expect([...a.errors, ...b.errors]).toEqual([])
  })

  it('sessions.send(): an unknown session rejects saying so; bad arguments throw naming them', async () => {
    const a = await node()
    await expect(a.sessions.send('AAAAAAAAAAAAAAAAAAAAAA', 'x')).rejects.toThrow('sessions.send(): no session AAAAAAAAAAAAAAAAAAAAAA (ended, expired, or never existed)')
    expect(() => a.sessions.send(1 as unknown as string, 'x')).toThrow(new TypeError('sessions.send(id, data): id must be a string, got number'))
    expect(() => a.sessions.send('id', {} as unknown as string)).toThrow(new TypeError('sessions.send(id, data): data must be a string, ArrayBuffer or ArrayBufferView, got object'))
    expect(() => a.sessions.send('id', 'x'.repeat(2 << 20))).toThrow(new RangeError('sessions.send(id, data): 2097152 bytes is over maxMessageBytes (1048576)'))
  })

  it('a node started while Redis is down (still connecting): a resume is answered, with a new session and an error event, not left hanging', async () => {
    // nothing listens on this port: node-redis's connect() keeps retrying, as it does while Redis restarts
    const down = `redis://127.0.0.1:${await freePort()}`
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 })
    await new Promise<void>((resolve) => wss.once('listening', resolve))
    const sessions = attachSessions(wss, { store: redisStore({ url: down, commandTimeout: 300 }) })
    const errors: string[] = []
    sessions.on('error', (error) => void errors.push((error as Error).message))
    cleanups.push(async () => {
      sessions.close()
      await new Promise((resolve) => wss.close(resolve))
    })
    const c = client(`ws://127.0.0.1:${(wss.address() as AddressInfo).port}`)
    c.token = new Uint8Array(32).fill(7)
    expect((await c.connect(5_000)).resumed).toBe(false)
    expect(errors).toContain(`Redis at ${down} not reachable within commandTimeout (300 ms); still trying`)
    expect(errors.some((m) => /^session store unavailable: session .* cannot be resumed$/.test(m))).toBe(true)
    expect(errors.some((m) => /^session store unavailable: session .* is not durable/.test(m))).toBe(true)
  })

  it('Redis unreachable: a new session works in this process alone with an error event, and cannot resume elsewhere; Redis back: durable again', async () => {
    const [a, b] = [await node(), await node()]
    const c = client(a.url)
    await fleet.redis.down()
    const welcome = await c.connect(5_000)
    expect(welcome.resumed).toBe(false)
    const notDurable = (): unknown => a.errors.find(notDurableError)
    await waitFor(() => notDurable() !== undefined, 5_000, 'an error event on the server saying the session is not durable')
    c.send('local')
    await waitFor(() => c.received.length === 1, 5_000, 'the degraded session still echoes')
    c.kill()
    c.url = b.url
    expect((await c.connect(5_000)).resumed).toBe(false)
    await fleet.redis.up()
    // the nodes reconnect with a backoff of at most 1 s: wait (bounded) for a new session that is durable
    const deadline = Date.now() + 10_000
    let durable: SessionClient | undefined
    while (!durable && Date.now() < deadline) {
      const before = a.errors.filter(notDurableError).length
      const d = client(a.url)
      await d.connect(5_000)
      if (a.errors.filter(notDurableError).length === before) durable = d
      else await new Promise((resolve) => setTimeout(resolve, 100))
    }
    expect(durable, 'a durable session within 10 s of Redis coming back').toBeDefined()
    durable!.kill()
    durable!.url = b.url
    expect((await durable!.connect(5_000)).resumed).toBe(true)
  }, 30_000)
})

