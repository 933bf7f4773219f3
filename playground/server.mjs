/**
 * The playground's servers, all on 127.0.0.1:
 *
 *   page ──ws──▶ fault proxy ──tcp──▶ app server (`ws`: echoes, answers 'ping' with 'pong', can push)
 *   page ──http─▶ web server (Vite dev server, or the static build) + control API under /api/
 *
 * The control API is how the page's fault buttons break things: it drives the userspace TCP fault
 * proxy (test/support/fault-proxy.mjs) and the app server. Plain ESM JavaScript (typed by
 * server.d.mts) so that `node playground/cli.mjs` runs it without a TypeScript loader.
 *
 * `startPlayground()` returns a handle whose `close()` stops everything it started: every timer,
 * socket, listener and the Vite server.
 */
import { existsSync, readFileSync, statSync } from 'node:fs'
import http from 'node:http'
import { extname, join, normalize, resolve, sep } from 'node:path'
import { fileURLToPath } from 'node:url'
import { WebSocketServer } from 'ws'
import { createFaultProxy } from '../test/support/fault-proxy.mjs'

const HOST = '127.0.0.1'
export const PLAYGROUND_DIR = fileURLToPath(new URL('.', import.meta.url))
export const PACKAGE_ROOT = resolve(PLAYGROUND_DIR, '..')
/** Keep at most this many received messages for `received()` and the page's counters. */
const RECEIVED_LIMIT = 10_000
/** Frames kept for the inspector, and bytes of a binary frame shown as hex. */
const FRAME_LIMIT = 2000
const FRAME_HEX_LIMIT = 4096
/** Longest fault window the API accepts (s). */
const MAX_SECONDS = 300
/** Clients (the page's sockets, by the `client` query parameter of their URL) the counts keep apart. */
const CLIENT_LIMIT = 100
/**
 * The session server's heartbeat: short, as everything in the playground, so that a silent link is
 * noticed in seconds by session clients too (they take interval + timeout of silence as a dead link).
 */
const SESSION_HEARTBEAT = { interval: 2000, timeout: 1000 }

/** @typedef {import('./server.d.mts').PlaygroundOptions} PlaygroundOptions */
/** @typedef {import('./server.d.mts').Playground} Playground */

/** A 4xx answer with a message the page shows as is. */
class BadRequest extends Error {}

/**
 * The app server: the WebSocket endpoint behind the proxy. It can be stopped and started on the
 * same port (a crash, or a graceful restart with 1012).
 */
async function startAppServer() {
  const wss = new WebSocketServer({ noServer: true })
  // loaded here, not at the top: cli.mjs builds dist/ first when it is missing
  const { attachSessions, SUBPROTOCOL } = await import('lifeline-ws/server')
  /** @type {Set<import('node:net').Socket>} */
  const sockets = new Set()
  /** @type {string[]} */
  const received = []
  const counts = { accepted: 0, received: 0, pings: 0, pushed: 0, binary: 0, sessions: 0 }
  /**
   * Text messages received, by client: the `client` query parameter of the URL the socket
   * connected to (the page tags each socket it creates), so the page can compare what its own socket
   * sent with what arrived, whatever other tabs do. Oldest tags are forgotten beyond CLIENT_LIMIT.
   */
  /** @type {Map<string, import('./server.d.mts').ClientCounts>} */
  const clients = new Map()
  /** @type {http.Server | undefined} */
  let server
  let port = 0
  /** Open connections as the server sees them: when they opened, when anything last arrived. */
  /** @type {Map<import('ws').WebSocket, import('./server.d.mts').ServerConnection>} */
  const connections = new Map()
  /** Every frame the server saw or sent, newest last (the page's frames inspector reads them). */
  /** @type {import('./server.d.mts').ServerFrame[]} */
  const frames = []
  let frameSeq = 0
  let connectionSeq = 0
  /** Each connection's send, which records the frame it sends. */
  /** @type {WeakMap<import('ws').WebSocket, (data: string) => void>} */
  const senders = new WeakMap()

  /**
   * @param {import('./server.d.mts').ServerConnection} conn
   * @param {'in' | 'out'} dir
   * @param {import('./server.d.mts').ServerFrame['kind']} kind
   * @param {Buffer | string} payload
   * @param {Partial<import('./server.d.mts').ServerFrame>} [extra]
   */
  function frame(conn, dir, kind, payload, extra = {}) {
    const buffer = typeof payload === 'string' ? Buffer.from(payload) : payload
    const binary = kind === 'binary'
    frames.push({
      seq: ++frameSeq,
      at: Date.now(),
      conn: conn.id,
      dir,
      kind,
      size: buffer.length,
      text: binary ? '' : buffer.toString('utf8'),
      ...(binary ? { hex: buffer.subarray(0, FRAME_HEX_LIMIT).toString('hex'), truncated: buffer.length > FRAME_HEX_LIMIT } : {}),
      ...extra,
    })
    if (frames.length > FRAME_LIMIT) frames.splice(0, frames.length - FRAME_LIMIT)
  }

  /** @param {string} tag */
  function clientCounts(tag) {
    let c = clients.get(tag)
    if (!c) {
      c = { received: 0, session: false }
      clients.set(tag, c)
      if (clients.size > CLIENT_LIMIT) clients.delete(clients.keys().next().value ?? '')
    }
    return c
  }

  /**
   * The connection a session message arrives on. attachSessions hands a client's message to
   * session.on('message') inside the 'message' event of the connection carrying it (the memory store
   * delivers at once), and this connection's own 'message' listener runs first: so a session message
   * is counted for the client of the connection that carried it.
   */
  /** @type {import('./server.d.mts').ServerConnection | undefined} */
  let arriving

  // every upgraded connection passes here, sessions included (attachSessions, attached below, wraps
  // this and takes the session ones away from 'connection')
  const upgrade = wss.handleUpgrade
  wss.handleUpgrade = function (req, socket, head, callback) {
    return upgrade.call(this, req, socket, head, (ws, request) => {
      counts.accepted++
      const client = new URL(request.url ?? '/', 'http://x').searchParams.get('client') ?? ''
      const session = ws.protocol === SUBPROTOCOL
      /** @type {import('./server.d.mts').ServerConnection} */
      const conn = { id: ++connectionSeq, openedAt: Date.now(), lastSeen: Date.now(), remotePort: request.socket.remotePort ?? 0, in: 0, out: 0, client, session }
      connections.set(ws, conn)
      ws.on('close', (code, reason) => {
        connections.delete(ws)
        frame(conn, 'in', 'close', reason, { code, note: code === 1006 ? 'no close frame: the TCP connection ended' : '' })
      })
      if (session) {
        if (client) clientCounts(client).session = true
        // the session's frames are lifeline.v1's binary frames (docs/PROTOCOL.md): shown as they are
        ws.on('message', (data) => {
          conn.lastSeen = Date.now()
          arriving = conn
          frame(conn, 'in', 'binary', /** @type {Buffer} */ (data), { note: 'lifeline.v1 frame' })
        })
        const send = ws.send
        ws.send = /** @type {typeof ws.send} */ (
          function (/** @type {Parameters<typeof ws.send>} */ ...args) {
            const [data] = args
            frame(conn, 'out', 'binary', Buffer.isBuffer(data) ? data : Buffer.from(/** @type {Uint8Array} */ (data)), { note: 'lifeline.v1 frame' })
            return send.apply(ws, args)
          }
        )
      }
      callback(ws, request)
    })
  }
  const sessions = attachSessions(wss, { heartbeat: SESSION_HEARTBEAT })
  sessions.on('error', (error) => console.error('[playground] session server:', error))
  /** @type {Set<import('lifeline-ws/server').Session>} */
  const live = new Set()
  sessions.on('session', (session) => {
    live.add(session)
    session.on('close', () => live.delete(session))
    // the same app as for plain clients: count what arrives, echo it (each exactly once)
    session.on('message', (data) => {
      counts.sessions++
      if (arriving) {
        arriving.in++
        if (arriving.client) clientCounts(arriving.client).received++
      }
      if (typeof data === 'string') {
        counts.received++
        received.push(data)
        if (received.length > RECEIVED_LIMIT) received.splice(0, received.length - RECEIVED_LIMIT)
      } else counts.binary++
      if (arriving) arriving.out++
      void session.send(data).catch(() => {})
    })
  })

  wss.on('connection', (ws) => {
    const conn = /** @type {import('./server.d.mts').ServerConnection} */ (connections.get(ws))
    /** @param {Buffer | string} data @param {boolean} [binary] */
    const send = (data, binary = false) => {
      conn.out++
      frame(conn, 'out', binary ? 'binary' : 'text', data)
      ws.send(data, { binary })
    }
    ws.on('error', () => {}) // a peer that vanishes mid-frame must not crash the playground
    // protocol pings come from Node clients (ws answers them itself); browsers cannot send them
    ws.on('ping', (data) => {
      conn.lastSeen = Date.now()
      frame(conn, 'in', 'ping', data)
      frame(conn, 'out', 'pong', data, { note: 'answered by ws automatically' })
    })
    ws.on('pong', (data) => {
      conn.lastSeen = Date.now()
      frame(conn, 'in', 'pong', data)
    })
    ws.on('message', (raw, isBinary) => {
      conn.lastSeen = Date.now()
      conn.in++
      const data = /** @type {Buffer} */ (raw)
      if (isBinary) {
        counts.binary++
        frame(conn, 'in', 'binary', data)
        send(data, true)
        return
      }
      const text = data.toString()
      frame(conn, 'in', 'text', text)
      // the page's heartbeat: browsers cannot send ping frames, so the SDK sends the text 'ping'
      if (text === 'ping') {
        counts.pings++
        send('pong')
        return
      }
      counts.received++
      if (conn.client) clientCounts(conn.client).received++
      received.push(text)
      if (received.length > RECEIVED_LIMIT) received.splice(0, received.length - RECEIVED_LIMIT)
      send(text)
    })
    senders.set(ws, send)
  })

  async function listen() {
    if (server) return
    const s = http.createServer((_req, res) => void res.writeHead(426, { 'content-type': 'text/plain' }).end('WebSocket only'))
    s.on('connection', (socket) => {
      sockets.add(socket)
      socket.on('close', () => sockets.delete(socket))
    })
    s.on('upgrade', (req, socket, head) => {
      wss.handleUpgrade(req, /** @type {import('node:net').Socket} */ (socket), head, (ws) => wss.emit('connection', ws, req))
    })
    await new Promise((done, fail) => {
      s.once('error', fail)
      s.listen(port, HOST, () => {
        s.off('error', fail)
        done(undefined)
      })
    })
    server = s
    port = /** @type {import('node:net').AddressInfo} */ (s.address()).port
  }

  /** Close the listener; `graceful`: every client gets a 1012 close frame first, else its TCP socket just goes. */
  async function stop(graceful = false) {
    const s = server
    server = undefined
    if (!s) return
    const closed = new Promise((done) => s.close(() => setImmediate(done)))
    for (const ws of wss.clients) {
      if (graceful) ws.close(1012, 'service restart')
      else ws.terminate()
    }
    if (graceful) {
      // give the close frames a moment to leave, then drop whatever is left
      await new Promise((done) => setTimeout(done, 50))
    }
    for (const socket of sockets) socket.destroy()
    await closed
  }

  await listen()

  return {
    get port() {
      return port
    },
    get listening() {
      return server !== undefined
    },
    get connections() {
      return wss.clients.size
    },
    counts,
    received,
    /** @param {number} after */
    frames(after) {
      return frames.filter((f) => f.seq > after)
    },
    connectionList() {
      return [...connections.values()].map((c) => ({ ...c }))
    },
    /** @returns {Record<string, import('./server.d.mts').ClientCounts>} */
    clients() {
      return Object.fromEntries([...clients].map(([tag, c]) => [tag, { ...c }]))
    },
    /** Close one connection from the server side: `terminate` drops its TCP socket without a close frame. @param {number} id */
    terminate(id) {
      for (const [ws, conn] of connections) {
        if (conn.id !== id) continue
        ws.terminate()
        return true
      }
      return false
    },
    listen,
    stop,
    /** @param {string} text */
    push(text) {
      let n = 0
      for (const ws of wss.clients) {
        const sender = senders.get(ws)
        if (ws.readyState !== ws.OPEN || !sender) continue
        sender(text)
        n++
      }
      for (const session of live) {
        if (!session.connected) continue
        void session.send(text).catch(() => {})
        n++
      }
      counts.pushed += n
      return n
    },
    /** Sessions alive on the session server (connected or within their resume window). */
    get sessions() {
      return sessions.size
    },
    /** @param {number} code @param {string} reason */
    closeAll(code, reason) {
      let n = 0
      for (const ws of wss.clients) {
        if (ws.readyState !== ws.OPEN) continue
        const conn = connections.get(ws)
        if (conn) frame(conn, 'out', 'close', reason, { code })
        ws.close(code, reason)
        n++
      }
      return n
    },
    async close() {
      sessions.close()
      await stop(false)
      await new Promise((done) => wss.close(() => done(undefined)))
    },
  }
}

/**
 * The faults, with their timers. Every fault that lasts N seconds ends by itself; `end()` ends
 * everything at once (used by close()).
 * @param {Awaited<ReturnType<typeof startAppServer>>} app
 * @param {import('../test/support/fault-proxy.mjs').FaultProxy} proxy
 */
function createControl(app, proxy) {
  /** @type {Map<string, NodeJS.Timeout>} */
  const timers = new Map()
  /** When a timed fault ends (Date.now() ms), by name. */
  const until = /** @type {Record<string, number | null>} */ ({ silence: null, stop: null })
  /** @type {{ latencyMs: number, bytesPerSecond: number } | null} */
  let slow = null
  let tick = /** @type {{ timer: NodeJS.Timeout, every: number, n: number } | null} */ (null)

  /** @param {string} name @param {number} ms @param {() => void} fn */
  function after(name, ms, fn) {
    clearTimeout(timers.get(name))
    timers.set(
      name,
      setTimeout(() => {
        timers.delete(name)
        fn()
      }, ms),
    )
  }

  /** The proxy's mode once nothing silences it: slow if the slow link is on, else forward. */
  function restoreLink() {
    if (slow) proxy.slow(slow)
    else proxy.forward()
  }

  /** @param {unknown} value @param {string} name */
  function seconds(value, name) {
    const n = Number(value)
    if (!Number.isFinite(n) || n <= 0 || n > MAX_SECONDS) throw new BadRequest(`${name} must be a number of seconds in (0, ${MAX_SECONDS}], got ${JSON.stringify(value)}`)
    return n
  }

  const state = () => ({
    now: Date.now(),
    app: { listening: app.listening, connections: app.connections, ...app.counts, list: app.connectionList(), clients: app.clients(), liveSessions: app.sessions },
    proxy: { mode: proxy.mode, refusing: proxy.refusing, connections: proxy.connections, accepted: proxy.stats.accepted, refused: proxy.stats.refused },
    slow,
    until: { ...until },
    tick: tick ? { every: tick.every } : null,
  })

  /** @type {Record<string, (body: Record<string, unknown>) => unknown | Promise<unknown>>} */
  const actions = {
    /** Every current connection gets a TCP RST, both ways: no close frame, no FIN. */
    kill() {
      const n = proxy.connections
      proxy.reset()
      return { killed: n }
    },
    /** The app server goes away for N s: a crash (TCP closed, no close frame) or a graceful 1012 restart. */
    async stop(body) {
      const s = seconds(body.seconds, 'seconds')
      await app.stop(body.graceful === true)
      until.stop = Date.now() + s * 1000
      after('stop', s * 1000, () => {
        until.stop = null
        app.listen().catch((error) => console.error('[playground] could not restart the app server:', error))
      })
      return { until: until.stop }
    },
    /** Half-open: both TCP connections stay up, nothing gets through either way, for N s. */
    silence(body) {
      const s = seconds(body.seconds, 'seconds')
      proxy.silence()
      until.silence = Date.now() + s * 1000
      after('silence', s * 1000, () => {
        until.silence = null
        proxy.heal()
        restoreLink()
      })
      return { until: until.silence }
    },
    /** New connections are reset as they arrive (a firewall's REJECT); current ones are not touched. */
    refuse(body) {
      proxy.refuse(body.on === true)
      return { refusing: proxy.refusing }
    },
    /** Latency per chunk and a rate limit per direction; `{ on: false }` turns it off. */
    slow(body) {
      if (body.on === false) {
        slow = null
      } else {
        const latencyMs = Number(body.latencyMs ?? 0)
        const bytesPerSecond = Number(body.bytesPerSecond ?? 0)
        if (!(latencyMs >= 0 && latencyMs <= 60_000)) throw new BadRequest(`latencyMs must be in [0, 60000], got ${JSON.stringify(body.latencyMs)}`)
        if (!(bytesPerSecond >= 0)) throw new BadRequest(`bytesPerSecond must be >= 0, got ${JSON.stringify(body.bytesPerSecond)}`)
        slow = { latencyMs, bytesPerSecond }
      }
      if (proxy.mode !== 'silence') restoreLink()
      return { slow }
    },
    /** The server closes every connection with this code and reason (e.g. 1013 'retry-after=3'). */
    close(body) {
      const code = Number(body.code)
      const reason = typeof body.reason === 'string' ? body.reason : ''
      const valid = (code >= 1000 && code <= 1014 && ![1004, 1005, 1006].includes(code)) || (code >= 3000 && code <= 4999)
      if (!Number.isInteger(code) || !valid) throw new BadRequest(`a server can close with 1000–1003, 1007–1014 or 3000–4999, got ${JSON.stringify(body.code)}`)
      if (Buffer.byteLength(reason) > 123) throw new BadRequest('the close reason must be at most 123 UTF-8 bytes')
      return { closed: app.closeAll(code, reason) }
    },
    /** Send a message to every connected client. */
    push(body) {
      const text = typeof body.text === 'string' && body.text !== '' ? body.text : `server push @ ${new Date().toISOString().slice(11, 23)}`
      return { sent: app.push(text) }
    },
    /** Push 'tick n' every `every` ms (a live feed), or stop (`every: 0`). */
    tick(body) {
      const every = Number(body.every ?? 0)
      if (tick) clearInterval(tick.timer)
      tick = null
      if (every > 0) {
        if (every < 50 || every > 60_000) throw new BadRequest(`every must be in [50, 60000] ms, got ${JSON.stringify(body.every)}`)
        const t = { every, n: 0, timer: setInterval(() => app.push(`tick ${++t.n}`), every) }
        tick = t
      }
      return { tick: tick ? { every } : null }
    },
    /** Drop one server-side connection (by its id in state().app.list) without a close frame. */
    terminate(body) {
      const id = Number(body.id)
      if (!Number.isInteger(id) || !app.terminate(id)) throw new BadRequest(`no open connection with id ${JSON.stringify(body.id)}`)
      return { terminated: id }
    },
    /** Everything back to normal now (the feed stops too). */
    async heal() {
      for (const timer of timers.values()) clearTimeout(timer)
      timers.clear()
      if (tick) clearInterval(tick.timer)
      tick = null
      until.silence = null
      slow = null
      proxy.refuse(false)
      proxy.heal()
      if (until.stop !== null) {
        until.stop = null
        await app.listen()
      }
      return {}
    },
  }

  return {
    state,
    actions,
    /** @param {number} after */
    frames: (after) => app.frames(after),
    end() {
      for (const timer of timers.values()) clearTimeout(timer)
      timers.clear()
      if (tick) clearInterval(tick.timer)
      tick = null
    },
  }
}

/** @param {http.IncomingMessage} req @returns {Promise<Record<string, unknown>>} */
async function readJson(req) {
  let text = ''
  for await (const chunk of req) {
    text += chunk
    if (text.length > 10_000) throw new BadRequest('body too large')
  }
  if (text.trim() === '') return {}
  try {
    const value = JSON.parse(text)
    if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new Error('not an object')
    return value
  } catch {
    throw new BadRequest('the body must be a JSON object')
  }
}

/**
 * The control API as a connect-style middleware (Vite's dev server takes it as is; the static
 * server calls it first). Handles /api/*, passes everything else to next().
 * @param {ReturnType<typeof createControl>} control
 * @param {() => object} config
 */
function apiMiddleware(control, config) {
  /** @type {(req: http.IncomingMessage, res: http.ServerResponse, next: () => void) => void} */
  return (req, res, next) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname
    if (!path.startsWith('/api/')) return next()
    const name = path.slice('/api/'.length)
    const send = (/** @type {number} */ status, /** @type {unknown} */ body) => {
      res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(JSON.stringify(body))
    }
    ;(async () => {
      if (req.method === 'GET' && name === 'config') return send(200, config())
      if (req.method === 'GET' && name === 'state') return send(200, control.state())
      if (req.method === 'GET' && name === 'frames') {
        const after = Number(new URL(req.url ?? '/', 'http://x').searchParams.get('after') ?? 0) || 0
        return send(200, { frames: control.frames(after) })
      }
      const action = Object.hasOwn(control.actions, name) ? control.actions[name] : undefined
      if (!action) return send(404, { error: `no such API: ${req.method} ${path}` })
      if (req.method !== 'POST') return send(405, { error: `${path} takes POST` })
      const result = await action(await readJson(req))
      send(200, { ...(/** @type {object} */ (result)), state: control.state() })
    })().catch((error) => {
      if (error instanceof BadRequest) send(400, { error: error.message })
      else send(500, { error: String(error?.message ?? error) })
    })
  }
}

const TYPES = /** @type {Record<string, string>} */ ({
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript',
  '.mjs': 'text/javascript',
  '.css': 'text/css',
  '.map': 'application/json',
  '.json': 'application/json',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
})

/**
 * Serve the built playground (`npm run playground:build`) from `root`: a small static handler.
 * @param {string} root
 * @returns {(req: http.IncomingMessage, res: http.ServerResponse) => void}
 */
function staticFiles(root) {
  return (req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname)
    const file = normalize(join(root, path.endsWith('/') ? `${path}index.html` : path))
    if (!file.startsWith(root + sep) || !existsSync(file) || !statSync(file).isFile()) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found')
      return
    }
    res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-store' })
    res.end(readFileSync(file))
  }
}

/**
 * Listen on host:port (0: a free one; taken and not strict: the next ones). Resolves to the port.
 * @param {http.Server} server @param {string} host @param {number} port @param {boolean} strict
 * @returns {Promise<number>}
 */
async function listenOn(server, host, port, strict) {
  for (let candidate = port; ; candidate++) {
    try {
      await new Promise((done, fail) => {
        server.once('error', fail)
        server.listen(candidate, host, () => {
          server.off('error', fail)
          done(undefined)
        })
      })
      return /** @type {import('node:net').AddressInfo} */ (server.address()).port
    } catch (error) {
      const code = /** @type {NodeJS.ErrnoException} */ (error).code
      if (code !== 'EADDRINUSE' || strict || port === 0 || candidate - port >= 20) throw error
    }
  }
}

/**
 * Start the app server, the fault proxy in front of it, and the web server with the control API.
 * @param {PlaygroundOptions} [options]
 * @returns {Promise<Playground>}
 */
export async function startPlayground(options = {}) {
  const { host = HOST, port = 5173, strictPort = false, staticDir, logLevel = 'info' } = options
  /** @type {Array<() => Promise<void> | void>} */
  const cleanup = []
  const closeAll = async () => {
    for (const step of cleanup.splice(0).reverse()) await step()
  }
  try {
    const app = await startAppServer()
    cleanup.push(() => app.close())
    const proxy = createFaultProxy({ target: { host: HOST, port: app.port } })
    cleanup.push(() => proxy.close())
    const proxyPort = await proxy.start()
    const control = createControl(app, proxy)
    cleanup.push(() => control.end())
    const wsUrl = `ws://${HOST}:${proxyPort}/`
    const api = apiMiddleware(control, () => ({ wsUrl, appPort: app.port, proxyPort }))

    // one HTTP server: the control API first, then the page (Vite in middleware mode, or static files);
    // Vite's HMR WebSocket shares it
    /** @type {(req: http.IncomingMessage, res: http.ServerResponse) => void} */
    let page = (_req, res) => void res.writeHead(503).end('starting')
    const web = http.createServer((req, res) => api(req, res, () => page(req, res)))
    /** @type {Set<import('node:net').Socket>} */
    const webSockets = new Set()
    web.on('connection', (socket) => {
      webSockets.add(socket)
      socket.on('close', () => webSockets.delete(socket))
    })
    cleanup.push(
      () =>
        new Promise((done) => {
          web.close(() => setImmediate(done))
          for (const socket of webSockets) socket.destroy()
        }),
    )
    if (staticDir) {
      const root = resolve(staticDir)
      if (!existsSync(join(root, 'index.html'))) throw new Error(`${root}/index.html is missing: run \`npm run playground:build\` first`)
      page = staticFiles(root)
    } else {
      const { createServer } = await import('vite')
      const vite = await createServer({
        configFile: join(PLAYGROUND_DIR, 'vite.config.ts'),
        logLevel,
        server: { middlewareMode: true, hmr: { server: web } },
        appType: 'spa',
      })
      cleanup.push(() => vite.close())
      page = (req, res) => vite.middlewares(req, res)
    }
    const webPort = await listenOn(web, host, port, strictPort)
    const url = `http://${host}:${webPort}/`

    return {
      url,
      wsUrl,
      proxy,
      app: {
        get port() {
          return app.port
        },
        get connections() {
          return app.connections
        },
        get counts() {
          return { ...app.counts }
        },
      },
      received: () => [...app.received],
      state: control.state,
      close: closeAll,
    }
  } catch (error) {
    await closeAll()
    throw error
  }
}
