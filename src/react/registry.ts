/**
 * Sockets shared by key and counted by users: every hook with the same key holds the same socket.
 * The last user leaving starts a linger timer rather than closing at once, so React StrictMode's
 * mount–unmount–mount and fast refresh come back to the socket they left.
 */
import type { Data } from '../core/queue.js'
import type { LifelineSocket } from '../runtime/socket.js'

export interface SharedEntry {
  readonly key: string
  readonly socket: LifelineSocket
  users: number
  /** The pending close, while no one uses it. */
  linger?: ReturnType<typeof setTimeout>
}

/** The live entry of each key (render may read it; only the functions below change it). */
export const entries = new Map<string, SharedEntry>()

/** One more user of `key`'s socket, made by `make()` if there is none or it was closed for good. */
export function acquire(key: string, make: () => LifelineSocket): SharedEntry {
  let entry = entries.get(key)
  // a socket closed by its user or given up stays with the components that hold it; newcomers get a new one
  if (!entry || entry.socket.state === 'closed') entries.set(key, (entry = { key, socket: make(), users: 0 }))
  clearTimeout(entry.linger)
  entry.linger = undefined
  entry.users++
  return entry
}

/** One user fewer; with none left, the socket closes after `linger` ms unless someone comes back. */
export function release(entry: SharedEntry, linger: number): void {
  if (--entry.users > 0) return
  entry.linger = setTimeout(() => void closeNow(entry), linger)
}

/** Close the entry's socket now (it must have no users); returns the messages still queued in it. */
export function closeNow(entry: SharedEntry): Data[] {
  clearTimeout(entry.linger)
  if (entries.get(entry.key) === entry) entries.delete(entry.key)
  const left: Data[] = []
  const off = entry.socket.on('drop', ({ data, reason }) => reason === 'closed' && left.push(data))
  if (entry.socket.state !== 'closed') entry.socket.close()
  off()
  return left
}
