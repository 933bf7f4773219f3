/**
 * Listener lists by event name, for a socket and for a tab's shared socket. Each list is replaced,
 * never changed in place: delivery iterates one without a copy while listeners come and go, and a
 * list made by concat() has no spare capacity (a push() reserves room for 17 entries, ~120 B per
 * event per socket, which thousands of idle sockets pay in full).
 */
export type ListenerLists = Record<string, Listener[] | undefined>
type Listener = (...args: never[]) => unknown

const NONE: readonly Listener[] = []

/** Adds `listener` to `event`'s list; returns what removes it again (every registration of it). */
export function subscribe(lists: ListenerLists, event: string, listener: Listener): () => void {
  lists[event] = NONE.concat(lists[event] ?? NONE, listener)
  return () => {
    const list = lists[event]
    if (list) lists[event] = NONE.concat(list.filter((other) => other !== listener))
  }
}

/**
 * Call every listener even if one throws; a thrown error is rethrown asynchronously (as a DOM
 * EventTarget reports it), so it surfaces without leaving the caller half-updated. on() and its
 * unsubscribe replace the array, so iterating this one is safe without a copy.
 */
export function callAll(listeners: readonly Listener[] | undefined, args: unknown[]): void {
  if (listeners) {
    for (let i = 0, n = listeners.length; i < n; i++) {
      try {
        ;(listeners[i] as (...args: unknown[]) => unknown)(...args)
      } catch (error) {
        reportListenerError(error)
      }
    }
  }
}

export function reportListenerError(error: unknown): void {
  const report = (globalThis as { reportError?: (e: unknown) => void }).reportError
  if (typeof report === 'function') report(error)
  else
    queueMicrotask(() => {
      throw error
    })
}
