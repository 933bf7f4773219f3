// One library in its own process (run with --expose-gc): open idle connections to the benchmark
// server (another process) and report heap and RSS per connection at each count.
// Args: lib port counts(comma-separated) [heartbeatInterval] [cpuSeconds]
// Each connection is created with the library's defaults (lifeline-ws: heartbeat ON, default
// interval), holding nothing but the library's own object and one shared 'open' listener, so that
// the figures are the library's, not the benchmark's. With cpuSeconds, it then measures the CPU
// this process uses while idle (process.cpuUsage) in windows of heartbeatInterval.
import { WebSocket as WS } from 'ws'
import { createSocket } from 'lifeline-ws'
import { createSocket as createWithSharedTimers } from 'lifeline-ws/core'
import RWS from 'reconnecting-websocket'
import PartySocketWS from 'partysocket/ws'
import { ArrayQueue, ConstantBackoff, WebsocketBuilder, WebsocketEvent } from 'websocket-ts'
import { fail, report } from '../lib/spawn.mjs'
import { fullGc, sleep } from '../lib/util.mjs'

if (typeof globalThis.WebSocket === 'undefined') globalThis.WebSocket = WS

const [lib, port, countsArg, intervalArg, cpuArg] = process.argv.slice(2)
const counts = countsArg.split(',').map(Number)
const interval = Number(intervalArg || 0)
const cpuSeconds = Number(cpuArg || 0)
const url = `ws://127.0.0.1:${port}/idle`
const BATCH = 250
let opened = 0
const onOpen = () => opened++
const noop = () => {}

function create() {
  switch (lib) {
    case 'ws': {
      const ws = new WS(url)
      ws.onopen = onOpen
      ws.onerror = noop
      return ws
    }
    case 'ws-ping': {
      // the floor for a heartbeat: raw ws pinging every interval from its own timer
      const ws = new WS(url)
      ws.onopen = onOpen
      ws.onerror = noop
      ws.on('pong', noop)
      const timer = setInterval(() => ws.readyState === 1 && ws.ping(), interval)
      ws.on('close', () => clearInterval(timer))
      return ws
    }
    case 'lifeline-ws': {
      const s = createSocket(interval ? { url, heartbeat: { interval } } : { url })
      s.on('open', onOpen)
      return s
    }
    case 'ab-distinct': {
      // no two sockets with equal options, so option interning shares nothing: defaults otherwise,
      // each value off by the socket's number of ms or bytes (no effect on an idle connection)
      const i = ++made
      const s = createSocket({ url, connectTimeout: 10_000 + i, backoff: { maxDelay: 5_000 + i }, queue: { maxBytes: 1_048_576 + i }, heartbeat: { timeout: 10_000 + i } })
      s.on('open', onOpen)
      return s
    }
    case 'ab-shared-timer':
    case 'ab-own-timer': {
      const s = (lib === 'ab-own-timer' ? createWithOwnTimers : createWithSharedTimers)({ url, ...ports })
      s.on('open', onOpen)
      return s
    }
    case 'reconnecting-websocket':
    case 'partysocket': {
      const s = new (lib === 'partysocket' ? PartySocketWS : RWS)(url, undefined, { WebSocket: WS })
      s.addEventListener('open', onOpen)
      s.addEventListener('error', noop)
      return s
    }
    case 'websocket-ts': {
      const s = new WebsocketBuilder(url).withBuffer(new ArrayQueue()).withBackoff(new ConstantBackoff(1000)).build()
      s.addEventListener(WebsocketEvent.open, onOpen)
      s.addEventListener(WebsocketEvent.error, noop)
      return s
    }
  }
  throw new Error(`unknown library ${lib}`)
}

// The A/B arms (parts/ab-memory.mjs). The timer arms pass the same explicit ports (plain ws, one
// clock object, one random) so that both intern alike: lifeline-ws/core keeps every socket's
// timers in one shared scheduler; the worker build gives each socket its own port timer (ownTimer).
const ports = {
  WebSocket: WS,
  timer: { setTimeout: (callback, ms) => setTimeout(callback, ms), clearTimeout: (handle) => clearTimeout(handle), now: Date.now, monotonic: () => performance.now() },
  random: Math.random,
}
const createWithOwnTimers = lib === 'ab-own-timer' ? (await import(new URL('../../dist/worker.mjs', import.meta.url))).createSocket : undefined
let made = 0

const clients = []
async function openUpTo(n) {
  while (clients.length < n) {
    const target = Math.min(n, clients.length + BATCH)
    while (clients.length < target) clients.push(create())
    const deadline = Date.now() + 30_000
    while (opened < clients.length) {
      if (Date.now() > deadline) throw new Error(`${lib}: ${clients.length - opened} connections did not open`)
      await sleep(2)
    }
  }
}

function sample() {
  fullGc()
  const m = process.memoryUsage()
  return { heap: m.heapUsed, rss: m.rss }
}

try {
  // warm-up: one batch opened, so lazily created shared state is in the baseline, then closed. A
  // batch, not one: what a process makes once, however many connections it holds (the code V8
  // compiles for the open path once it is hot, the server's address cache...), is not a
  // connection's, and with one connection it was made while the first 2,000 opened (up to ~300 B
  // per connection at 2,000, ~60 B at 10,000)
  await openUpTo(BATCH)
  for (const client of clients.splice(0)) client.close()
  opened = 0
  await sleep(300)
  const base = sample()
  const results = []
  for (const count of counts) {
    const t = performance.now()
    await openUpTo(count)
    const openMs = performance.now() - t
    await sleep(200)
    const m = sample()
    results.push({ count, heapPer: (m.heap - base.heap) / count, rssPer: (m.rss - base.rss) / count, openMs })
  }
  let cpu
  if (cpuSeconds) {
    // idle CPU: windows of one heartbeat interval each, after one interval to settle
    await sleep(interval)
    const windows = []
    const start = process.cpuUsage()
    for (let t = 0; t < cpuSeconds * 1000; t += interval) {
      const before = process.cpuUsage()
      const wall = performance.now()
      await sleep(interval)
      const used = process.cpuUsage(before)
      windows.push({ cpuMs: (used.user + used.system) / 1000, wallMs: performance.now() - wall })
    }
    const total = process.cpuUsage(start)
    cpu = { windows, totalMs: (total.user + total.system) / 1000, stillOpen: clients.filter((c) => c.state === 'open' || c.readyState === 1).length }
  }
  report({ results, cpu })
} catch (error) {
  fail(error)
}
