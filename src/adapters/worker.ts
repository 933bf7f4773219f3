/**
 * Workers (web, shared and service workers, Cloudflare workerd, Deno, edge runtimes): the global
 * WebSocket, global timers, Date.now and Math.random, and 'online'/'offline' from the global scope
 * where it is an EventTarget. No window or document exists here, so none is referenced (and this
 * file imports nothing from the browser adapter, so no page code lands in a worker bundle).
 * Nothing is read or attached at import.
 */
import { globalDefaults } from './globals.js'
import type { AttachSignals } from '../runtime/socket.js'

interface ListenerTarget {
  addEventListener(type: string, listener: () => void): void
  removeEventListener(type: string, listener: () => void): void
}

/** The standard globals: see globals.ts. */
export const workerDefaults = globalDefaults

export const attachWorkerSignals: AttachSignals = (signal) => {
  const scope = globalThis as Partial<ListenerTarget>
  if (typeof scope.addEventListener !== 'function' || typeof scope.removeEventListener !== 'function') {
    return () => {}
  }
  const target = scope as ListenerTarget
  const online = (): void => signal('online')
  const offline = (): void => signal('offline')
  target.addEventListener('online', online)
  target.addEventListener('offline', offline)
  return () => {
    target.removeEventListener('online', online)
    target.removeEventListener('offline', offline)
  }
}
