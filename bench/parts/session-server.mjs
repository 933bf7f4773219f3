// The sessions benchmark's server (parts/session.mjs), in its own process: one `ws` server with
// lifeline-ws/server's attachSessions, so plain clients (ordinary sockets) and session clients
// reach the same process, port and code path for what they share. Args: port (0 for any).
//
// Both kinds of client speak the same text commands, so plain and session are measured alike:
//   'count:N'        the next N messages are counted; after the N-th the server sends 'done'
//   'push:N:SIZE:B'  the server sends N messages of SIZE bytes (B = 'b' binary, else text), one
//                    send() each, yielding every 1,000 while more than 1 MiB waits (plain: the
//                    socket's bufferedAmount; session: the session's unacknowledged bytes)
// IPC: 'bytes' (bytes read and written by every open connection's TCP socket), 'cpu' (this
// process's CPU time so far, µs), 'heap' (after two gc(); run with --expose-gc), 'hold' { n, size }
// (n messages into every session, whose clients are away: what a buffered message costs), 'stop'
// (terminate every connection, close the listener; sessions stay in the store) and 'start'
// (listen again on the same port, same store).
import { WebSocketServer } from 'ws'
import { attachSessions, memoryStore } from 'lifeline-ws/server'

const HIGH_WATER = 1 << 20
const requestedPort = Number(process.argv[2] ?? 0)
const store = memoryStore()
let port = requestedPort
let wss
let sessions
/** Every session the current server announced, live or away. */
const live = new Set()

function gc() {
  globalThis.gc?.()
  globalThis.gc?.()
}

/** A command handler for one client: `send` writes one message, `buffered` is what waits unacknowledged. */
function commands(send, buffered) {
  let left = 0
  return (data) => {
    if (left > 0) {
      if (--left === 0) send('done')
      return
    }
    const text = typeof data === 'string' ? data : String(data)
    if (text.startsWith('count:')) left = Number(text.slice(6))
    else if (text.startsWith('push:')) {
      const [, n, size, kind] = text.split(':')
      push(send, buffered, Number(n), kind === 'b' ? Buffer.alloc(Number(size), 120) : 'x'.repeat(Number(size)))
    }
  }
}

function push(send, buffered, n, payload) {
  let sent = 0
  const pump = () => {
    while (sent < n) {
      const end = Math.min(n, sent + 1000)
      for (; sent < end; sent++) send(payload)
      if (buffered() > HIGH_WATER) return void setImmediate(pump)
    }
  }
  pump()
}

function listen() {
  return new Promise((resolve, reject) => {
    wss = new WebSocketServer({ host: '127.0.0.1', port, perMessageDeflate: false })
    // the window is 1 MiB both ways; room for a burst that waits on acks
    sessions = attachSessions(wss, { store, maxBufferedBytes: 256 << 20, maxMessageBytes: 1 << 20 })
    sessions.on('error', (error) => process.stderr.write(`session server: ${error?.stack ?? error}\n`))
    sessions.on('session', (session) => {
      live.add(session)
      session.on('close', () => live.delete(session))
      const handle = commands((d) => void session.send(d), () => session.bufferedBytes)
      session.on('message', (data) => handle(data))
    })
    wss.on('connection', (ws) => {
      ws.on('error', () => {})
      const handle = commands((d) => ws.send(d), () => ws.bufferedAmount)
      ws.on('message', (data, isBinary) => handle(isBinary ? data : data.toString()))
    })
    wss.once('error', reject)
    wss.once('listening', () => {
      port = wss.address().port
      resolve()
    })
  })
}

process.on('message', async ({ cmd, id, n, size }) => {
  let result
  switch (cmd) {
    case 'bytes': {
      result = { read: 0, written: 0 }
      for (const ws of wss.clients) {
        result.read += ws._socket?.bytesRead ?? 0
        result.written += ws._socket?.bytesWritten ?? 0
      }
      break
    }
    case 'cpu': {
      const { user, system } = process.cpuUsage()
      result = user + system
      break
    }
    case 'heap': {
      gc()
      const m = process.memoryUsage()
      result = { heap: m.heapUsed, arrayBuffers: m.arrayBuffers, sessions: sessions.size, connections: wss.clients.size }
      break
    }
    case 'hold':
      for (const session of live) for (let i = 0; i < n; i++) void session.send('x'.repeat(size))
      break
    case 'stop':
      // as a crash would: connections gone, sessions kept in the store for the resume window
      for (const ws of wss.clients) ws.terminate()
      await new Promise((resolve) => wss.close(() => resolve()))
      live.clear()
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
      break
    case 'exit':
      process.exit(0)
  }
  process.send({ id, result })
})
process.on('disconnect', () => process.exit(0))

await listen()
process.send({ ready: true, port })
