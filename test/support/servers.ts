/**
 * Real servers on 127.0.0.1 with random ports for integration tests: a `ws` WebSocket server (echo
 * by default, recording what it receives), a TCP server that never answers the upgrade, a refused
 * port, and a server that closes every connection with a given code.
 *
 * Every server registers itself; `closeAllServers()` (call it in afterEach) destroys every socket
 * and closes every listener, and resolves only once they are all gone, so no handle is left behind.
 */
import http from 'node:http'
import net from 'node:net'
import { WebSocketServer, type RawData, type WebSocket } from 'ws'
import { waitFor } from './wait.js'

const HOST = '127.0.0.1'

const closers = new Set<() => Promise<void>>()

/** Close every server started through this module (idempotent). */
export async function closeAllServers(): Promise<void> {
  const all = [...closers]
  closers.clear()
  await Promise.all(all.map((close) => close()))
}

function track(close: () => Promise<void>): () => Promise<void> {
  let done: Promise<void> | undefined
  const once = (): Promise<void> => {
    closers.delete(once)
    done ??= close()
    return done
  }
  closers.add(once)
  return once
}

/** Destroy sockets and wait for each to be fully closed (its handle released). */
async function destroyAll(sockets: Iterable<net.Socket>): Promise<void> {
  await Promise.all(
    [...sockets].map((socket) => {
      if (socket.closed) return undefined
      const closed = new Promise((resolve) => socket.once('close', resolve))
      socket.destroy()
      return closed
    }),
  )
}

function listen(server: net.Server, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, HOST, () => {
      server.off('error', reject)
      resolve((server.address() as net.AddressInfo).port)
    })
  })
}

/** Close a listener; resolves once libuv has released its handle, not just on 'close'. */
function closeListener(server: net.Server): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) return resolve()
    // 'close' is emitted before the handle is released in the loop's close phase
    server.close(() => setImmediate(() => setImmediate(resolve)))
  })
}

export type Received = string | Buffer

export interface WsServerOptions {
  /** Listen on this port (0: a free one). @default 0 */
  port?: number
  /**
   * Handle a message; the default echoes it back as it came (text as text, binary as binary).
   * Every message is recorded in `received` before this runs.
   */
  onMessage?: (ws: WebSocket, data: Received, isBinary: boolean) => void
  /** Called for every accepted WebSocket connection. */
  onConnection?: (ws: WebSocket, req: http.IncomingMessage) => void
  /** Passed to ws's WebSocketServer (e.g. maxPayload). */
  wsOptions?: ConstructorParameters<typeof WebSocketServer>[0]
  /** Keep every message in `received` (a long counting run keeps its own record instead). @default true */
  keepReceived?: boolean
}

export interface TestWsServer {
  readonly port: number
  /** ws://127.0.0.1:port/ */
  readonly url: string
  /** Every message received on any connection, in arrival order (text as string, binary as Buffer). */
  readonly received: Received[]
  /** Open WebSocket connections right now. */
  readonly clients: ReadonlySet<WebSocket>
  /** WebSocket connections accepted since start (across restarts). */
  readonly connectionCount: number
  /** Every TCP socket the server currently holds (upgraded or not). */
  readonly sockets: ReadonlySet<net.Socket>
  readonly listening: boolean
  /** Destroy every connection's TCP socket abruptly: no close frame, just a FIN. */
  killConnections(): void
  /** Close the listener and destroy every socket (the port stays remembered). */
  stop(): Promise<void>
  /** Listen again on the same port. */
  start(): Promise<void>
  /** stop() then start() on the same port. */
  restart(): Promise<void>
  /** Wait until `connectionCount` reaches n. */
  waitForConnections(n: number, timeoutMs: number): Promise<void>
  /** Wait until `received.length` reaches n. */
  waitForReceived(n: number, timeoutMs: number): Promise<void>
  /** Final: stop and unregister. */
  close(): Promise<void>
}

const echo = (ws: WebSocket, data: Received, isBinary: boolean): void => {
  ws.send(data, { binary: isBinary })
}

/** A `ws` server on 127.0.0.1, echo by default, recording every message it receives. */
export async function startWsServer(options: WsServerOptions = {}): Promise<TestWsServer> {
  const onMessage = options.onMessage ?? echo
  const keepReceived = options.keepReceived ?? true
  const wss = new WebSocketServer({ ...options.wsOptions, noServer: true })
  const sockets = new Set<net.Socket>()
  const received: Received[] = []
  let connectionCount = 0
  let httpServer: http.Server | undefined
  let port = options.port ?? 0

  wss.on('connection', (ws, req) => {
    connectionCount++
    ws.on('error', () => {}) // a peer that vanishes mid-frame must not crash the test process
    ws.on('message', (raw: RawData, isBinary: boolean) => {
      const data: Received = isBinary ? toBuffer(raw) : toBuffer(raw).toString('utf8')
      if (keepReceived) received.push(data)
      onMessage(ws, data, isBinary)
    })
    options.onConnection?.(ws, req)
  })

  async function start(): Promise<void> {
    if (httpServer?.listening) return
    const server = http.createServer((_req, res) => {
      res.writeHead(426).end('upgrade required')
    })
    server.on('connection', (socket) => {
      sockets.add(socket)
      socket.on('close', () => sockets.delete(socket))
    })
    server.on('upgrade', (req, socket, head) => {
      wss.handleUpgrade(req, socket as net.Socket, head, (ws) => wss.emit('connection', ws, req))
    })
    httpServer = server
    port = await listen(server, port)
  }

  async function stop(): Promise<void> {
    const server = httpServer
    httpServer = undefined
    const closing = server ? closeListener(server) : Promise.resolve()
    for (const ws of wss.clients) ws.terminate()
    await destroyAll(sockets)
    await closing
  }

  await start()

  const close = track(async () => {
    await stop()
    await new Promise<void>((resolve) => wss.close(() => resolve()))
  })

  const self: TestWsServer = {
    get port() {
      return port
    },
    get url() {
      return `ws://${HOST}:${port}/`
    },
    received,
    get clients() {
      return wss.clients
    },
    get connectionCount() {
      return connectionCount
    },
    sockets,
    get listening() {
      return httpServer?.listening ?? false
    },
    killConnections() {
      for (const ws of wss.clients) (ws as unknown as { _socket: net.Socket })._socket.destroy()
    },
    stop,
    start,
    async restart() {
      await stop()
      await start()
    },
    waitForConnections(n, timeoutMs) {
      return waitFor(() => connectionCount >= n, timeoutMs, `${n} WebSocket connection(s) on the server`, {
        describe: () => `connectionCount=${connectionCount}`,
      })
    },
    waitForReceived(n, timeoutMs) {
      return waitFor(() => received.length >= n, timeoutMs, `${n} message(s) received by the server`, {
        describe: () => `received=${JSON.stringify(received.map((m) => (typeof m === 'string' ? m : `<${m.length} bytes>`)))}`,
      })
    },
    close,
  }
  return self
}

function toBuffer(raw: RawData): Buffer {
  if (Buffer.isBuffer(raw)) return raw
  if (Array.isArray(raw)) return Buffer.concat(raw)
  return Buffer.from(raw as ArrayBuffer)
}

/** A `ws` server that closes every connection, as soon as it opens, with `code` and `reason`. */
export function startClosingServer(code: number, reason = ''): Promise<TestWsServer> {
  return startWsServer({ onConnection: (ws) => ws.close(code, reason) })
}

export interface SilentServer {
  readonly port: number
  readonly url: string
  /** TCP connections accepted so far. */
  readonly accepted: number
  /** TCP connections open right now. */
  readonly sockets: ReadonlySet<net.Socket>
  close(): Promise<void>
}

/** A TCP server that accepts connections and reads the upgrade request but never answers it. */
export async function startSilentServer(): Promise<SilentServer> {
  const sockets = new Set<net.Socket>()
  let accepted = 0
  const server = net.createServer((socket) => {
    accepted++
    sockets.add(socket)
    socket.on('error', () => {})
    socket.on('close', () => sockets.delete(socket))
    socket.resume() // read and ignore the HTTP upgrade request
  })
  const port = await listen(server, 0)
  const close = track(async () => {
    const closing = closeListener(server)
    await destroyAll(sockets)
    await closing
  })
  return {
    port,
    url: `ws://${HOST}:${port}/`,
    get accepted() {
      return accepted
    },
    sockets,
    close,
  }
}

/** A port on 127.0.0.1 that nothing listens on (it was free a moment ago: listen, then close). */
export async function refusedPort(): Promise<number> {
  const server = net.createServer()
  const port = await listen(server, 0)
  await closeListener(server)
  return port
}
