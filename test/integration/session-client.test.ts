/**
 * The session client (lifeline-ws/session) end to end: the Node createSocket with `session()`
 * against a real `ws` server with lifeline-ws/server's attachSessions, through the fault proxy.
 * Messages flow both ways at 1,000/s and at 4,000/s (paced by the clock, so the offered rate holds
 * even when timers run late) while the link is reset, the server kills the connection,
 * the link goes silent (half-open), one direction loses everything (each way in turn), the server restarts in the same process with the same store,
 * and it drains; at the end each side has every message exactly once, in order.
 */
import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { WebSocketServer } from 'ws'
import { createSocket, type LifelineSocket } from '../../src/index.node.js'
import { attachSessions, memoryStore, type Session, type SessionServer, type SessionStore } from '../../src/index.server.js'
import { session } from '../../src/index.session.js'
import { createFaultProxy, type FaultProxy } from '../support/fault-proxy.mjs'
import { waitFor } from '../support/wait.js'

const cleanups: Array<() => Promise<void> | void> = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

interface Server {
  wss: WebSocketServer
  sessions: SessionServer
  port: number
}

/** A wss on 127.0.0.1 with sessions; `port` 0 for any. */
async function startServer(port: number, store: SessionStore, onSession: (session: Session) => void): Promise<Server> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port })
  await new Promise<void>((resolve, reject) => {
    wss.once('listening', resolve)
    wss.once('error', reject)
  })
  // maxBufferedBytes above the default 8 MiB: after a restart the test's sender catches up at once
  // (seconds of 4,000 msgs/s), and a client stalled by a loaded machine must not end its session
  const sessions = attachSessions(wss, { store, heartbeat: { interval: 300, timeout: 200 }, ackDelay: 20, resumeWindow: 60_000, maxBufferedBytes: 64 << 20 })
  sessions.on('error', (error) => {
    throw error
  })
  sessions.on('session', onSession)
  return { wss, sessions, port: (wss.address() as AddressInfo).port }
}

/** Stop a server as a crash would, keeping its sessions' state in the store (no END, no session close). */
async function crash(server: Server): Promise<void> {
  for (const ws of server.wss.clients) ws.terminate()
  await new Promise((resolve) => server.wss.close(resolve))
}

/** `<seq>:` then padding; every 100th message is 40 KB, so it goes in chunks both ways; every 7th is binary (the same bytes). */
function payload(prefix: string, seq: number): string | Uint8Array {
  const text = `${prefix}${seq}:${seq % 100 === 99 ? 'p'.repeat(40_000) : ''}`
  return seq % 7 === 3 ? new TextEncoder().encode(text) : text
}
/** The sequence number, checking the message arrived as the type it was sent as. */
function seqOf(data: unknown): number {
  const text = typeof data === 'string' ? data : new TextDecoder().decode(data as ArrayBuffer | Uint8Array)
  const seq = Number(text.slice(1, text.indexOf(':')))
  if ((typeof data !== 'string') !== (seq % 7 === 3)) throw new Error(`message ${seq} arrived as ${typeof data === 'string' ? 'text' : 'binary'}`)
  return seq
}

/** What a receiver got, against the n messages sent (numbered 0 … n − 1): each count must be 0. */
function tally(got: readonly number[], n: number): { lost: number; duplicated: number; reordered: number } {
  const seen = new Set<number>()
  let duplicated = 0
  let reordered = 0
  for (const [i, seq] of got.entries()) {
    if (seen.has(seq)) duplicated++
    else if (i > 0 && seq < got[i - 1]!) reordered++
    seen.add(seq)
  }
  let lost = 0
  for (let seq = 0; seq < n; seq++) if (!seen.has(seq)) lost++
  return { lost, duplicated, reordered }
}

/**
 * The fault run at `rate` messages a second each way: the sends are paced by the clock (every
 * 10 ms, as many as are due), so a late timer makes a bigger burst, never a lower offered rate.
 */
async function faultRun(rate: number): Promise<void> {
  const store = memoryStore()
  // server side: what the application got, and a sender on the session (the restored one after a restart)
  const serverGot: number[] = []
  let current: Session | undefined
  const onSession = (s: Session): void => {
    current = s
    s.on('message', (data) => void serverGot.push(seqOf(data)))
  }
  let server = await startServer(0, store, onSession)
  const port = server.port
  cleanups.push(() => {
    server.sessions.close()
    // a connection still in its close handshake would hold wss.close() for ws's 30 s close timeout
    for (const ws of server.wss.clients) ws.terminate()
    return new Promise((resolve) => server.wss.close(() => resolve()))
  })
  const proxy: FaultProxy = createFaultProxy({ target: { port } })
  await proxy.start()
  cleanups.push(() => proxy.close())

  const socket: LifelineSocket = createSocket({
    url: `ws://127.0.0.1:${proxy.port}`,
    session: session(),
    backoff: { initialDelay: 50, maxDelay: 200 },
    connectTimeout: 2_000,
    queue: { maxMessages: 200_000, maxBytes: 256 << 20 },
  })
  cleanups.push(() => socket.close())
  const clientGot: number[] = []
  const opens: boolean[] = []
  const drops: unknown[] = []
  const errors: string[] = []
  const closes: number[] = []
  socket.on('close', ({ code }) => void closes.push(code))
  socket.on('message', (data) => void clientGot.push(seqOf(data)))
  socket.on('open', ({ resumed, session: withSession }) => {
    expect(withSession).toBe(true)
    opens.push(resumed)
  })
  socket.on('drop', (info) => void drops.push(info))
  socket.on('error', (error) => void errors.push(error.message))

  // `rate` messages a second each way; the server's sender catches up after a restart
  let up = 0
  let down = 0
  let serverSending = true
  const started = performance.now()
  const pump = setInterval(() => {
    const due = Math.floor(((performance.now() - started) * rate) / 1000)
    while (up < due) socket.send(payload('c', up++))
    if (serverSending && current) while (down < due) current.send(payload('s', down++))
  }, 10)
  cleanups.push(() => clearInterval(pump))

  const describe = (): string => `opens ${JSON.stringify(opens)}, client got ${clientGot.length}/${down}, server got ${serverGot.length}/${up}, errors ${JSON.stringify(errors.slice(-3))}`
  // 0.3 s of traffic both ways after each fault
  const flowing = async (what: string): Promise<void> => {
    const [c, s] = [clientGot.length, serverGot.length]
    const more = rate * 0.3
    await waitFor(() => clientGot.length >= c + more && serverGot.length >= s + more, 10_000, `traffic both ways ${what}`, { describe })
  }
  // a new open since `mark` (opens.length before the fault): a loaded machine may add a resume, so counts are relative
  const reopened = (mark: number, what: string): Promise<void> => waitFor(() => opens.length > mark, 10_000, `an open ${what}`, { describe })
  let mark = 0

  await reopened(0, 'at the start')
  await flowing('at the start')

  mark = opens.length
  proxy.reset() // TCP RST both ways
  await reopened(mark, 'after a reset')
  await flowing('after a reset')

  mark = opens.length
  for (const ws of server.wss.clients) ws.terminate() // the server kills the connection
  await reopened(mark, 'after the server killed the connection')
  await flowing('after a kill')

  /**
   * A fault only the client's watchdog notices: wait for its error (one raised since the fault
   * began: an earlier one, from a loaded machine's stall with its own resume counted before the
   * mark, would end the wait at once and heal() would come before any byte was lost), then heal.
   */
  const noticedByWatchdog = async (fault: () => void, what: string): Promise<void> => {
    const noticed = errors.length
    mark = opens.length
    fault()
    await waitFor(() => errors.slice(noticed).some((e) => e.includes('nothing from the server')), 10_000, `the client to notice ${what}`, { describe })
    proxy.heal()
    await reopened(mark, `after ${what}`)
    await flowing(`after ${what}`)
  }
  await noticedByWatchdog(() => proxy.silence(), 'a silence') // half-open: nothing either way, no FIN, no RST
  // one-way loss towards the client: it hears no PING and leaves by its own watchdog
  await noticedByWatchdog(() => proxy.drop('down'), 'a lost downlink')

  // one-way loss towards the server: it hears no PONG and drops the connection (its close still reaches the client)
  const closed = closes.length
  mark = opens.length
  proxy.drop('up')
  await waitFor(() => closes.length > closed, 10_000, 'the server to drop the connection with a lost uplink', { describe })
  proxy.heal()
  await reopened(mark, 'after a lost uplink')
  await flowing('after a lost uplink')

  // a restart in the same process, same store: the session resumes from the record it left
  // the application stops sending on the old server's session object: the new server announces the restored one
  serverSending = false
  current = undefined
  mark = opens.length
  await crash(server)
  server = await startServer(port, store, onSession)
  serverSending = true
  await reopened(mark, 'after a restart')
  await flowing('after a restart')

  // a drain: each client moves after the delay the server chose in [0, within), then at once (no backoff on top)
  // (every new attempt with its cause and how many retry waits came before it)
  const moves: Array<{ cause: string; at: number; waits: number }> = []
  let waits = 0
  const stopWatching = [
    socket.on('state', (next, _prev, _reason, cause) => {
      if (next === 'connecting') moves.push({ cause, at: Date.now(), waits })
    }),
    socket.on('reconnecting', () => void waits++),
  ]
  // a stall on a loaded machine may end the connection before the DRAIN reaches it (drain() tells
  // the connections open at that moment): then the move was a retry, and the drain is asked again
  let drainedAt = 0
  for (let tries = 0; tries < 3 && moves[0]?.cause !== 'drain'; tries++) {
    moves.length = 0
    waits = 0
    drainedAt = Date.now()
    mark = opens.length
    void server.sessions.drain({ within: 200 })
    await reopened(mark, 'after a drain')
  }
  for (const stop of stopWatching) stop()
  // the drain's move, with no retry wait before it (a loaded machine may add an unrelated resume after it)
  expect(moves[0]).toMatchObject({ cause: 'drain', waits: 0 })
  // within the server's window (+ 1 s of grace for a loaded machine): the server's jitter is the only wait
  expect(moves[0]!.at - drainedAt).toBeLessThan(200 + 1_000)
  await flowing('after a drain')

  clearInterval(pump)
  const seconds = (performance.now() - started) / 1000
  await waitFor(() => clientGot.length >= down && serverGot.length >= up, 15_000, 'everything delivered', { describe })
  expect(drops).toEqual([])
  // one connection per fault at least; a loaded machine may stall the client past the server's
  // interval + timeout once more (an extra resume): every connection after the first resumed
  expect(opens.length).toBeGreaterThanOrEqual(8)
  expect(opens).toEqual([false, ...opens.slice(1).map(() => true)])
  // counted at both ends: nothing missing, repeated or out of order
  expect({ server: tally(serverGot, up), client: tally(clientGot, down) }).toEqual({
    server: { lost: 0, duplicated: 0, reordered: 0 },
    client: { lost: 0, duplicated: 0, reordered: 0 },
  })
  // exactly once, in order: each side got 0, 1, 2, … with nothing missing or repeated
  expect(clientGot.length).toBe(down)
  expect(serverGot.length).toBe(up)
  expect(clientGot.every((seq, i) => seq === i)).toBe(true)
  expect(serverGot.every((seq, i) => seq === i)).toBe(true)
  console.log(`session end to end at ${rate}/s: ${up} messages up, ${down} down in ${seconds.toFixed(1)} s (${Math.round(up / seconds)}/s offered), ${opens.length} connections, 0 lost/duplicated/reordered`)
}

describe('session client end to end', () => {
  it('1,000 msgs/s both ways through reset, kill, silence, one-way loss both ways, restart and drain: 0 lost, 0 duplicated, 0 reordered', () => faultRun(1_000), 60_000)

  it('4,000 msgs/s both ways through the same faults: 0 lost, 0 duplicated, 0 reordered, counted at both ends', () => faultRun(4_000), 60_000)

  it("a server without sessions: the default fallback gives up with an error saying so; 'plain' opens a plain socket", async () => {
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 })
    await new Promise((resolve) => wss.once('listening', resolve))
    cleanups.push(() => new Promise((resolve) => wss.close(() => resolve(undefined))))
    wss.on('connection', (ws) => ws.on('message', (data) => ws.send(`echo ${String(data)}`)))
    const url = `ws://127.0.0.1:${(wss.address() as AddressInfo).port}`

    const strict = createSocket({ url, session: session() })
    cleanups.push(() => strict.close())
    const errors: string[] = []
    const giveups: unknown[] = []
    strict.on('error', (e) => void errors.push(e.message))
    strict.on('giveup', (info) => void giveups.push(info.reason))
    await waitFor(() => giveups.length === 1, 5_000, 'giveup')
    expect(errors[0]).toMatch(/^the server took the lifeline\.v1 subprotocol but answered HELLO with something other than WELCOME .*: it has no sessions/)
    expect(giveups).toEqual(['close-code'])

    const plain = createSocket({ url, session: session({ fallback: 'plain' }) })
    cleanups.push(() => plain.close())
    const opens: unknown[] = []
    const got: unknown[] = []
    plain.on('open', (info) => void opens.push(info))
    plain.on('message', (data) => void got.push(data))
    plain.send('hi')
    await waitFor(() => got.length === 1, 5_000, 'the echo')
    expect(opens).toEqual([{ protocol: '', extensions: '', resumed: false, session: false }])
    expect(got).toEqual(['echo hi'])
  })

  it('close() ends the session on the server at once (END), with every message handled', async () => {
    const store = memoryStore()
    const got: unknown[] = []
    const ended: string[] = []
    const server = await startServer(0, store, (s) => {
      s.on('message', (data) => void got.push(data))
      s.on('close', (reason) => void ended.push(reason))
    })
    cleanups.push(() => {
      server.sessions.close()
      return new Promise((resolve) => server.wss.close(() => resolve()))
    })
    const socket = createSocket({ url: `ws://127.0.0.1:${server.port}`, session: session() })
    for (let i = 0; i < 100; i++) socket.send(`m${i}`)
    await waitFor(() => got.length === 100, 5_000, 'the messages')
    socket.close()
    await waitFor(() => ended.length === 1, 5_000, 'the session to end')
    expect(ended).toEqual(['client'])
    expect(server.sessions.size).toBe(0)
    expect(store.size).toBe(0)
  })
})
