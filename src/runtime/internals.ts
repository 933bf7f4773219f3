/**
 * The one door from the optional entries (lifeline-ws/monitor, /promises, /stream) into a socket: a
 * method the public type does not show. A string name, not a symbol: a class with a computed key
 * is one a bundler cannot drop, and every import of lifeline-ws/core's `transition` would carry
 * the socket class. A name also finds the method on a socket made by the other build (ESM/CJS).
 */
import { describe } from '../options/messages.dev.js'
import type { Driver, DriverEvent, Observer } from './driver.js'

/** What lifeline-ws/monitor attaches: the driver's traffic, and every event but 'message' from the socket. */
export interface SocketObserver extends Observer {
  event(event: DriverEvent): void
}

export interface WithInternals {
  /** The driver underneath; with an observer, attaches it (replacing the one before). Not public API. */
  _internals(observer?: SocketObserver): Driver
}

/** The socket's driver, or a TypeError naming the caller when `socket` is not a lifeline socket. */
export function driverOf(socket: unknown, caller: string, observer?: SocketObserver): Driver {
  const open = socket !== null && typeof socket === 'object' ? (socket as Partial<WithInternals>)._internals : undefined
  if (typeof open !== 'function') throw new TypeError(`${caller}: socket must be a socket made by createSocket(), got ${describe(socket)}`)
  return open.call(socket, observer)
}

/**
 * For the optional APIs that need only the public socket (events and state): anything shaped like
 * one, so a lifeline-ws/tabs shared socket serves too. A TypeError naming the caller otherwise.
 */
export function checkSocket(socket: unknown, caller: string): void {
  const ok = socket !== null && typeof socket === 'object' && typeof (socket as { on?: unknown }).on === 'function' && typeof (socket as { state?: unknown }).state === 'string'
  if (!ok) throw new TypeError(`${caller}: socket must be a socket made by createSocket(), got ${describe(socket)}`)
}
