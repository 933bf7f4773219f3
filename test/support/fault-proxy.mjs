/**
 * A userspace TCP fault proxy for tests, demos and soak runs: client → proxy → target, on
 * 127.0.0.1 only. Plain ESM JavaScript (typed by fault-proxy.d.mts) so that plain `node` scripts
 * can use it as well as vitest.
 *
 * Modes, switchable at any time and applying to every current and future connection:
 *
 * - `forward()`  bytes flow both ways (the default).
 * - `silence()`  a half-open link: both TCP sockets stay open, nothing is forwarded in either
 *                direction, and bytes that arrive meanwhile are DISCARDED (not buffered). A FIN
 *                or a close on one side is not passed to the other either: the peer never learns.
 *                New connections are still accepted (the kernel completes the handshake), but
 *                nothing they send gets through until `heal()`.
 * - `heal()`     forward again, for data that arrives from now on. A connection one side of which
 *                ended or closed during the silence is reset on its other side (what that side's
 *                next segment would get from a kernel that no longer knows the connection).
 * - `slow({ latencyMs, bytesPerSecond })`  forward with a one-way delay per chunk and a rate
 *                limit per direction (either may be 0/undefined for "none").
 * - `drop('up' | 'down')`  a one-way silence beside any mode: one direction ('up': client →
 *                target) is discarded as in `silence()`, FIN and reset included; the other flows.
 *                `heal()` ends it like a silence.
 *
 * And actions: `reset()` destroys every current connection with a TCP RST on both sides;
 * `refuse(true)` resets every new connection the moment it is accepted (until `refuse(false)`).
 *
 * `close()` destroys every socket, clears every timer and closes the listener; it is idempotent.
 *
 * Events (it is an EventEmitter): `'connection'` (a new client connection was accepted and paired),
 * `'connection-closed'` (both sockets of a pair are gone).
 */
import { EventEmitter } from 'node:events'
import net from 'node:net'

const LOOPBACK = '127.0.0.1'

/** Above this many bytes queued in one direction in slow mode, the source is paused. */
const SLOW_HIGH_WATER = 1 << 20

/**
 * @typedef {{ host?: string, port: number }} ProxyTarget
 * @typedef {{ latencyMs?: number, bytesPerSecond?: number }} SlowOptions
 * @typedef {'forward' | 'silence' | 'slow'} ProxyMode
 */

/**
 * A listener's 'close' comes before libuv has released its handle (that happens in the loop's
 * close phase): two turns of setImmediate make sure the close phase has run.
 * @returns {Promise<void>}
 */
function handlesReleased() {
  return new Promise((resolve) => setImmediate(() => setImmediate(resolve)))
}

/**
 * Reset a socket (RST), falling back to a plain destroy where that is not possible.
 * @param {net.Socket} socket
 */
function hardReset(socket) {
  if (socket.destroyed) return
  // a socket whose FIN still waits behind unwritten data (shutdown pending) cannot be reset: libuv
  // refuses (uv_tcp_close_reset: EINVAL), Node then never closes it, and close() waited forever
  if (socket.writableEnded && !socket.writableFinished) return void socket.destroy()
  try {
    socket.resetAndDestroy()
  } catch {
    socket.destroy()
  }
}

/**
 * @param {string | undefined} host
 * @returns {string}
 */
function loopbackOnly(host) {
  if (host === undefined || host === LOOPBACK || host === 'localhost') return LOOPBACK
  throw new RangeError(`fault proxy: target.host must be 127.0.0.1 (loopback only), got ${JSON.stringify(host)}`)
}

/**
 * One direction of a pair: from `source` to `sink`, honouring the proxy's mode at the moment each
 * chunk arrives.
 */
class Pipe {
  /**
   * @param {FaultProxy} proxy
   * @param {net.Socket} source
   * @param {net.Socket} sink
   * @param {'up' | 'down'} direction
   */
  constructor(proxy, source, sink, direction) {
    this.proxy = proxy
    this.source = source
    this.sink = sink
    this.direction = direction
    /** @type {{ chunk: Buffer, due: number }[]} slow mode: chunks waiting for their time */
    this.queue = []
    this.queuedBytes = 0
    /** slow mode: when the link is next free to start sending (ms, Date.now clock) */
    this.nextFree = 0
    /** @type {NodeJS.Timeout | undefined} */
    this.timer = undefined
    this.pausedForSink = false
    this.pausedForQueue = false
    /** The source sent its FIN; it is passed on once everything queued before it is written. */
    this.ending = false
    /** The source socket has closed. */
    this.sourceClosed = false
    source.on('data', (chunk) => this.onData(chunk))
    sink.on('drain', () => {
      if (!this.pausedForSink) return
      this.pausedForSink = false
      this.maybeResume()
    })
  }

  /** @param {Buffer} chunk */
  onData(chunk) {
    const { proxy } = this
    const stats = proxy.stats[this.direction]
    if (proxy.cuts(this.direction)) {
      stats.discarded += chunk.length
      return
    }
    if (proxy.mode === 'slow' || this.queue.length > 0) {
      this.enqueue(chunk)
      return
    }
    this.write(chunk)
  }

  /** @param {Buffer} chunk */
  write(chunk) {
    if (this.sink.destroyed) {
      this.proxy.stats[this.direction].discarded += chunk.length
      return
    }
    this.proxy.stats[this.direction].forwarded += chunk.length
    if (!this.sink.write(chunk)) {
      this.pausedForSink = true
      this.source.pause()
    }
  }

  /** @param {Buffer} chunk */
  enqueue(chunk) {
    const now = Date.now()
    const { latencyMs = 0, bytesPerSecond = 0 } = this.proxy.mode === 'slow' ? this.proxy.slowOptions : {}
    const start = Math.max(now + latencyMs, this.nextFree)
    const transmit = bytesPerSecond > 0 ? (chunk.length / bytesPerSecond) * 1000 : 0
    this.nextFree = start + transmit
    this.queue.push({ chunk, due: start + transmit })
    this.queuedBytes += chunk.length
    if (this.queuedBytes > SLOW_HIGH_WATER && !this.pausedForQueue) {
      this.pausedForQueue = true
      this.source.pause()
    }
    this.schedule()
  }

  schedule() {
    if (this.timer !== undefined || this.queue.length === 0) return
    const wait = Math.max(0, this.queue[0].due - Date.now())
    this.timer = setTimeout(() => {
      this.timer = undefined
      this.release()
    }, wait)
  }

  /** Send every queued chunk that is due (all of them, once the mode is no longer slow). */
  release() {
    const now = Date.now()
    const all = this.proxy.mode !== 'slow'
    while (this.queue.length > 0 && (all || this.queue[0].due <= now)) {
      const { chunk } = /** @type {{ chunk: Buffer }} */ (this.queue.shift())
      this.queuedBytes -= chunk.length
      this.write(chunk)
    }
    if (this.pausedForQueue && this.queuedBytes <= SLOW_HIGH_WATER / 2) {
      this.pausedForQueue = false
      this.maybeResume()
    }
    if (this.queue.length === 0 && this.ending) this.finishSink()
    this.schedule()
  }

  /** The source's FIN: pass it on now, or after the queued chunks (slow mode). */
  end() {
    this.ending = true
    if (this.queue.length === 0) this.finishSink()
  }

  /** Pass the FIN on; once the source is gone too, the sink goes when its writes are done. */
  finishSink() {
    const { sink } = this
    if (sink.destroyed) return
    if (!sink.writableEnded) sink.end()
    if (this.sourceClosed) this.destroySinkWhenWritten()
  }

  destroySinkWhenWritten() {
    const { sink } = this
    if (sink.destroyed) return
    if (sink.writableFinished) sink.destroy()
    else sink.once('finish', () => sink.destroy())
  }

  maybeResume() {
    if (!this.pausedForSink && !this.pausedForQueue && !this.source.destroyed) this.source.resume()
  }

  /** Silence: whatever was waiting is lost, as on a link that went dead. */
  discardQueued() {
    this.clearTimer()
    this.proxy.stats[this.direction].discarded += this.queuedBytes
    this.queue = []
    this.queuedBytes = 0
    this.nextFree = 0
    if (this.pausedForQueue) {
      this.pausedForQueue = false
      this.maybeResume()
    }
  }

  /** Mode changed away from slow: deliver what waits, in order, now. */
  flushNow() {
    this.clearTimer()
    this.nextFree = 0
    this.release()
  }

  clearTimer() {
    if (this.timer !== undefined) clearTimeout(this.timer)
    this.timer = undefined
  }
}

/** A client connection and its upstream connection. */
class Pair {
  /**
   * @param {FaultProxy} proxy
   * @param {net.Socket} client
   * @param {net.Socket} upstream
   */
  constructor(proxy, client, upstream) {
    this.proxy = proxy
    this.client = client
    this.upstream = upstream
    this.up = new Pipe(proxy, client, upstream, 'up')
    this.down = new Pipe(proxy, upstream, client, 'down')
    this.gone = false
    /** How many of the two sockets have emitted 'close' (their handles are released). */
    this.closedSockets = 0
    /** Sockets whose FIN or close fell into a silence (the peer was never told). @type {Set<net.Socket>} */
    this.missed = new Set()
    /** @type {() => void} */
    let settle = () => {}
    /** Resolves once both sockets are gone. @type {Promise<void>} */
    this.closed = new Promise((resolve) => {
      settle = resolve
    })
    this.settle = settle
    this.wire(client, upstream, this.up)
    this.wire(upstream, client, this.down)
  }

  /**
   * @param {net.Socket} self
   * @param {net.Socket} peer
   * @param {Pipe} pipe the pipe reading from `self`
   */
  wire(self, peer, pipe) {
    self.on('error', (error) => {
      // a reset from one side is passed on as a reset, unless the link is silenced
      if (!this.proxy.cuts(pipe.direction) && /** @type {NodeJS.ErrnoException} */ (error).code === 'ECONNRESET') {
        hardReset(peer)
      }
    })
    self.on('end', () => {
      if (this.proxy.cuts(pipe.direction)) {
        this.missed.add(self)
        return
      }
      pipe.end()
    })
    self.on('close', () => {
      this.closedSockets++
      pipe.sourceClosed = true
      if (this.proxy.cuts(pipe.direction)) {
        pipe.discardQueued()
        this.missed.add(self)
      } else if (pipe.ending) {
        // a normal close after a FIN: the peer goes once the FIN (and what came before) is written
        if (pipe.queue.length === 0) pipe.destroySinkWhenWritten()
      } else {
        // closed without a FIN (destroyed or reset): so is the peer
        pipe.discardQueued()
        if (!peer.destroyed) peer.destroy()
      }
      this.checkGone()
    })
  }

  /**
   * Silence begins (in `directions`): queued chunks are lost, and a FIN still waiting behind them
   * with them.
   * @param {Pipe[]} directions
   */
  silence(directions = [this.up, this.down]) {
    for (const pipe of directions) {
      if (pipe.ending && pipe.queue.length > 0) this.missed.add(pipe.source)
      pipe.discardQueued()
    }
  }

  /**
   * After a silence: a side that went away meanwhile is gone for good, and the other side's next
   * segment would meet a kernel with no such connection, which answers with RST. Do that now.
   */
  afterSilence() {
    for (const self of this.missed) {
      const peer = self === this.client ? this.upstream : this.client
      hardReset(peer)
      self.destroy()
    }
    this.missed.clear()
  }

  checkGone() {
    if (this.gone || this.closedSockets < 2) return
    this.gone = true
    this.up.clearTimer()
    this.down.clearTimer()
    this.proxy.pairs.delete(this)
    this.settle()
    this.proxy.emit('connection-closed', this)
  }

  reset() {
    this.up.clearTimer()
    this.down.clearTimer()
    hardReset(this.client)
    hardReset(this.upstream)
  }

  destroy() {
    this.up.clearTimer()
    this.down.clearTimer()
    this.client.destroy()
    this.upstream.destroy()
  }
}

export class FaultProxy extends EventEmitter {
  /** @param {{ target: ProxyTarget, listenPort?: number }} options */
  constructor(options) {
    super()
    if (!options || typeof options !== 'object' || !options.target) {
      throw new TypeError('createFaultProxy({ target: { host, port }, listenPort? })')
    }
    const { target, listenPort = 0 } = options
    if (!Number.isInteger(target.port) || target.port <= 0 || target.port > 65535) {
      throw new RangeError(`fault proxy: target.port must be a TCP port, got ${target.port}`)
    }
    this.target = { host: loopbackOnly(target.host), port: target.port }
    this.listenPort = listenPort
    /** @type {ProxyMode} */
    this.mode = 'forward'
    /** The one direction discarded by drop(), beside the mode. @type {'up' | 'down' | undefined} */
    this.dropping = undefined
    /** @type {SlowOptions} */
    this.slowOptions = {}
    this.refusing = false
    /** @type {Set<Pair>} */
    this.pairs = new Set()
    /** Sockets accepted while refusing, until they are gone. @type {Set<net.Socket>} */
    this.stray = new Set()
    /** Bytes forwarded and discarded, per direction ('up': client → target). */
    this.stats = {
      up: { forwarded: 0, discarded: 0 },
      down: { forwarded: 0, discarded: 0 },
      accepted: 0,
      refused: 0,
    }
    /** @type {net.Server | undefined} */
    this.server = undefined
    /** @type {Promise<void> | undefined} */
    this.closing = undefined
    this.port = 0
  }

  /** Listen on 127.0.0.1; resolves to the port. */
  async start() {
    if (this.server) return this.port
    if (this.closing) throw new Error('fault proxy: start() after close()')
    const server = net.createServer({ allowHalfOpen: true }, (socket) => this.onConnection(socket))
    this.server = server
    await new Promise((resolve, reject) => {
      server.once('error', reject)
      server.listen(this.listenPort, LOOPBACK, () => {
        server.off('error', reject)
        resolve(undefined)
      })
    })
    const address = /** @type {net.AddressInfo} */ (server.address())
    this.port = address.port
    return this.port
  }

  /** @param {net.Socket} client */
  onConnection(client) {
    this.stats.accepted++
    if (this.refusing || this.closing) {
      this.stats.refused++
      this.stray.add(client)
      client.on('error', () => {})
      client.on('close', () => this.stray.delete(client))
      hardReset(client)
      return
    }
    client.setNoDelay(true)
    const upstream = net.connect({ host: this.target.host, port: this.target.port, allowHalfOpen: true })
    upstream.setNoDelay(true)
    const pair = new Pair(this, client, upstream)
    this.pairs.add(pair)
    upstream.once('error', (error) => {
      // the target is down: the client sees its connection reset, as if the target refused it
      if (upstream.connecting || /** @type {NodeJS.ErrnoException} */ (error).code === 'ECONNREFUSED') hardReset(client)
    })
    this.emit('connection', pair)
  }

  /** Number of client connections whose sockets are not both gone. */
  get connections() {
    return this.pairs.size
  }

  forward() {
    const was = this.mode
    const dropped = this.dropping
    this.mode = 'forward'
    this.dropping = undefined
    if (was === 'slow') for (const pair of this.pairs) (pair.up.flushNow(), pair.down.flushNow())
    if (was === 'silence' || dropped) for (const pair of [...this.pairs]) pair.afterSilence()
    return this
  }

  /**
   * Whether bytes (and FIN, reset) going `direction` are discarded now.
   * @param {'up' | 'down'} direction
   */
  cuts(direction) {
    return this.mode === 'silence' || this.dropping === direction
  }

  /**
   * Discard one direction ('up': client → target), as silence() does both; the other flows.
   * @param {'up' | 'down'} direction
   */
  drop(direction) {
    if (direction !== 'up' && direction !== 'down') throw new RangeError(`fault proxy: drop('up' | 'down'), got ${JSON.stringify(direction)}`)
    this.dropping = direction
    for (const pair of this.pairs) pair.silence([pair[direction]])
    return this
  }

  /** Stop forwarding in both directions, keeping both sockets open; bytes arriving are discarded. */
  silence() {
    this.mode = 'silence'
    for (const pair of this.pairs) pair.silence()
    return this
  }

  /** Forward again (for data arriving from now on). */
  heal() {
    return this.forward()
  }

  /** @param {SlowOptions} options */
  slow(options = {}) {
    const { latencyMs = 0, bytesPerSecond = 0 } = options
    if (!(latencyMs >= 0) || !(bytesPerSecond >= 0)) {
      throw new RangeError('fault proxy: slow({ latencyMs >= 0, bytesPerSecond >= 0 })')
    }
    this.slowOptions = { latencyMs, bytesPerSecond }
    this.mode = 'slow'
    return this
  }

  /** Destroy every current connection with a TCP RST on both of its sockets. */
  reset() {
    for (const pair of [...this.pairs]) pair.reset()
    return this
  }

  /** While on, every new connection is reset the moment it is accepted. */
  refuse(on = true) {
    this.refusing = Boolean(on)
    return this
  }

  /** Destroy everything, clear every timer, close the listener. Idempotent. */
  close() {
    if (this.closing) return this.closing
    this.closing = (async () => {
      for (const pair of [...this.pairs]) pair.destroy()
      for (const socket of [...this.stray]) socket.destroy()
      const server = this.server
      if (server?.listening) {
        await new Promise((resolve) => server.close(() => resolve(undefined)))
      }
      // sockets emit 'close' on a later tick: wait until every pair has gone
      await Promise.all([
        ...[...this.pairs].map((pair) => pair.closed),
        ...[...this.stray].map((socket) => (socket.closed ? undefined : new Promise((resolve) => socket.once('close', resolve)))),
      ])
      for (const pair of this.pairs) (pair.up.clearTimer(), pair.down.clearTimer())
      this.pairs.clear()
      this.removeAllListeners('connection')
      await handlesReleased()
    })()
    return this.closing
  }
}

/**
 * @param {{ target: ProxyTarget, listenPort?: number }} options
 * @returns {FaultProxy}
 */
export function createFaultProxy(options) {
  return new FaultProxy(options)
}
