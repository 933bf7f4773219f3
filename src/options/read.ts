/**
 * Reading what a user passes without trusting it: own properties only (never what a polluted
 * Object.prototype adds), and built-in type tags that work across realms where instanceof does not.
 */

/** The own enumerable properties of `sources`, later ones winning, on an object with no prototype. */
export function ownOnly(...sources: object[]): Record<string, unknown> {
  return Object.assign(Object.create(null) as Record<string, unknown>, ...sources)
}

/**
 * `object[key]` if the object or a prototype of its own class has it; never what a polluted
 * Object.prototype adds (a class instance's methods count, `Object.prototype.ping = …` does not).
 */
export function memberOf(object: object, key: string): unknown {
  for (let o: object | null = object; o !== null && o !== Object.prototype; o = Object.getPrototypeOf(o)) {
    if (Object.prototype.hasOwnProperty.call(o, key)) return (object as Record<string, unknown>)[key]
  }
  return undefined
}

/** Whether the object or a prototype of its own class has `key`, without reading it (a getter on a prototype may throw). */
export function hasMember(object: object, key: string): boolean {
  for (let o: object | null = object; o !== null && o !== Object.prototype; o = Object.getPrototypeOf(o)) {
    if (Object.prototype.hasOwnProperty.call(o, key)) return true
  }
  return false
}

/** The built-in type tag (`'URL'`, `'Blob'`…), which works across realms where instanceof does not. */
export function tagOf(value: unknown): string {
  return Object.prototype.toString.call(value).slice(8, -1)
}
