/**
 * Node: `ws` (through isomorphic-ws) with protocol ping frames, global timers and Date.now.
 * Nothing is attached at import; environment signals are fed by the user via `socket.signal()`.
 */
import WebSocket from 'isomorphic-ws'
import type { SocketOptions } from '../options/types.js'
import type { WebSocketConstructor } from '../ports.js'

interface WsInternals {
  _socket?: {
    writableLength?: number
    _writableState?: { writelen?: number }
    _handle?: { writeQueueSize?: unknown }
    bytesRead?: unknown
    resetAndDestroy?: () => unknown
    cork?: () => void
    uncork(): void
  }
  _readyState?: number
  _sender?: { _bufferedBytes?: unknown }
}

type Handler = ((event: any) => void) | null

/**
 * `ws`, adjusted where plain `ws` costs a lifeline socket memory or loses information:
 *
 * - `onopen`/`onclose`/`onerror`/`onmessage` keep the handler in a field and listen with one
 *   listener shared by every socket. `ws`'s own attributes wrap each handler in a new closure (with
 *   two properties of its own) and build an event object per message; with 10,000 sockets that is
 *   most of what a lifeline socket adds to a raw one. Handlers get what `ws`'s would: `this` = the
 *   socket, and an event with the same fields.
 * - `onpong`/`onping`: protocol pong and ping frames as handlers of the same shape, so the driver
 *   listens to every runtime's socket one way.
 * - The handlers are called from `emit()`, not through EventEmitter listeners: `ws` keeps its
 *   listeners in a dictionary-mode object, which six event names grow by ~300 B per socket, and a
 *   message skips that table's lookup. Other listeners (none from the driver) still get their events.
 * - The close code is the one `ws` sent: when `ws` fails a connection itself for a protocol error
 *   (1002, 1009…) it sends that code but reports 1006 locally, with the sent code on the error.
 * - `bytesRead`: what the TCP socket has read, so that a large message still arriving counts as
 *   proof of life (see the getter).
 * - `bufferedAmount` means what WHATWG says: bytes not yet handed to the network. Plain `ws`
 *   counts a large message as fully buffered until its last byte is written, so a heartbeat
 *   waiting behind an upload could not see it drain; libuv's write queue shows the progress.
 *   Falls back to ws's own figure wherever those internals are absent.
 *
 * Only the driver sees these sockets; it reads each event at once and keeps none, which is why the
 * message event object can be reused.
 */
class NodeWebSocket extends (WebSocket as unknown as new (...args: any[]) => EventEmitterLike) {
  #onopen: Handler = null
  #onclose: Handler = null
  #onerror: Handler = null
  #onmessage: Handler = null
  #onpong: Handler = null
  #onping: Handler = null

  get onopen(): Handler {
    return this.#onopen
  }

  set onopen(handler: Handler) {
    this.#onopen = handlerOrNull(handler)
  }

  get onclose(): Handler {
    return this.#onclose
  }

  set onclose(handler: Handler) {
    this.#onclose = handlerOrNull(handler)
  }

  get onerror(): Handler {
    return this.#onerror
  }

  set onerror(handler: Handler) {
    this.#onerror = handlerOrNull(handler)
  }

  get onmessage(): Handler {
    return this.#onmessage
  }

  set onmessage(handler: Handler) {
    this.#onmessage = handlerOrNull(handler)
  }

  get onpong(): Handler {
    return this.#onpong
  }

  set onpong(handler: Handler) {
    this.#onpong = handlerOrNull(handler)
  }

  get onping(): Handler {
    return this.#onping
  }

  set onping(handler: Handler) {
    this.#onping = handlerOrNull(handler)
  }

  /**
   * Every event `ws` tells its socket comes through here: the handler set for it is called first
   * (`ws`'s arguments as a handler's event), then EventEmitter's listeners if there are any. An
   * 'error' with a handler counts as listened to, as it did when the handler was a listener.
   */
  override emit(type: string, a?: unknown, b?: unknown): boolean {
    const handled =
      type === 'message' ? reportMessage(this, this.#onmessage, a as Buffer, b as boolean)
      : type === 'pong' ? call(this.#onpong, this, a)
      : type === 'ping' ? call(this.#onping, this, a)
      : type === 'open' ? call(this.#onopen, this, { type: 'open', target: this })
      : type === 'close' ? reportClose(this, this.#onclose, a as number, b as Buffer)
      : type === 'error' ? reportError(this, this.#onerror, a as Error)
      : false
    if (handled && (this._eventsCount === 0 || this.listenerCount(type) === 0)) return true
    // eslint-disable-next-line prefer-rest-params -- every argument, as ws passed them
    return (super.emit as (...args: unknown[]) => boolean).apply(this, arguments as unknown as unknown[]) || handled
  }

  /**
   * A ping's payload (the driver's write position, a short string) goes to `ws` as a Buffer: `ws`
   * masks a Buffer into the frame's own buffer and writes it at once, but a string as a second
   * buffer, the two corked into a writev (a syscall that cost more than the rest of an idle
   * socket's heartbeat).
   */
  override ping(data?: unknown, mask?: unknown, callback?: unknown): void {
    super.ping(typeof data === 'string' ? Buffer.from(data) : data, mask, callback)
  }

  /**
   * `ws` reads a Blob asynchronously; when that fails (a file-backed Blob whose file changed) it
   * fails the Blob and every message queued behind it only through their callbacks. The driver
   * sends Blobs (and what follows one) through here to hear of it.
   */
  sendWithCallback(data: unknown, callback: (error?: Error) => void): void {
    ;(this as unknown as { send(data: unknown, callback: (error?: Error) => void): void }).send(data, callback)
  }

  /**
   * Hold what this socket writes until the end of this turn, then hand it to the kernel at once
   * (one writev): a session writes a frame per send(), and a loop of sends cost a system call each.
   * Past FLUSH_AT held bytes it hands them over mid-turn: 128 frames of 4 KiB released by one ACK
   * otherwise reached the server only after the client had masked them all, and its window ran dry.
   */
  corkTurn(): void {
    const socket = (this as WsInternals)._socket
    if (!socket?.cork) return
    if (CORKED.has(socket)) {
      // a long turn of large frames: what is held goes now, so the peer starts reading it while
      // this turn writes the rest (held to the end, it waited for the whole turn's masking)
      if ((socket.writableLength ?? 0) >= FLUSH_AT) {
        socket.uncork()
        socket.cork()
      }
      return
    }
    CORKED.add(socket)
    socket.cork()
    process.nextTick(uncork, socket)
  }

  get bufferedAmount(): number {
    const { _socket: socket, _sender: sender } = this as WsInternals
    const queued = socket?._handle?.writeQueueSize
    const senderBytes = sender?._bufferedBytes
    if (typeof queued !== 'number' || typeof senderBytes !== 'number') {
      const own = Object.getOwnPropertyDescriptor(WebSocket.prototype, 'bufferedAmount')?.get
      return (own?.call(this) as number | undefined) ?? 0
    }
    const waiting = Math.max(0, (socket?.writableLength ?? 0) - (socket?._writableState?.writelen ?? 0))
    return queued + waiting + senderBytes
  }

  /**
   * Bytes the TCP (or TLS) socket has read: `ws` shows a message only once its last byte is in,
   * so a large one on a slow link would look like silence to the heartbeat. Read only when a
   * heartbeat timer fires: nothing per chunk.
   */
  get bytesRead(): number {
    const read = (this as WsInternals)._socket?.bytesRead
    return typeof read === 'number' ? read : 0
  }

  /**
   * The driver terminates only a connection it presumes dead (heartbeat or idle timeout, offline,
   * a close handshake that never ended). `ws` destroys the socket, which still sends whatever the
   * kernel holds, then a FIN: on a link that comes back, those old messages reach the server after
   * the next connection's. A TCP reset discards them. TLS keeps its TCP handle to itself (no reset
   * there): `ws`'s own terminate.
   */
  override terminate(): void {
    const internals = this as WsInternals
    const socket = internals._socket
    const state = this.readyState
    if ((state === OPEN || state === CLOSING) && typeof socket?.resetAndDestroy === 'function') {
      try {
        internals._readyState = CLOSING // as ws's terminate does; its close follows from the socket's
        socket.resetAndDestroy()
        return
      } catch {
        internals._readyState = state // a TLS socket: its handle is not a TCP one
      }
    }
    super.terminate()
  }
}

interface EventEmitterLike {
  emit(type: string, ...args: unknown[]): boolean
  listenerCount(type: string): number
  readonly _eventsCount: number
  readonly readyState: number
  ping(data?: unknown, mask?: unknown, callback?: unknown): void
  terminate(): void
}

const OPEN = 1
const CLOSING = 2

/** A corked turn hands the kernel what it holds once it is this many bytes (still one writev for many small frames). */
const FLUSH_AT = 64 * 1024

/** TCP sockets corked until the end of this turn (corkTurn). */
const CORKED = new WeakSet<object>()

function uncork(socket: { uncork(): void }): void {
  CORKED.delete(socket)
  socket.uncork()
}

/**
 * The close code `ws` sent when it failed a connection itself, kept from its error until its close
 * (a WeakMap: only a socket that failed so has an entry, and none outlives its socket).
 */
const SENT_CODES = new WeakMap<object, number>()

/** The close code `ws` attached (as a 'status-code' symbol) to a protocol error it failed the connection for. */
function statusCodeOf(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null) return undefined
  for (const symbol of Object.getOwnPropertySymbols(error)) {
    const value = (error as Record<symbol, unknown>)[symbol]
    if (symbol.description === 'status-code' && typeof value === 'number') return value
  }
  return undefined
}

function handlerOrNull(handler: Handler): Handler {
  return typeof handler === 'function' ? handler : null
}

/** Calls `handler` (if set) as a WebSocket calls its handlers; whether there was one. */
function call(handler: Handler, socket: NodeWebSocket, event: unknown): boolean {
  if (handler === null) return false
  handler.call(socket, event)
  return true
}

const MESSAGE_EVENT: { type: 'message'; target: unknown; data: unknown } = { type: 'message', target: undefined, data: undefined }

// What emit() hands an event to: functions, not private methods (a class with private methods
// carries a brand field on each of its thousands of sockets).

function reportClose(socket: NodeWebSocket, handler: Handler, code: number, reason: Buffer): boolean {
  const internals = socket as unknown as { _closeFrameReceived?: boolean; _closeFrameSent?: boolean }
  const wasClean = internals._closeFrameReceived === undefined ? code !== 1006 : Boolean(internals._closeFrameReceived && internals._closeFrameSent)
  const sent = SENT_CODES.get(socket)
  const reported = code === 1006 && sent !== undefined ? sent : code
  return call(handler, socket, { type: 'close', target: socket, code: reported, reason: String(reason ?? ''), wasClean })
}

function reportError(socket: NodeWebSocket, handler: Handler, error: Error): boolean {
  const sent = statusCodeOf(error)
  if (sent !== undefined) SENT_CODES.set(socket, sent)
  return call(handler, socket, { type: 'error', target: socket, error, message: error?.message })
}

function reportMessage(socket: NodeWebSocket, handler: Handler, data: Buffer, isBinary: boolean): boolean {
  if (handler === null) return false
  const event = MESSAGE_EVENT
  event.target = socket
  event.data = isBinary ? data : data.toString()
  handler.call(socket, event)
  // not in a finally: this is the receive hot path; a throwing handler leaves one message held
  // here until the next one arrives
  event.target = event.data = undefined
  return true
}

export const nodeDefaults: Partial<SocketOptions> = {
  WebSocket: NodeWebSocket as unknown as WebSocketConstructor,
  timer: {
    setTimeout: (callback, ms) => setTimeout(callback, ms),
    clearTimeout: (handle) => clearTimeout(handle),
    // the builtin itself, not a wrapper: optimised code inlines the call (the receive path reads
    // the clock for every message). V8 still boxes the number it returns: see bench/alloc.mjs
    now: Date.now,
    monotonic: () => performance.now(),
  },
  random: Math.random,
}
