/** `session()`: checks its options once, and makes each socket's session when createSocket asks. */
import * as text from '../options/messages.dev.js'
import { ClientSession } from './session-socket.js'
import type { SessionOption, SessionOptions } from '../ports.js'

export type { SessionOptions }

export function session(options: SessionOptions = {}): SessionOption {
  if (options === null || typeof options !== 'object') throw new TypeError(text.mustBe('session(options)', options, 'object'))
  for (const key of Object.keys(options)) {
    if (key !== 'fallback') throw new TypeError(text.unknownOption('session.', key, ['fallback']))
  }
  const fallback = Object.prototype.hasOwnProperty.call(options, 'fallback') && options.fallback !== undefined ? options.fallback : 'fail'
  if (fallback !== 'fail' && fallback !== 'plain') throw new TypeError(text.mustBeOneOf('session.fallback', fallback, ['fail', 'plain']))
  return (host) => new ClientSession(host, fallback)
}
