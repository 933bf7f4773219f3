/**
 * Shared by the optional entries (react, tabs): they take the socket's options plus a few of their
 * own. Their own keys are taken out (createSocket rejects unknown keys), and a connection is named
 * by its url and protocols unless the caller names it.
 */
import { mustBe, nameRequired } from './options/messages.dev.js'
import { ownOnly } from './options/read.js'
import type { SocketOptions } from './options/types.js'

/**
 * `options` split into the entry's own keys and the socket's options; own properties only, into
 * objects with no prototype: a key on a polluted Object.prototype (`sharedWorker`, `create`, `debug`…)
 * must not be read as an option the caller did not set.
 */
export function splitOptions<Own extends object>(
  options: SocketOptions & Own,
  ownKeys: readonly (keyof Own & string)[],
  where: string,
): [Partial<Own>, SocketOptions] {
  if (options === null || typeof options !== 'object') throw new TypeError(mustBe(`${where}: options`, options, 'options'))
  const own = ownOnly()
  const rest = ownOnly()
  for (const key of Object.keys(options)) ((ownKeys as readonly string[]).includes(key) ? own : rest)[key] = (options as Record<string, unknown>)[key]
  return [own as Partial<Own>, rest as unknown as SocketOptions]
}

/**
 * The name of a connection the caller did not name (with `keyOption`): its url and protocols. A url
 * or protocols given as a function cannot be compared, so then `keyOption` is required.
 */
export function connectionName(options: SocketOptions, where: string, keyOption: string): string {
  const { url, protocols } = options
  if (typeof url === 'function' || typeof protocols === 'function') {
    throw new TypeError(nameRequired(`${where}: ${keyOption}`))
  }
  return protocols === undefined ? String(url) : `${String(url)} ${String(protocols)}`
}
