// Issue 15: what a lifeline.v1 session costs, against the same lifeline-ws client without one, on
// the same server process (parts/session-server.mjs: a `ws` server with attachSessions, where plain
// clients are ordinary sockets):
//   a. send and receive throughput, session vs plain, paired per round (target ≥ 0.9×);
//   b. bytes on the wire per message, text and binary, each direction, acks included;
//   c. server heap per idle session (vs per plain connection) and per buffered message;
//   d. resume after a 1 s outage (the server down, then back with the same store).
import { createSocket } from 'lifeline-ws'
import { session } from 'lifeline-ws/session'
import { WebSocket } from 'ws'
import os from 'node:os'
import { start } from '../lib/spawn.mjs'
import { fmt, median, now, ratio, sleep, until } from '../lib/util.mjs'

const SERVER = new URL('./session-server.mjs', import.meta.url).pathname
const N = Number(process.env.BENCH_SESSION_N ?? 50_000)
const N_FOR = { 64: N, 4096: Math.round(N / 4) }
const SIZES = [64, 4096]
const WIRE_N = 10_000
const IDLE = Number(process.env.BENCH_SESSION_IDLE ?? 2_000)
const HELD_PER_SESSION = 50
const OUTAGE = 1_000
const TARGET = 0.9
const HIGH_WATER = 1 << 20

export async function server(execArgv = []) {
  const handle = start(SERVER, ['0'], { execArgv, timeout: 30 * 60_000 })
  const { port } = await handle.ready
  return { ...handle, port, url: `ws://127.0.0.1:${port}` }
}

/** A lifeline-ws socket, with a session or plain (heartbeat off: the framing alone, nothing else on the wire). */
async function open(url, withSession, onMessage, lifeline = {}) {
  const socket = createSocket({
    url,
    ...(withSession ? { session: session() } : { heartbeat: false }),
    queue: { maxMessages: 1 << 20, maxBytes: 1 << 30 },
    ...lifeline,
  })
  let dropped = 0
  socket.on('drop', () => dropped++)
  socket.on('message', onMessage)
  await new Promise((resolve) => {
    const off = socket.on('open', () => {
      off()
      resolve()
    })
  })
  return { socket, dropped: () => dropped }
}

// ── a. throughput ───────────────────────────────────────────────────────────────────────────────

export async function sendRate(url, withSession, n, size) {
  let finish
  const done = new Promise((resolve) => (finish = resolve))
  const { socket, dropped } = await open(url, withSession, (d) => String(d) === 'done' && finish(now()))
  const payload = 'x'.repeat(size)
  socket.send(`count:${n}`)
  const c0 = process.cpuUsage()
  const t0 = now()
  for (let i = 0; i < n; ) {
    const end = Math.min(n, i + 1000)
    for (; i < end; i++) socket.send(payload)
    do await new Promise(setImmediate)
    while (socket.bufferedAmount > HIGH_WATER)
  }
  const t1 = await Promise.race([done, sleep(60_000).then(() => NaN)])
  const cpu = process.cpuUsage(c0)
  socket.close()
  if (dropped() > 0) throw new Error(`session send (${withSession ? 'session' : 'plain'}): ${dropped()} dropped`)
  return { rate: n / ((t1 - t0) / 1000), cpu: ((cpu.user + cpu.system) * 1000) / n }
}

export async function receiveRate(url, withSession, n, size) {
  let count = 0
  let finish
  const done = new Promise((resolve) => (finish = resolve))
  const { socket } = await open(url, withSession, () => ++count === n && finish(now()))
  const c0 = process.cpuUsage()
  const t0 = now()
  socket.send(`push:${n}:${size}:t`)
  const t1 = await Promise.race([done, sleep(60_000).then(() => NaN)])
  const cpu = process.cpuUsage(c0)
  socket.close()
  return { rate: n / ((t1 - t0) / 1000), cpu: ((cpu.user + cpu.system) * 1000) / n }
}

async function throughput(rounds) {
  const srv = await server()
  const rows = {}
  try {
    for (const [what, measure] of [['send', sendRate], ['receive', receiveRate]]) {
      for (const size of SIZES) {
        const r = (rows[`${what} ${size}`] = { plain: [], session: [], cpuPlain: [], cpuSession: [] })
        await measure(srv.url, false, N_FOR[size] / 10, size) // warm-up
        await measure(srv.url, true, N_FOR[size] / 10, size)
        for (let round = 0; round < rounds; round++) {
          for (const withSession of round % 2 ? [true, false] : [false, true]) {
            const m = await measure(srv.url, withSession, N_FOR[size], size)
            r[withSession ? 'session' : 'plain'].push(m.rate)
            r[withSession ? 'cpuSession' : 'cpuPlain'].push(m.cpu)
          }
        }
      }
    }
  } finally {
    await srv.exit()
  }
  return rows
}

// ── b. bytes on the wire ────────────────────────────────────────────────────────────────────────

/** Bytes both ways per message while M messages of 64 B go one way (acks included), as the server's TCP socket counts them. */
async function wire(url, srv, withSession, direction, binary) {
  let count = 0
  let finish
  const done = new Promise((resolve) => (finish = resolve))
  const { socket } = await open(url, withSession, (d) => {
    if (direction === 'up' ? String(d) === 'done' : ++count === WIRE_N) finish()
  })
  await sleep(100) // the handshake's own frames (WELCOME, the first ACK) are out of the count
  const payload = binary ? new Uint8Array(64).fill(120) : 'x'.repeat(64)
  if (direction === 'up') socket.send(`count:${WIRE_N}`)
  const b0 = await srv.call('bytes')
  if (direction === 'up') for (let i = 0; i < WIRE_N; i++) socket.send(payload)
  else socket.send(`push:${WIRE_N}:64:${binary ? 'b' : 't'}`)
  await done
  await sleep(200) // the last coalesced ACK (ackDelay 50 ms)
  const b1 = await srv.call('bytes')
  socket.close()
  // the command (and, up, the 'done' reply) are a few dozen bytes over 10,000 messages
  return (b1.read - b0.read + b1.written - b0.written) / WIRE_N
}

async function wireBytes() {
  const srv = await server()
  const out = {}
  try {
    for (const direction of ['up', 'down']) {
      for (const binary of [false, true]) {
        const key = `${direction} ${binary ? 'binary' : 'text'}`
        out[key] = { plain: await wire(srv.url, srv, false, direction, binary), session: await wire(srv.url, srv, true, direction, binary) }
      }
    }
  } finally {
    await srv.exit()
  }
  return out
}

// ── c. server memory ────────────────────────────────────────────────────────────────────────────

/** K raw ws clients (a hand-written HELLO for sessions, answering PING), so only the server's objects are measured. */
async function openRaw(url, k, withSession) {
  const clients = []
  for (let i = 0; i < k; i += 250) {
    const batch = []
    for (let j = i; j < Math.min(k, i + 250); j++) {
      const ws = new WebSocket(url, withSession ? ['lifeline.v1'] : [])
      ws.on('error', () => {})
      batch.push(
        new Promise((resolve, reject) => {
          ws.once('open', () => {
            if (!withSession) return resolve()
            // HELLO: received 0, window 1 MiB (varint 80 80 40), no token
            ws.send(Uint8Array.of(0x20, 0x00, 0x80, 0x80, 0x40))
            ws.on('message', (data) => {
              if (data[0] === 0x21) resolve()
              else if (data[0] === 0x11) ws.send(Uint8Array.of(0x12))
            })
          })
          ws.once('close', (code) => reject(new Error(`closed with ${code} before the session opened`)))
        }),
      )
      clients.push(ws)
    }
    await Promise.all(batch)
  }
  return clients
}

async function memory() {
  const out = {}
  for (const withSession of [false, true]) {
    const srv = await server(['--expose-gc'])
    try {
      // warm-up: one connection of the kind, so lazily made shared state is in the baseline
      for (const ws of await openRaw(srv.url, 1, withSession)) ws.terminate()
      await sleep(200)
      const base = await srv.call('heap')
      const clients = await openRaw(srv.url, IDLE, withSession)
      await sleep(200)
      const idle = await srv.call('heap')
      const key = withSession ? 'session' : 'plain'
      out[key] = { perConnection: (idle.heap - base.heap) / IDLE, connections: idle.connections }
      if (withSession) {
        // every client leaves: the sessions wait for a resume, holding what is sent to them
        for (const ws of clients) ws.terminate()
        let away
        for (let i = 0; i < 500; i++) {
          away = await srv.call('heap')
          if (away.connections === 0) break
          await sleep(10)
        }
        await srv.call('hold', { n: HELD_PER_SESSION, size: 64 })
        const held = await srv.call('heap')
        const messages = HELD_PER_SESSION * IDLE
        out.session.awayPerSession = (away.heap - base.heap) / IDLE
        out.session.heldHeapPerMessage = (held.heap - away.heap) / messages
        out.session.heldBuffersPerMessage = (held.arrayBuffers - away.arrayBuffers) / messages
        out.session.sessions = held.sessions
      } else for (const ws of clients) ws.terminate()
    } finally {
      await srv.exit()
    }
  }
  return out
}

// ── d. resume after a 1 s outage ────────────────────────────────────────────────────────────────

async function resumeTrial() {
  const srv = await server()
  try {
    let doneAt
    let openedAt
    let resumed
    let lastConnecting
    const { socket } = await open(srv.url, true, (d) => String(d) === 'done' && (doneAt = now()))
    socket.on('state', (next) => next === 'connecting' && (lastConnecting = now()))
    socket.on('open', (info) => ((openedAt = now()), (resumed = info.resumed)))
    await srv.call('stop')
    // sent while the server is down: delivered after the resume, then answered
    socket.send('count:20')
    for (let i = 0; i < 20; i++) socket.send(`during the outage ${i}`)
    await sleep(OUTAGE)
    await srv.call('start')
    const back = now()
    await until(() => doneAt !== undefined, 15_000, 5, 'the messages sent during the outage')
    socket.close()
    return { resumed, open: openedAt - back, delivered: doneAt - back, handshake: openedAt - lastConnecting }
  } finally {
    await srv.exit()
  }
}

// ── the part ────────────────────────────────────────────────────────────────────────────────────

export async function run({ rounds }) {
  const load = os.loadavg()[0]
  const t = await throughput(rounds)
  const w = await wireBytes()
  const m = await memory()
  const trials = []
  for (let i = 0; i < rounds; i++) trials.push(await resumeTrial())
  const range = (xs) => `${Math.min(...xs).toFixed(2)}–${Math.max(...xs).toFixed(2)}`
  const rows = Object.entries(t).map(([key, r]) => {
    const [what, size] = key.split(' ')
    const pairs = r.session.map((x, i) => x / r.plain[i])
    const q = median(pairs)
    return [
      `${what}, ${size === '64' ? '64 B' : '4 KiB'} text`,
      fmt(median(r.plain)),
      fmt(median(r.session)),
      `${ratio(q)} (${range(pairs)})`,
      `${fmt(median(r.cpuPlain))} / ${fmt(median(r.cpuSession))}`,
      `≥ ${TARGET.toFixed(1)}×: ${q >= TARGET ? 'meets' : '**misses**'}`,
    ]
  })
  const wireRows = Object.entries(w).map(([key, b]) => {
    const [direction, kind] = key.split(' ')
    return [`${direction === 'up' ? 'client → server' : 'server → client'}, 64 B ${kind}`, fmt(b.plain, 2), fmt(b.session, 2), `+${fmt(b.session - b.plain, 2)}`]
  })
  const ok = trials.filter((x) => x.resumed)
  return {
    data: { N: N_FOR, rounds, load, throughput: t, wire: w, memory: m, resume: trials },
    tables: [
      {
        title: 'Sessions (issue 15) a. Throughput: a lifeline.v1 session vs the same client plain, same server process',
        headers: ['measure', 'plain msgs/s', 'session msgs/s', 'session vs plain (min–max, paired)', 'client CPU ns/msg plain / session', 'target'],
        rows,
        notes: [
          `${fmt(N_FOR[64])} × 64 B or ${fmt(N_FOR[4096])} × 4 KiB per run, ${rounds} rounds, plain/session order alternating, 1-minute load average ${load.toFixed(2)} at the start (a shared machine: read the min–max). Send: counted at the server (one send() per message, yielding every 1,000 while bufferedAmount > 1 MiB; for a session that includes what waits for an ACK), until its 'done' came back. Receive: the server calls send() (plain) or session.send() per message, yielding every 1,000 while more than 1 MiB waits (socket buffer, or unacknowledged); until the client's listener saw the last. Plain: heartbeat off; session: the server's defaults (ackDelay 50 ms, windows 1 MiB).`,
        ],
      },
      {
        title: 'Sessions b. Bytes on the wire per message (both directions, TCP payload as the server counts it, acks included)',
        headers: ['direction, message', 'plain B/msg', 'session B/msg', 'session overhead'],
        rows: wireRows,
        notes: [
          `${fmt(WIRE_N)} messages per figure, back to back. A client frame carries a 4-byte mask. The session's overhead is its 1-byte DATA header plus its share of the coalesced ACKs the other way (one per ackDelay or half window).`,
        ],
      },
      {
        title: 'Sessions c. Server memory (heap after two gc(), its own process)',
        headers: ['what', 'bytes'],
        rows: [
          [`heap per idle plain connection (${fmt(IDLE)})`, fmt(m.plain.perConnection)],
          [`heap per idle session connection (${fmt(IDLE)})`, fmt(m.session.perConnection)],
          ['  of which the session (vs plain)', fmt(m.session.perConnection - m.plain.perConnection)],
          ['heap per session away in its resume window (connection gone, record in memoryStore)', fmt(m.session.awayPerSession)],
          [`per buffered 64 B message (${fmt(HELD_PER_SESSION * IDLE)} held by sessions away): heap + its bytes`, `${fmt(m.session.heldHeapPerMessage)} + ${fmt(m.session.heldBuffersPerMessage)}`],
        ],
        notes: [
          'Clients are raw ws sockets in another process (a hand-written HELLO for sessions, answering PINGs), so only the server\'s objects count. A buffered message is its payload (a Buffer: its bytes outside the heap, "+" column) and its record in the session\'s outbound list.',
        ],
      },
      {
        title: `Sessions d. Resume after a ${fmt(OUTAGE / 1000)} s outage (the server stops, restarts ${fmt(OUTAGE)} ms later with the same store)`,
        headers: ['measure', 'median (min–max) ms'],
        rows: [
          ['server back → open with resumed: true', `${fmt(median(ok.map((x) => x.open)))} (${fmt(Math.min(...ok.map((x) => x.open)))}–${fmt(Math.max(...ok.map((x) => x.open)))})`],
          ['server back → the 20 messages sent during the outage handled and answered', `${fmt(median(ok.map((x) => x.delivered)))} (${fmt(Math.min(...ok.map((x) => x.delivered)))}–${fmt(Math.max(...ok.map((x) => x.delivered)))})`],
          ['the resuming attempt: connect → WELCOME (open)', `${fmt(median(ok.map((x) => x.handshake)), 1)} (${fmt(Math.min(...ok.map((x) => x.handshake)), 1)}–${fmt(Math.max(...ok.map((x) => x.handshake)), 1)})`],
          ['trials resumed', `${ok.length} of ${trials.length}`],
        ],
        notes: [
          'Client defaults (backoff 1 s ± 50 % for the first retry): most of "server back → open" is the retry timer still running when the server returns. The handshake row is the protocol\'s own cost: TCP connect, upgrade, HELLO, WELCOME.',
        ],
      },
    ],
  }
}
