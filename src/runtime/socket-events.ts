/**
 * Listening to a socket without a closure per socket: one set of handler functions shared by
 * every socket, and on each socket whoever listens to it. A socket calls its
 * handlers with `this` set to itself, or with `event.target` set to it (WHATWG).
 */
import type { WebSocketLike } from '../ports.js'

/** Told of a socket's events (the driver). */
export interface SocketListener {
  socketOpened(ws: WebSocketLike): void
  socketClosed(ws: WebSocketLike, event: { code: number; reason: string; wasClean: boolean }): void
  socketErrored(ws: WebSocketLike, event: { error?: unknown; message?: unknown } | undefined): void
  socketMessage(ws: WebSocketLike, data: unknown): void
  socketPong(ws: WebSocketLike, payload?: unknown): void
  socketPing(ws: WebSocketLike): void
}

/**
 * Who listens to a socket, on the socket itself: one property hop from a handler to its listener
 * (a WeakMap lookup per message cost more, and its entry more memory). Cleared, never deleted, when
 * the socket is forgotten: a deleted property would slow the object down.
 */
const OWNER: unique symbol = Symbol('lifeline-ws owner')
type Owned = { [OWNER]?: SocketListener | undefined }

/** `frames`: also protocol pongs and pings (a socket with ping frames: the Node adapter). */
export function listen(ws: WebSocketLike, owner: SocketListener, frames: boolean): void {
  ;(ws as Owned)[OWNER] = owner
  ws.onopen = onOpen
  ws.onclose = onClose
  ws.onerror = onError
  ws.onmessage = onMessage
  if (frames) {
    ws.onpong = onPong
    ws.onping = onPing
  }
}

/** Stop listening to a socket (it closed, or was left to close by itself). */
export function forget(ws: WebSocketLike): void {
  ;(ws as Owned)[OWNER] = undefined
  ws.onopen = ws.onclose = ws.onmessage = null
  // keep an error listener: Node's `ws` throws an 'error' that nobody listens to
  ws.onerror = noop
  if (ws.onpong) ws.onpong = ws.onping = null
}

const noop = (): void => {}

/** The socket an event came from: `this`, or else the event's target. */
function sourceOf(self: unknown, event: unknown): WebSocketLike & Owned {
  return ((self as Owned | undefined)?.[OWNER] ? self : (event as { target?: unknown } | undefined)?.target) as WebSocketLike & Owned
}

function onOpen(this: unknown, event: unknown): void {
  const ws = sourceOf(this, event)
  ws?.[OWNER]?.socketOpened(ws)
}

function onClose(this: unknown, event: { code: number; reason: string; wasClean: boolean }): void {
  const ws = sourceOf(this, event)
  ws?.[OWNER]?.socketClosed(ws, event)
}

function onError(this: unknown, event: { error?: unknown; message?: unknown } | undefined): void {
  const ws = sourceOf(this, event)
  ws?.[OWNER]?.socketErrored(ws, event)
}

/** The receive hot path: one property read when `this` is the socket (every runtime but the odd one). */
function onMessage(this: unknown, event: { data: unknown; target?: unknown }): void {
  const owner = (this as Owned | undefined)?.[OWNER]
  if (owner !== undefined) owner.socketMessage(this as WebSocketLike, event.data)
  else (event.target as Owned | undefined)?.[OWNER]?.socketMessage(event.target as WebSocketLike, event.data)
}

/** `ws` calls it with the pong's payload (a Buffer): the write position its ping carried. */
function onPong(this: WebSocketLike & Owned, payload?: unknown): void {
  this[OWNER]?.socketPong(this, payload)
}

function onPing(this: WebSocketLike & Owned): void {
  this[OWNER]?.socketPing(this)
}
