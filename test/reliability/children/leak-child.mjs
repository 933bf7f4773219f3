// Child process for test/reliability/leaks.test.ts, run as `node --expose-gc leak-child.mjs <mode>`
// against the BUILT package (dist/, through the package's self-reference). It prints progress on
// stderr and one JSON line `RESULT {...}` on stdout. Modes:
//
//   after-close  one scenario after another (open with every timer armed, connecting, backoff,
//                a close handshake on a dead link, after reconnect(), after a giveup, closed by an
//                AbortSignal): process.getActiveResourcesInfo(), process listeners and AbortSignal
//                listeners compared before the socket and after close() has finished
//   cycles       N create → open → close cycles against a local server: heap after GC and active
//                resources after a warm-up and at the end
//   backoff      one socket that is never closed, its server gone for good: fast backoff, thousands
//                of attempts, a full bounded queue; heap after GC at two points
import { getEventListeners, once } from 'node:events'
import { createServer } from 'node:http'
import net from 'node:net'
import { WebSocketServer } from 'ws'
import { createSocket } from 'lifeline-ws'
import { monitor } from 'lifeline-ws/monitor'
import { closeOn } from 'lifeline-ws/promises'
import { createFaultProxy } from '../../support/fault-proxy.mjs'

const mode = process.argv[2]
const N = Number(process.argv[3] ?? 10_000)
const log = (...args) => console.error('[leak-child]', ...args)
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

if (typeof globalThis.gc !== 'function') throw new Error('run with --expose-gc')
// the first write to stdout/stderr creates their handles: do it before any baseline is taken
log(`mode ${mode}`)
process.stdout.write('')
async function heap() {
  // several rounds: finalizers and weak callbacks can free more on a later round
  for (let i = 0; i < 4; i++) {
    globalThis.gc()
    await sleep(10)
  }
  return process.memoryUsage().heapUsed
}

function resources() {
  const counts = {}
  for (const name of process.getActiveResourcesInfo()) counts[name] = (counts[name] ?? 0) + 1
  return counts
}
function processListeners() {
  const counts = {}
  for (const name of process.eventNames()) counts[String(name)] = process.listenerCount(name)
  return counts
}

/** Resolve when `predicate()` holds (polled), reject after `ms`. */
async function until(predicate, ms, what) {
  const deadline = Date.now() + ms
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`)
    await sleep(5)
  }
}
/** The next `event` of a lifeline socket, bounded. */
function next(socket, event, ms = 3_000) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off()
      reject(new Error(`no '${event}' within ${ms} ms (state ${socket.state})`))
    }, ms)
    const off = socket.on(event, (...args) => {
      clearTimeout(timer)
      off()
      resolve(args)
    })
  })
}

// ── servers in this process ────────────────────────────────────────────────────────────────────
async function wsServer(onConnection) {
  const sockets = new Set()
  const http = createServer((_req, res) => res.writeHead(426).end())
  http.on('connection', (socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  })
  const wss = new WebSocketServer({ server: http })
  wss.on('connection', (ws, req) => {
    ws.on('error', () => {})
    onConnection?.(ws, req)
  })
  http.listen(0, '127.0.0.1')
  await once(http, 'listening')
  const { port } = http.address()
  return {
    port,
    url: `ws://127.0.0.1:${port}/`,
    sockets,
    async close() {
      for (const ws of wss.clients) ws.terminate()
      for (const s of sockets) s.destroy()
      await new Promise((resolve) => wss.close(() => http.close(() => resolve())))
      await until(() => sockets.size === 0, 2_000, 'server sockets to close')
    },
  }
}
async function silentServer() {
  const sockets = new Set()
  const server = net.createServer((socket) => {
    sockets.add(socket)
    socket.on('error', () => {})
    socket.on('close', () => sockets.delete(socket))
    socket.resume()
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address()
  return {
    url: `ws://127.0.0.1:${port}/`,
    sockets,
    async close() {
      for (const s of sockets) s.destroy()
      await new Promise((resolve) => server.close(() => resolve()))
    },
  }
}
async function refusedPort() {
  const server = net.createServer()
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address()
  await new Promise((resolve) => server.close(() => resolve()))
  return port
}
/** Two turns of setImmediate: libuv releases closed handles in the loop's close phase. */
const settle = () => new Promise((resolve) => setImmediate(() => setImmediate(resolve)))

// ── after-close ────────────────────────────────────────────────────────────────────────────────
async function afterClose() {
  const echo = await wsServer((ws) => ws.on('message', (d) => ws.send(d)))
  const stop1008 = await wsServer((ws) => ws.close(1008, 'policy'))
  const silent = await silentServer()
  const refused = await refusedPort()
  const proxy = createFaultProxy({ target: { host: '127.0.0.1', port: echo.port } })
  const proxyPort = await proxy.start()
  const quiet = { heartbeat: { interval: 200, timeout: 200 }, connectTimeout: 1_000, backoff: { initialDelay: 50, maxDelay: 100 } }
  const results = []

  async function scenario(name, run, serverSideSockets) {
    await settle()
    const before = resources()
    const listenersBefore = processListeners()
    const info = await run()
    await until(() => serverSideSockets().size === 0, 3_000, `${name}: the server's side to close`)
    await settle()
    await sleep(20)
    await settle()
    const after = resources()
    const listenersAfter = processListeners()
    const grown = {}
    for (const [k, v] of Object.entries(after)) if (v > (before[k] ?? 0)) grown[k] = v - (before[k] ?? 0)
    const listenersGrown = {}
    for (const [k, v] of Object.entries(listenersAfter)) if (v > (listenersBefore[k] ?? 0)) listenersGrown[k] = v - (listenersBefore[k] ?? 0)
    results.push({ name, before, after, grown, listenersGrown, ...info })
    log(name, JSON.stringify({ grown, listenersGrown, ...info }))
  }

  await scenario(
    'open with every timer armed, then close()',
    async () => {
      const controller = new AbortController()
      const socket = createSocket({
        url: echo.url,
        ...quiet,
        heartbeat: { interval: 1_000, timeout: 1_000 },
        idleTimeout: 10_000,
        maxLifetime: 60_000,
        queue: { ttl: 60_000 },
      })
      closeOn(socket, controller.signal)
      socket.send('queued with a ttl')
      await next(socket, 'open')
      await next(socket, 'message')
      const abortListenersOpen = getEventListeners(controller.signal, 'abort').length
      const closed = next(socket, 'close')
      socket.close(1000, 'done')
      const [close] = await closed
      return { close, abortListenersOpen, abortListenersAfter: getEventListeners(controller.signal, 'abort').length }
    },
    () => echo.sockets,
  )

  await scenario(
    'connecting (the upgrade is never answered), then close()',
    async () => {
      const socket = createSocket({ url: silent.url, ...quiet, connectTimeout: 10_000 })
      await until(() => silent.sockets.size === 1, 2_000, 'the TCP connection')
      socket.close()
      return { state: socket.state }
    },
    () => silent.sockets,
  )

  await scenario(
    'backoff against a refused port, then close()',
    async () => {
      const socket = createSocket({ url: `ws://127.0.0.1:${refused}/`, ...quiet, backoff: { initialDelay: 5_000, maxDelay: 5_000 } })
      await next(socket, 'reconnecting')
      socket.close()
      return { state: socket.state }
    },
    () => new Set(),
  )

  await scenario(
    'close() on a dead link (the handshake never completes): the closing deadline',
    async () => {
      const socket = createSocket({ url: `ws://127.0.0.1:${proxyPort}/`, ...quiet, heartbeat: { interval: 5_000, timeout: 300 } })
      await next(socket, 'open')
      proxy.silence()
      const closed = next(socket, 'close', 3_000)
      socket.close()
      const [close] = await closed
      proxy.heal() // the server's stale side is reset now
      return { close }
    },
    () => echo.sockets,
  )

  await scenario(
    'after reconnect() (the old socket lingers at most closeTimeout), then close()',
    async () => {
      const socket = createSocket({ url: echo.url, ...quiet })
      await next(socket, 'open')
      socket.reconnect()
      await next(socket, 'open')
      const closed = next(socket, 'close')
      socket.close()
      await closed
      return {}
    },
    () => echo.sockets,
  )

  await scenario(
    'gave up by itself (server closes with 1008)',
    async () => {
      const socket = createSocket({ url: stop1008.url, ...quiet })
      const [giveup] = await next(socket, 'giveup')
      return { giveup: giveup.reason, state: socket.state }
    },
    () => stop1008.sockets,
  )

  await scenario(
    'closed by its AbortSignal while open',
    async () => {
      const controller = new AbortController()
      const socket = createSocket({ url: echo.url, ...quiet })
      closeOn(socket, controller.signal)
      await next(socket, 'open')
      const closed = next(socket, 'close')
      controller.abort()
      const [close] = await closed
      return { close, abortListenersAfter: getEventListeners(controller.signal, 'abort').length }
    },
    () => echo.sockets,
  )

  await proxy.close()
  await Promise.all([echo.close(), stop1008.close(), silent.close()])
  return { results }
}

// ── cycles ─────────────────────────────────────────────────────────────────────────────────────
async function cycles() {
  const server = await wsServer()
  const PARALLEL = 25
  let done = 0
  async function cycle() {
    const socket = createSocket({ url: server.url, heartbeat: { interval: 1_000, timeout: 1_000 }, connectTimeout: 2_000, idleTimeout: 60_000 })
    await next(socket, 'open')
    socket.send('x')
    const closed = next(socket, 'close')
    socket.close()
    const [close] = await closed
    if (close.code !== 1000 || !close.wasClean) throw new Error(`cycle ${done}: unexpected close ${JSON.stringify(close)}`)
    done++
  }
  async function run(count) {
    let started = 0
    await Promise.all(
      Array.from({ length: PARALLEL }, async () => {
        while (started < count) {
          started++
          await cycle()
        }
      }),
    )
  }
  const t0 = Date.now()
  const WARMUP = Math.min(1_000, Math.ceil(N / 10))
  await run(WARMUP)
  await until(() => server.sockets.size === 0, 3_000, 'warm-up connections to close')
  await settle()
  const heapStart = await heap()
  const resourcesStart = resources()
  const t1 = Date.now()
  await run(N)
  const t2 = Date.now()
  await until(() => server.sockets.size === 0, 3_000, 'the server side of every connection to close')
  await settle()
  const heapEnd = await heap()
  const resourcesEnd = resources()
  await server.close()
  return { cycles: N, warmup: WARMUP, done, heapStart, heapEnd, growth: heapEnd - heapStart, resourcesStart, resourcesEnd, ms: t2 - t1, warmupMs: t1 - t0 }
}

// ── backoff ────────────────────────────────────────────────────────────────────────────────────
async function backoff() {
  const port = await refusedPort()
  const socket = createSocket({
    url: `ws://127.0.0.1:${port}/gone`,
    heartbeat: { interval: 1_000, timeout: 1_000 },
    backoff: { initialDelay: 10, maxDelay: 10, jitter: 'full' }, // the smallest initialDelay allowed
    queue: { maxMessages: 100, overflow: 'drop-oldest' },
  })
  const watch = monitor(socket)
  let errors = 0
  let drops = 0
  socket.on('error', () => errors++)
  socket.on('drop', () => drops++)
  // keep the queue full: a message every 2 ms, older ones evicted
  let sent = 0
  const sender = setInterval(() => {
    socket.send(`message ${sent++}`)
  }, 2)
  const attempts = () => watch.stats().attempts.total
  const t0 = Date.now()
  await until(() => attempts() >= N / 4, 30_000, `${N / 4} attempts`)
  const first = { attempts: attempts(), heap: await heap(), resources: resources(), queued: socket.queued }
  await until(() => attempts() >= N, 30_000, `${N} attempts`)
  const second = { attempts: attempts(), heap: await heap(), resources: resources(), queued: socket.queued }
  const ms = Date.now() - t0
  clearInterval(sender)
  const state = socket.state
  const history = watch.history().length
  socket.close()
  return { first, second, growth: second.heap - first.heap, ms, errors, drops, sent, state, history }
}

const modes = { 'after-close': afterClose, cycles, backoff }
if (!modes[mode]) throw new Error(`unknown mode ${mode}`)
const result = await modes[mode]()
process.stdout.write(`RESULT ${JSON.stringify(result)}\n`)
await settle()
process.stdout.write(`RESOURCES_AT_EXIT ${JSON.stringify(resources())}\n`)
process.exit(0)
