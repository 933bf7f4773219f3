/**
 * Browsers: the global WebSocket, global timers, Date.now and Math.random, plus the page's
 * environment signals. Nothing is read or attached at import: `browserDefaults()` reads the
 * globals when a socket is created, and `attachBrowserSignals` runs once per socket.
 */
import type { EnvSignal } from '../core/state.js'
import { globalDefaults } from './globals.js'
import type { AttachSignals } from '../runtime/socket.js'

/** The few EventTarget methods used, typed structurally (no DOM types needed). */
interface ListenerTarget {
  addEventListener(type: string, listener: (event: any) => void): void
  removeEventListener(type: string, listener: (event: any) => void): void
}

/** The standard globals: see globals.ts. */
export const browserDefaults = globalDefaults

/**
 * 'online'/'offline', 'pagehide' and 'pageshow' from the window (globalThis in a page);
 * 'visibilitychange', 'freeze' and 'resume' from the document. An open WebSocket keeps a page out
 * of the back/forward cache (or, in Chromium, is failed as the page enters it), so 'pagehide' (and
 * 'freeze') release the socket ('freeze'); a page restored from the cache ('pageshow' with
 * `persisted: true`) or unfrozen ('resume') reconnects ('resume'). Every listener is removed by the
 * returned cleanup.
 */
export const attachBrowserSignals: AttachSignals = (signal) => {
  const detach: Array<() => void> = []
  const listen = (target: ListenerTarget, type: string, listener: (event: any) => void): void => {
    target.addEventListener(type, listener)
    detach.push(() => target.removeEventListener(type, listener))
  }

  const win = eventTarget(globalThis)
  if (win) {
    listen(win, 'online', () => signal('online'))
    listen(win, 'offline', () => signal('offline'))
    listen(win, 'pagehide', () => signal('freeze'))
    listen(win, 'pageshow', (event: { persisted?: boolean }) => {
      if (event.persisted) signal('resume')
    })
  }
  const doc = (globalThis as { document?: { visibilityState?: string } }).document
  const docTarget = eventTarget(doc)
  if (doc && docTarget) {
    listen(docTarget, 'visibilitychange', () => {
      const next: EnvSignal = doc.visibilityState === 'hidden' ? 'hidden' : 'visible'
      signal(next)
    })
    listen(docTarget, 'freeze', () => signal('freeze'))
    listen(docTarget, 'resume', () => signal('resume'))
  }

  return () => {
    for (const remove of detach.splice(0)) remove()
  }
}

/** `value` if it can take and drop listeners, else undefined (SSR, tests, exotic runtimes). */
function eventTarget(value: unknown): ListenerTarget | undefined {
  const target = value as Partial<ListenerTarget> | null | undefined
  return target && typeof target.addEventListener === 'function' && typeof target.removeEventListener === 'function'
    ? (target as ListenerTarget)
    : undefined
}
