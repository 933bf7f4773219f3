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
}

export interface WebSocketConstructor {
  new (url: string, protocols?: string | string[], options?: any): WebSocketLike
  readonly prototype: object
}

/** readyState values (the WHATWG constants; `ws` uses the same numbers). */
export const OPEN = 1
