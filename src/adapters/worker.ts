/**
 * Workers (web, shared and service workers, Cloudflare workerd, Deno, edge runtimes): the global
 * WebSocket, global timers, Date.now and Math.random, and 'online'/'offline' from the global scope
 * where it is an EventTarget. No window or document exists here, so none is referenced (and this
 * file imports nothing from the browser adapter, so no page code lands in a worker bundle).
 * Nothing is read or attached at import.
 *
 * Chromium fires no 'online'/'offline' in dedicated or shared workers, though navigator.onLine
 * changes there: so where navigator.onLine exists, it is read whenever the socket's timers run
 * (each attempt's start and timeout, each heartbeat, each retry), and every ONLINE_POLL_MS while
 * offline (no timer of the socket runs then: it waits for 'online'). A change is the signal.
 */
import type { EnvSignal } from '../core/state.js'
import type { SocketOptions } from '../options/types.js'
import { globalDefaults } from './globals.js'
import type { AttachSignals } from '../runtime/socket.js'

interface ListenerTarget {
  addEventListener(type: string, listener: () => void): void
  removeEventListener(type: string, listener: () => void): void
}

/** How often navigator.onLine is read while offline, when no event may say the network is back. */
export const ONLINE_POLL_MS = 1_000

/** The standard globals: see globals.ts. */
export const workerDefaults = globalDefaults

/**
 * One socket's ports and environment signals: its timer port reads navigator.onLine before each
 * callback (a socket given its own `timer` keeps only the poll while offline and the events).
 */
export function workerAdapter(): { defaults: Partial<SocketOptions>; attach: AttachSignals } {
  let check = (): void => {}
  const defaults = workerDefaults()
  const timer = defaults.timer!
  defaults.timer = {
    ...timer,
    setTimeout: (callback, ms) =>
      timer.setTimeout(() => {
        check()
        callback()
      }, ms),
  }
  const attach: AttachSignals = (signal) => {
    const watch = watchNetwork(signal)
    check = watch.check
    return () => {
      check = () => {}
      watch.stop()
    }
  }
  return { defaults, attach }
}

/** 'online'/'offline' events where the scope fires them, navigator.onLine where it does not. */
function watchNetwork(signal: (name: EnvSignal) => void): { check(): void; stop(): void } {
  const navigator = (globalThis as { navigator?: { onLine?: unknown } }).navigator
  /** What the socket was last told (it assumes online at first). */
  let online = true
  let poll: ReturnType<typeof setTimeout> | undefined
  const tell = (now: boolean): void => {
    online = now
    signal(now ? 'online' : 'offline')
    if (!now && poll === undefined) poll = setTimeout(tick, ONLINE_POLL_MS)
  }
  const check = (): void => {
    const now = navigator?.onLine
    if (typeof now === 'boolean' && now !== online) tell(now)
  }
  const tick = (): void => {
    poll = undefined
    check()
    if (!online && poll === undefined) poll = setTimeout(tick, ONLINE_POLL_MS)
  }
  const onOnline = (): void => tell(true)
  const onOffline = (): void => tell(false)
  const scope = globalThis as Partial<ListenerTarget>
  const target = typeof scope.addEventListener === 'function' && typeof scope.removeEventListener === 'function' ? (scope as ListenerTarget) : undefined
  target?.addEventListener('online', onOnline)
  target?.addEventListener('offline', onOffline)
  return {
    check,
    stop() {
      if (poll !== undefined) clearTimeout(poll)
      poll = undefined
      target?.removeEventListener('online', onOnline)
      target?.removeEventListener('offline', onOffline)
    },
  }
}
