/**
 * The ports the driver talks through. Typed structurally (no DOM lib) so the same code runs against
 * a browser WebSocket, Node's `ws`, a worker's WebSocket, or the testing kit's fake.
 */

/**
 * Timers and clocks. `now()` is wall-clock ms (Date.now in adapters), so a sleeping machine shows as
 * a jump. `monotonic()` (performance.now in adapters) is what timers are ordered by: it never jumps
 * when someone sets the wall clock. Without it, timers are ordered by `now()`, and a wall clock that
 * jumps moves them.
 */
export interface Clock {
  setTimeout(callback: () => void, ms: number): unknown
  clearTimeout(handle: any): void
  now(): number
  monotonic?(): number
}

/**
 * What the driver needs of a socket: the WHATWG shape, plus what an adapter adds where its runtime
 * has more (Node: ping frames, a hard stop, upload and download progress). Handlers (`onopen`…) are
 * called with `this` set to the socket or with `event.target` set to it: the driver shares one set
 * of handler functions among all its sockets. A `close` event's code is the true one (the adapter
 * sees to it).
 */
export interface WebSocketLike {
  readonly readyState: number
  binaryType: string
  readonly protocol: string
  readonly extensions: string
  readonly bufferedAmount?: number
  /**
   * Bytes read from the network so far, a message still arriving included (the Node adapter). A
   * socket without it (browsers) shows nothing before a message completes.
   */
  readonly bytesRead?: number
  send(data: any): void
  /**
   * A session connection: send, and call `settle` with the message's fate once it is known (no
   * argument: the server acknowledged it; a reason: it was dropped, and a drop event says so).
   */
  sendSettled?(data: any, settle: ((dropped?: 'closed' | 'error' | 'unconfirmed') => void) | undefined): void
  /**
   * Node `ws` only: send, then call `callback` once the message was written (no argument) or could
   * not be (an error): how a Blob that cannot be read is noticed.
   */
  sendWithCallback?(data: any, callback: (error?: unknown) => void): void
  close(code?: number, reason?: string): void
  onopen: ((event: any) => void) | null
  onmessage: ((event: { data: unknown }) => void) | null
  onclose: ((event: { code: number; reason: string; wasClean: boolean }) => void) | null
  onerror: ((event: any) => void) | null
  /** Node adapter only: protocol ping frames (their answers come to `onpong`, the peer's pings to `onping`). */
  ping?(data?: string): void
  onpong?: ((event?: unknown) => void) | null
  onping?: ((event?: unknown) => void) | null
  /** Node adapter only: a hard stop, for a link presumed dead. */
  terminate?(): void
  /** Node adapter only: what is sent until the end of this turn leaves in one system call. */
  corkTurn?(): void
}

export interface WebSocketConstructor {
  new (url: string, protocols?: string | string[], options?: any): WebSocketLike
  readonly prototype: object
}

/**
 * The session port (lifeline-ws/session): the `session` option is a function that createSocket
 * calls once per socket with its ports, and that hands back the WebSocket constructor the driver
 * uses from then on (each connection a lifeline.v1 connection wrapped as a WebSocketLike). An app
 * without sessions carries none of the protocol.
 */
export interface SessionHost {
  readonly WebSocket: WebSocketConstructor
  readonly timer: Clock
  /** The `delivery` option: messages written to a session the server lost are reported ('unconfirmed') or resent. */
  readonly delivery: 'report' | 'resend'
  /** A message passed to `send()` that will not be delivered (or may not have been), and why. */
  dropped(data: unknown, reason: 'closed' | 'error' | 'unconfirmed'): void
  /** The server asked this connection (one `WebSocket` made) to move now: the socket reconnects at once. */
  moved(ws: WebSocketLike): void
}

/** One socket's session: the constructor the driver calls, and what its last open was. */
export interface SessionPort {
  /** Makes the connections of this session. */
  readonly WebSocket: WebSocketConstructor
  /** Whether the last WELCOME resumed the session (false for a new one or a plain fallback). */
  readonly resumed: boolean
  /** Whether the last open carries a session (false: the server had none and `fallback` is 'plain'). */
  readonly active: boolean
  /** close() for good: the session ends (END) instead of waiting out the server's resume window. */
  end(): void
  /**
   * A session whose code is still loading (`session: true`): what an attempt waits for before it
   * calls `WebSocket`; undefined once there is nothing to wait for.
   */
  ready?(): PromiseLike<void> | undefined
}

/** `session: { … }` (or `session()`'s argument). */
export interface SessionOptions {
  /**
   * A server without sessions: `'fail'`: an error event and giveup, saying so (never a silent
   * downgrade); `'plain'`: connect as an ordinary socket, and `open` says `{ session: false }`.
   * @default 'fail'
   */
  fallback?: 'fail' | 'plain'
}

/** The `session` option's port: made by `session()` from 'lifeline-ws/session' (or by `session: true`, loading that code on demand). */
export type SessionOption = (host: SessionHost) => SessionPort

/** readyState values (the WHATWG constants; `ws` uses the same numbers). */
export const OPEN = 1

// ── the `handshake` option's port (here, not in runtime/: options/ names its type) ──

/** The socket a handshake talks on: the opened connection, before the queue and 'open'. */
export interface HandshakeSocket {
  /** Write to the connection now (what `send()` queued waits for the handshake). */
  send(data: string | ArrayBufferLike | ArrayBufferView | Blob): void
  /** The next inbound message; rejects with the abort reason when the attempt is abandoned. */
  receive(): Promise<unknown>
  /** The negotiated subprotocol ('' when none). */
  readonly protocol: string
}

export interface HandshakeContext {
  readonly socket: HandshakeSocket
  /** Failed attempts since the last stable open (0 on a first connection). */
  readonly attempt: number
  /** Aborted when the attempt is abandoned: timeout, close, reconnect(), close(). */
  readonly signal: AbortSignal
}

export type HandshakeOption = (context: HandshakeContext) => unknown
