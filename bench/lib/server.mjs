// The benchmark server, run as a child process (fork) so that it never shares a thread with the
// clients it measures. 127.0.0.1 only. Paths:
//   /sink?n=N   counts the messages of each connection; after N it sends 'done' (send throughput)
//   /push       on 'push:N:SIZE' sends N text messages of SIZE bytes, paced by its bufferedAmount
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
        // one Buffer sent as a text frame: the server does no per-message encoding
        const payload = Buffer.from('x'.repeat(size))
        let sent = 0
        // batches of 256 frames in one corked write (ws's internal TCP socket), so that the
        // server is not the bottleneck; paused while more than 1 MiB is buffered
        const socket = ws._socket
        const pump = () => {
          while (sent < n && ws.readyState === 1) {
            socket.cork()
            for (const end = Math.min(n, sent + 256); sent < end; sent++) ws.send(payload, { binary: false })
            socket.uncork()
            if (ws.bufferedAmount > 1 << 20) return setImmediate(pump)
          }
        }
        pump()
      })
      return
    case '/flap':
      ws.close(1000, 'flap')
      return
    default:
      return
  }
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
