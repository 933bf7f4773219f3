/**
 * A scripted fake WebSocket for deterministic tests. The test plays the server: every connection
 * attempt creates a FakeSocket, and `server.accept()`, `refuse()`, `send()`, `drop()`, `close()` and
 * `silence()` act on the latest one. Events the client causes (its own close()) are delivered on the
 * virtual clock, as a real socket delivers them asynchronously.
 */
import type { Clock, WebSocketConstructor, WebSocketLike } from '../ports.js'

export interface FakeServerOptions {
  /** Used to deliver close handshakes and pongs asynchronously. */
  clock: Clock
  /** Give sockets protocol ping()/'pong' like Node's `ws` (answered automatically unless silenced). @default false */
  pingFrames?: boolean
  /** Answer app-level messages: return the reply, or undefined for none. @default undefined */
  answer?: (data: unknown) => unknown
}

export interface FakeServer {
  /** The constructor to pass as the `WebSocket` option. */
  readonly WebSocket: WebSocketConstructor
  /** Every socket ever constructed, oldest first. */
  readonly sockets: readonly FakeSocket[]
  /** The latest socket (throws if none was made). */
  readonly last: FakeSocket
  /** Sockets not yet closed. */
  readonly live: readonly FakeSocket[]
  /** Everything the client sent on any socket, in order. */
  readonly received: unknown[]
  accept(protocol?: string): void
  refuse(): void
  send(data: unknown): void
  drop(): void
  close(code?: number, reason?: string): void
  silence(): void
}

export class FakeSocket implements WebSocketLike {
  static readonly CONNECTING = 0
  static readonly OPEN = 1
  static readonly CLOSING = 2
  static readonly CLOSED = 3
  readyState = 0
  binaryType = 'blob'
  protocol = ''
  extensions = ''
  bufferedAmount = 0
  /**
   * Bytes read from the network so far, as the Node adapter shows them: raise it to play a large
   * message still arriving. Undefined (the default): nothing shows before a message completes, as
   * in browsers.
   */
  bytesRead: number | undefined = undefined
  onopen: WebSocketLike['onopen'] = null
  onmessage: WebSocketLike['onmessage'] = null
  onclose: WebSocketLike['onclose'] = null
  onerror: WebSocketLike['onerror'] = null
  /** Protocol pong and ping frames (a server made with `pingFrames`), as the Node adapter reports them. */
  onpong: WebSocketLike['onpong'] = null
  onping: WebSocketLike['onping'] = null
  /** What the client sent on this socket. */
  readonly sent: unknown[] = []
  /** What the client sent while the link was silent: written to a socket, never arrived. */
  readonly swallowed: unknown[] = []
  /** Set when the client called close(code, reason). */
  closedBy: { code: number | undefined; reason: string | undefined } | undefined
  /** The client called terminate() (Node `ws` hard close). */
  terminated = false
  silent = false
  pings = 0

  constructor(
    readonly url: string,
    readonly protocols: string | string[] | undefined,
    private readonly server: ServerInternals,
  ) {}

  send(data: unknown): void {
    if (this.readyState === 0) throw new Error('InvalidStateError: still CONNECTING')
    if (this.readyState !== 1) return
    if (this.silent) {
      this.swallowed.push(data)
      return
    }
    this.sent.push(data)
    this.server.received.push(data)
    const reply = this.server.options.answer?.(data)
    if (reply !== undefined) this.server.options.clock.setTimeout(() => this.deliver(reply), 0)
  }

  close(code?: number, reason?: string): void {
    if (this.readyState >= 2) return
    this.closedBy = { code, reason }
    const wasOpen = this.readyState === 1
    this.readyState = 2
    if (this.silent) return // the close handshake never completes on a dead link
    this.server.options.clock.setTimeout(() => {
      if (!wasOpen) this.onerror?.({ message: 'closed before the connection was established' })
      this.finish(wasOpen ? (code ?? 1005) : 1006, wasOpen ? (reason ?? '') : '', wasOpen)
    }, 0)
  }

  terminate(): void {
    this.terminated = true
    if (this.readyState === 3) return
    this.readyState = 2
    this.server.options.clock.setTimeout(() => this.finish(1006, '', false), 0)
  }

  /** Protocol ping (exists only when the server was made with `pingFrames`); its pong echoes `data`. */
  ping?: (data?: string) => void

  // ── the server's side ──────────────────────────────────────────────────────────────────────────
  accept(protocol = ''): void {
    if (this.readyState !== 0) throw new Error(`accept(): socket is not connecting (readyState ${this.readyState})`)
    this.readyState = 1
    this.protocol = protocol
    this.onopen?.({})
  }

  refuse(): void {
    if (this.readyState === 3) return
    this.onerror?.({ message: 'connection refused' })
    this.finish(1006, '', false)
  }

  deliver(data: unknown): void {
    if (this.readyState !== 1 || this.silent) return
    this.onmessage?.({ data })
  }

  drop(): void {
    if (this.readyState === 3) return
    this.finish(1006, '', false)
  }

  serverClose(code = 1000, reason = ''): void {
    if (this.readyState === 3) return
    this.finish(code, reason, true)
  }

  /** A pong or ping frame from the server, with its payload (a pong echoes its ping's). */
  emitFrame(event: 'pong' | 'ping', payload?: string): void {
    if (this.readyState !== 1 || this.silent) return
    // as the Node adapter does: `this` is the socket
    ;(event === 'pong' ? this.onpong : this.onping)?.call(this, payload)
  }

  private finish(code: number, reason: string, wasClean: boolean): void {
    if (this.readyState === 3) return
    this.readyState = 3
    this.onclose?.({ code, reason, wasClean })
  }
}

interface ServerInternals {
  options: FakeServerOptions
  received: unknown[]
}

export function createFakeServer(options: FakeServerOptions): FakeServer {
  const sockets: FakeSocket[] = []
  const internals: ServerInternals = { options, received: [] }

  class FakeWebSocket extends FakeSocket {
    constructor(url: string, protocols?: string | string[]) {
      super(url, protocols, internals)
      if (options.pingFrames) {
        this.ping = (data?: string) => {
          this.pings++
          if (this.readyState !== 1 || this.silent) return
          options.clock.setTimeout(() => this.emitFrame('pong', data), 0)
        }
      }
      sockets.push(this)
    }
  }
  if (options.pingFrames) {
    // `ping` on the prototype is how lifeline-ws tells a socket that can send ping frames
    // (with `onpong` to hear the answers, as the Node adapter's class has)
    ;(FakeWebSocket.prototype as { ping?: () => void }).ping = function ping() {}
    ;(FakeWebSocket.prototype as { onpong?: null }).onpong = null
  }

  const last = (): FakeSocket => {
    const socket = sockets[sockets.length - 1]
    if (!socket) throw new Error('no socket has been constructed yet')
    return socket
  }

  return {
    WebSocket: FakeWebSocket as unknown as WebSocketConstructor,
    sockets,
    get last() {
      return last()
    },
    get live() {
      return sockets.filter((s) => s.readyState !== 3)
    },
    received: internals.received,
    accept: (protocol) => last().accept(protocol),
    refuse: () => last().refuse(),
    send: (data) => last().deliver(data),
    drop: () => last().drop(),
    close: (code, reason) => last().serverClose(code, reason),
    silence: () => {
      last().silent = true
    },
  }
}
