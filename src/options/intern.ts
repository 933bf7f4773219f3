/**
 * Equal option sets share one frozen object: 10,000 sockets created with the same options hold one
 * policy, not 10,000 copies of it. Keys are built from primitive values and from the identity of
 * functions and objects; the cache is small and forgets its oldest entry first, so a program that
 * makes sockets with ever-changing options gains nothing from it but loses nothing either. What it
 * holds it keeps alive until then (at most 64 entries: ports, predicates, policies).
 */
const LIMIT = 64
const shared = new Map<string, object>()

/** The object already made for `key`, or `make()`'s result, frozen and remembered. */
export function intern<T extends object>(key: string, make: () => T): T {
  const found = shared.get(key)
  if (found) return found as T
  const made = Object.freeze(make())
  if (shared.size >= LIMIT) shared.delete(shared.keys().next().value!)
  shared.set(key, made)
  return made
}

/** A cache key for these values: primitives as themselves, objects and functions by identity. */
export function keyOf(values: readonly unknown[]): string {
  // JSON quotes every part, so no two different lists make the same key
  return JSON.stringify(values.map(keyPart))
}

function keyPart(value: unknown): string {
  if (value === null || (typeof value !== 'object' && typeof value !== 'function')) return `${typeof value}:${String(value)}`
  // a number naming this object or function for as long as it lives (this does not keep it alive)
  let id = ids.get(value)
  if (id === undefined) ids.set(value, (id = nextId++))
  return `#${id}`
}
const ids = new WeakMap<object, number>()
let nextId = 1

/**
 * How resolveOptions makes an option set's objects, all frozen: `shareEqual` hands back the equal
 * one an earlier socket made (Node, lifeline-ws/core and workers, where a process may hold
 * thousands of sockets); `freezeOnly` (browsers: a page has a socket or two) keeps the cache out of
 * the bundle. `key` is what makes two objects equal: primitives by value, the rest by identity.
 */
export type Share = <T extends object>(key: readonly unknown[], value: T) => T

export const shareEqual: Share = (key, value) => intern(keyOf(key), () => value)

export const freezeOnly: Share = (_key, value) => Object.freeze(value)
