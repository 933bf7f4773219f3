/**
 * Listening to a socket without a closure per socket: one set of handler functions shared by
 * every socket, and a WeakMap from each socket to whoever listens to it. A socket calls its
 * handlers with `this` set to itself, or with `event.target` set to it (WHATWG).
 */
import type { WebSocketLike } from './ports.js'

/** Told of a socket's events (the driver). */
export interface SocketListener {
  socketOpened(ws: WebSocketLike): void
  socketClosed(ws: WebSocketLike, event: { code: number; reason: string; wasClean: boolean }): void
  socketErrored(ws: WebSocketLike, event: { error?: unknown; message?: unknown } | undefined): void
  socketMessage(ws: WebSocketLike, data: unknown): void
  socketPong(ws: WebSocketLike): void
  socketPing(ws: WebSocketLike): void
}

const OWNERS = new WeakMap<object, SocketListener>()

/** `frames`: also protocol pongs and pings (a socket with ping frames: the Node adapter). */
export function listen(ws: WebSocketLike, owner: SocketListener, frames: boolean): void {
  OWNERS.set(ws, owner)
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
  OWNERS.delete(ws)
  ws.onopen = ws.onclose = ws.onmessage = null
  // keep an error listener: Node's `ws` throws an 'error' that nobody listens to
  ws.onerror = noop
  if (ws.onpong) ws.onpong = ws.onping = null
}

const noop = (): void => {}

/** The socket an event came from: `this`, or else the event's target. */
function sourceOf(self: unknown, event: unknown): WebSocketLike {
  return (OWNERS.has(self as object) ? self : (event as { target?: unknown } | undefined)?.target) as WebSocketLike
}

function onOpen(this: unknown, event: unknown): void {
  const ws = sourceOf(this, event)
  OWNERS.get(ws)?.socketOpened(ws)
}

function onClose(this: unknown, event: { code: number; reason: string; wasClean: boolean }): void {
  const ws = sourceOf(this, event)
  OWNERS.get(ws)?.socketClosed(ws, event)
}

function onError(this: unknown, event: { error?: unknown; message?: unknown } | undefined): void {
  const ws = sourceOf(this, event)
  OWNERS.get(ws)?.socketErrored(ws, event)
}

/** The receive hot path: one lookup when `this` is the socket (every runtime but the odd one). */
function onMessage(this: unknown, event: { data: unknown; target?: unknown }): void {
  const owner = OWNERS.get(this as object)
  if (owner !== undefined) owner.socketMessage(this as WebSocketLike, event.data)
  else OWNERS.get(event.target as object)?.socketMessage(event.target as WebSocketLike, event.data)
}

function onPong(this: WebSocketLike): void {
  OWNERS.get(this)?.socketPong(this)
}

function onPing(this: WebSocketLike): void {
  OWNERS.get(this)?.socketPing(this)
}
