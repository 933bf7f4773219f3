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
  }
  _readyState?: number
  _sender?: { _bufferedBytes?: unknown }
}

type Handler = ((event: any) => void) | null
type WsEvent = 'open' | 'close' | 'error' | 'message'

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

  get onopen(): Handler {
    return this.#onopen
  }

  set onopen(handler: Handler) {
    this.#onopen = this.#attach('open', NodeWebSocket.#open, this.#onopen, handler)
  }

  get onclose(): Handler {
    return this.#onclose
  }

  set onclose(handler: Handler) {
    this.#onclose = this.#attach('close', NodeWebSocket.#close, this.#onclose, handler)
  }

  get onerror(): Handler {
    return this.#onerror
  }

  set onerror(handler: Handler) {
    this.#onerror = this.#attach('error', NodeWebSocket.#error, this.#onerror, handler)
  }

  get onmessage(): Handler {
    return this.#onmessage
  }

  set onmessage(handler: Handler) {
    this.#onmessage = this.#attach('message', NodeWebSocket.#message, this.#onmessage, handler)
  }

  // Frames are rare: their handlers are ws's own listeners (called with `this` = the socket), so
  // they cost no field on every socket
  get onpong(): Handler {
    return this.#frameHandler('pong')
  }

  set onpong(handler: Handler) {
    this.#setFrameHandler('pong', handler)
  }

  get onping(): Handler {
    return this.#frameHandler('ping')
  }

  set onping(handler: Handler) {
    this.#setFrameHandler('ping', handler)
  }

  #frameHandler(type: 'pong' | 'ping'): Handler {
    return (this.listeners(type)[0] as Handler | undefined) ?? null
  }

  #setFrameHandler(type: 'pong' | 'ping', handler: Handler): void {
    this.removeAllListeners(type) // only the driver listens to these sockets
    if (typeof handler === 'function') this.on(type, handler)
  }

  /** Listen with the shared listener while a handler is set; stop when it is cleared. */
  #attach(type: WsEvent, listener: (...args: any[]) => void, previous: Handler, handler: Handler): Handler {
    const next = typeof handler === 'function' ? handler : null
    if (next && !previous) this.on(type, listener)
    else if (!next && previous) this.removeListener(type, listener)
    return next
  }

  static #open(this: NodeWebSocket): void {
    this.#onopen?.call(this, { type: 'open', target: this })
  }

  static #close(this: NodeWebSocket, code: number, reason: Buffer): void {
    const internals = this as unknown as { _closeFrameReceived?: boolean; _closeFrameSent?: boolean }
    const wasClean = internals._closeFrameReceived === undefined ? code !== 1006 : Boolean(internals._closeFrameReceived && internals._closeFrameSent)
    const sent = SENT_CODES.get(this)
    const reported = code === 1006 && sent !== undefined ? sent : code
    this.#onclose?.call(this, { type: 'close', target: this, code: reported, reason: String(reason ?? ''), wasClean })
  }

  static #error(this: NodeWebSocket, error: Error): void {
    const sent = statusCodeOf(error)
    if (sent !== undefined) SENT_CODES.set(this, sent)
    this.#onerror?.call(this, { type: 'error', target: this, error, message: error?.message })
  }

  static #message(this: NodeWebSocket, data: Buffer, isBinary: boolean): void {
    const handler = this.#onmessage
    if (handler === null) return
    const event = MESSAGE_EVENT
    event.target = this
    event.data = isBinary ? data : data.toString()
    handler.call(this, event)
    // not in a finally: this is the receive hot path; a throwing handler leaves one message held
    // here until the next one arrives
    event.target = event.data = undefined
  }

  /**
   * `ws` reads a Blob asynchronously; when that fails (a file-backed Blob whose file changed) it
   * fails the Blob and every message queued behind it only through their callbacks. The driver
   * sends Blobs (and what follows one) through here to hear of it.
   */
  sendWithCallback(data: unknown, callback: (error?: Error) => void): void {
    ;(this as unknown as { send(data: unknown, callback: (error?: Error) => void): void }).send(data, callback)
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
  on(type: string, listener: (...args: any[]) => void): unknown
  removeListener(type: string, listener: (...args: any[]) => void): unknown
  removeAllListeners(type: string): unknown
  listeners(type: string): unknown[]
  readonly readyState: number
  terminate(): void
}

const OPEN = 1
const CLOSING = 2

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

const MESSAGE_EVENT: { type: 'message'; target: unknown; data: unknown } = { type: 'message', target: undefined, data: undefined }

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
