/** lifeline-ws/promises' `closeOn`: an AbortSignal that closes a socket. */
import { describe } from '../options/messages.dev.js'
import { memberOf } from '../options/read.js'
import { driverOf } from './internals.js'
import type { LifelineSocket } from './socket.js'

/**
 * Aborting `signal` closes the socket as `close(1000, 'aborted')` does; an already aborted signal
 * closes it on the next microtask. Returns the function that stops watching; the signal's listener
 * is also removed once the socket is closed for good, so a long-lived signal holds no dead socket.
 */
export function closeOn(socket: LifelineSocket, signal: AbortSignal): () => void {
  driverOf(socket, 'closeOn(socket, signal)')
  checkAbortSignal(signal, 'closeOn(socket, signal): signal')
  let watching = socket.state !== 'closed'
  let offClosed: (() => void) | undefined
  const onAbort = (): void => {
    stop()
    if (socket.state !== 'closed') socket.close(1000, 'aborted')
  }
  const stop = (): void => {
    if (!watching) return
    watching = false
    signal.removeEventListener('abort', onAbort)
    offClosed?.()
  }
  if (!watching) return stop
  if (signal.aborted) {
    queueMicrotask(() => watching && onAbort())
    return stop
  }
  signal.addEventListener('abort', onAbort)
  offClosed = socket.on('state', (next) => next === 'closed' && stop())
  return stop
}

/** A TypeError naming the value as `name` unless it is an AbortSignal (or looks like one). */
export function checkAbortSignal(signal: unknown, name: string): asserts signal is AbortSignal {
  if (signal === null || typeof signal !== 'object' || typeof memberOf(signal, 'addEventListener') !== 'function' || typeof memberOf(signal, 'aborted') !== 'boolean') {
    throw new TypeError(`${name} must be an AbortSignal, got ${describe(signal)}`)
  }
}
