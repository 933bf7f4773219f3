// The benchmark server, run as a child process (fork) so that it never shares a thread with the
// clients it measures. 127.0.0.1 only. Paths:
//   /sink?n=N   counts the messages of each connection; after N it sends 'done' (send throughput)
//   /push       on 'push:N:SIZE' sends N text messages of SIZE bytes: pre-encoded frames written
//               straight to the TCP socket in 1 MiB chunks (see pushFrames), so the client is the bottleneck
//   /idle       nothing (memory, CPU); ws answers pings by itself
//   /flap       accepts, then closes at once (1000)
// Every upgrade is timestamped (ms since the last 'start'/'mark'), with the client id from ?c=.
// IPC commands: { cmd: 'stop' } terminates every connection and closes the listener; { cmd: 'start' }
// listens again on the same port; { cmd: 'mark' } restarts the clock; { cmd: 'log' } returns and
// clears the arrival log; { cmd: 'count' } returns the open connection count.
import http from 'node:http'
import { WebSocketServer } from 'ws'

const requestedPort = Number(process.argv[2] ?? 0)
let port = requestedPort
let epoch = performance.now()
/** @type {[number, string][]} */
let arrivals = []
let httpServer
let wss

function listen() {
  return new Promise((resolve, reject) => {
    httpServer = http.createServer((_, res) => res.writeHead(426).end())
    wss = new WebSocketServer({ server: httpServer, perMessageDeflate: false })
    wss.on('connection', onConnection)
    wss.on('error', () => {})
    httpServer.once('error', reject)
    httpServer.listen(port, '127.0.0.1', 4096, () => {
      port = httpServer.address().port
      resolve(port)
    })
  })
}

function onConnection(ws, req) {
  const url = new URL(req.url, 'http://x')
  arrivals.push([performance.now() - epoch, url.searchParams.get('c') ?? ''])
  ws.on('error', () => {})
  switch (url.pathname) {
    case '/sink': {
      const n = Number(url.searchParams.get('n'))
      let count = 0
      ws.on('message', () => {
        if (++count === n) {
          count = 0
          ws.send('done')
        }
      })
      return
    }
    case '/push':
      ws.on('message', (data) => {
        const [, n, size] = String(data).split(':').map(Number)
        pushFrames(ws._socket, n, size)
      })
      return
    case '/flap':
      ws.close(1000, 'flap')
      return
    default:
      return
  }
}

/** size → { chunk: a Buffer of many identical pre-encoded text frames, frameBytes, perChunk } */
const chunks = new Map()

/** One unmasked server→client text frame (FIN + opcode 1) of `size` bytes of 'x'. */
function textFrame(size) {
  const header = size < 126 ? Buffer.from([0x81, size]) : size < 65536 ? Buffer.from([0x81, 126, size >> 8, size & 255]) : null
  if (!header) throw new RangeError(`push: size ${size} is above 65,535`)
  return Buffer.concat([header, Buffer.alloc(size, 'x')])
}

function chunkFor(size) {
  let c = chunks.get(size)
  if (!c) {
    const frame = textFrame(size)
    const perChunk = Math.max(1, Math.floor((1 << 20) / frame.length))
    c = { chunk: Buffer.concat(Array.from({ length: perChunk }, () => frame)), frameBytes: frame.length, perChunk }
    chunks.set(size, c)
  }
  return c
}

/**
 * Write `n` text frames of `size` bytes to the connection's TCP socket, bypassing ws's sender: the
 * frames are encoded once (a 1 MiB Buffer of them) and written whole, waiting for 'drain' when the
 * socket's buffer is full. ws's per-message send() tops out near 3M msgs/s, close to what the
 * fastest client reads; written this way the server reaches several times that (the 'server
 * ceiling' row of the receive part). Every write holds whole frames, so a pong ws writes in
 * between still lands on a frame boundary.
 */
function pushFrames(socket, n, size) {
  const { chunk, frameBytes, perChunk } = chunkFor(size)
  let left = n
  const pump = () => {
    while (left > 0 && !socket.destroyed) {
      const k = Math.min(left, perChunk)
      left -= k
      if (!socket.write(k === perChunk ? chunk : chunk.subarray(0, k * frameBytes))) return void socket.once('drain', pump)
    }
  }
  pump()
}

async function stop() {
  for (const ws of wss.clients) ws.terminate()
  await new Promise((resolve) => wss.close(() => resolve()))
  await new Promise((resolve) => httpServer.close(() => resolve()))
  httpServer.closeAllConnections?.()
}

process.on('message', async (message) => {
  const { cmd, id } = message
  let result
  switch (cmd) {
    case 'stop':
      await stop()
      break
    case 'start':
      for (let i = 0; ; i++) {
        try {
          await listen()
          break
        } catch (error) {
          if (i > 50) throw error
          await new Promise((r) => setTimeout(r, 20))
        }
      }
      epoch = performance.now()
      break
    case 'mark':
      epoch = performance.now()
      break
    case 'log':
      result = arrivals
      arrivals = []
      break
    case 'count':
      result = wss.clients.size
      break
    case 'exit':
      process.exit(0)
  }
  process.send({ id, result })
})
process.on('disconnect', () => process.exit(0))

await listen()
process.send({ ready: true, port })
