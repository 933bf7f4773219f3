/** Bad input: a synchronous TypeError/RangeError/SyntaxError naming the option and the value. */
import { describe, expect, it } from 'vitest'
import { createSocket, resolveOptions } from '../../src/index.core.js'
import { createSocket as createNodeSocket } from '../../src/index.node.js'
import { createFakeServer, createVirtualClock } from '../../src/index.testing.js'

const clock = createVirtualClock()
const { WebSocket } = createFakeServer({ clock })
const ports = { WebSocket, timer: clock, random: () => 0.5 }
const ok = { url: 'ws://example.test', ...ports }

const CASES: Array<[string, Record<string, unknown>, ErrorConstructor, string]> = [
  ['missing url', { ...ok, url: undefined }, TypeError, 'url must be a string, a URL or a function returning one, got undefined'],
  ['url of the wrong type', { ...ok, url: 42 }, TypeError, 'url must be a string, a URL or a function returning one, got number 42'],
  ['url that does not parse', { ...ok, url: 'not a url' }, SyntaxError, 'url is not a valid absolute URL, got "not a url"'],
  ['url with another scheme', { ...ok, url: 'ftp://example.test/x' }, SyntaxError, 'url must use ws:, wss:, http: or https:, got "ftp:" in "ftp://example.test/x"'],
  ['url scheme error hides credentials', { ...ok, url: 'ftp://me:pw@h/?access_token=t' }, SyntaxError, 'url must use ws:, wss:, http: or https:, got "ftp:" in "ftp://***@h/?access_token=***"'],
  ['unparseable url error hides credentials', { ...ok, url: 'file://me:pw@h/?token=t' }, SyntaxError, 'url is not a valid absolute URL, got "file://***@h/?***"'],
  ['protocols of the wrong type', { ...ok, protocols: 5 }, TypeError, 'protocols must be a string or an array of strings, got number 5'],
  ['an invalid subprotocol', { ...ok, protocols: ['ok', 'bad token'] }, SyntaxError, "protocols has an invalid subprotocol at index 1: a string of 9 characters (RFC 6455 allows letters, digits and !#$%&'*+-.^_`|~)"],
  ['a repeated subprotocol', { ...ok, protocols: ['a', 'a'] }, SyntaxError, 'protocols lists one subprotocol twice, at index 0 and at index 1'],
  ['lazy not boolean', { ...ok, lazy: 'yes' }, TypeError, 'lazy must be a boolean, got string "yes"'],
  ['negative connectTimeout', { ...ok, connectTimeout: -1 }, RangeError, 'connectTimeout must be a finite number of ms > 0, got number -1'],
  ['NaN delay', { ...ok, backoff: { initialDelay: NaN } }, RangeError, 'backoff.initialDelay must be a finite number of ms >= 10 (less is a reconnect loop), got number NaN'],
  ['initialDelay 0 (a loop with no pause)', { ...ok, backoff: { initialDelay: 0 } }, RangeError, 'backoff.initialDelay must be a finite number of ms >= 10 (less is a reconnect loop), got number 0'],
  ['a negative resetAfter', { ...ok, backoff: { resetAfter: -1 } }, RangeError, 'backoff.resetAfter must be a finite number of ms >= 0, got number -1'],
  ['a URL with a fragment', { ...ok, url: 'ws://h/#x' }, SyntaxError, 'url must not contain a fragment (#…), got "ws://h/#***"'],
  ['a delay given as a string', { ...ok, backoff: { maxDelay: '5000' } }, TypeError, 'backoff.maxDelay must be a number, got string "5000"'],
  ['maxDelay < initialDelay', { ...ok, backoff: { initialDelay: 2000, maxDelay: 1000 } }, RangeError, 'backoff.maxDelay (1000) must be >= backoff.initialDelay (2000)'],
  ['factor < 1', { ...ok, backoff: { factor: 0.5 } }, RangeError, 'backoff.factor must be a finite number >= 1, got number 0.5'],
  ['unknown jitter', { ...ok, backoff: { jitter: 'random' } }, TypeError, 'backoff.jitter must be "spread", "full", "equal", "none" or "decorrelated", got string "random"'],
  ['negative maxRetries', { ...ok, backoff: { maxRetries: -1 } }, RangeError, 'backoff.maxRetries must be a whole number >= 0 or Infinity, got number -1'],
  ['fractional maxRetries', { ...ok, backoff: { maxRetries: 1.5 } }, RangeError, 'backoff.maxRetries must be a whole number >= 0 or Infinity, got number 1.5'],
  ['unknown overflow', { ...ok, queue: { overflow: 'block' } }, TypeError, 'queue.overflow must be "reject" or "drop-oldest", got string "block"'],
  ['negative maxMessages', { ...ok, queue: { maxMessages: -5 } }, RangeError, 'queue.maxMessages must be a whole number >= 0, got number -5'],
  ['ttl of 0', { ...ok, queue: { ttl: 0 } }, RangeError, 'queue.ttl must be a finite number of ms > 0, got number 0'],
  ['a typo at the top level', { ...ok, conectTimeout: 5 }, TypeError, 'Unknown option "conectTimeout"; did you mean "connectTimeout"?'],
  ['a typo inside backoff', { ...ok, backoff: { maxDelays: 5 } }, TypeError, 'Unknown option "backoff.maxDelays"; did you mean "backoff.maxDelay"?'],
  ['an unknown option with no near match', { ...ok, colour: 'red' }, TypeError, 'Unknown option "colour"'],
  ['backoff not an object', { ...ok, backoff: 5 }, TypeError, 'backoff must be an object, got number 5'],
  ['heartbeat true', { ...ok, heartbeat: true }, TypeError, 'heartbeat must be an object or false, got boolean true'],
  ['heartbeat unknown mode', { ...ok, heartbeat: { mode: 'tcp' } }, TypeError, 'heartbeat.mode must be "auto", "protocol" or "message", got string "tcp"'],
  ['heartbeat message mode without a message', { ...ok, heartbeat: { mode: 'message' } }, TypeError, 'heartbeat.message is required when heartbeat.mode is "message", got undefined'],
  ['heartbeat protocol mode without ping frames', { ...ok, heartbeat: { mode: 'protocol' } }, TypeError, 'heartbeat.mode is "protocol" but this WebSocket cannot send ping frames (browsers and workers cannot): use mode "message" with heartbeat.message'],
  ['heartbeat interval 0', { ...ok, heartbeat: { interval: 0 } }, RangeError, 'heartbeat.interval must be a finite number of ms > 0, got number 0'],
  ['heartbeat message of a bad type', { ...ok, heartbeat: { message: 7 } }, TypeError, 'heartbeat.message must be a string, ArrayBuffer, ArrayBufferView or Blob, got number 7'],
  ['idleTimeout Infinity', { ...ok, idleTimeout: Infinity }, RangeError, 'idleTimeout must be a finite number of ms > 0, got number Infinity'],
  ['shouldReconnect not a function', { ...ok, shouldReconnect: true }, TypeError, 'shouldReconnect must be a function, got boolean true'],
  ['unknown binaryType', { ...ok, binaryType: 'text' }, TypeError, 'binaryType must be "arraybuffer", "blob" or "nodebuffer", got string "text"'],
  ['core without WebSocket', { ...ok, WebSocket: undefined }, TypeError, 'WebSocket must be a WebSocket constructor (lifeline-ws/core has no default), got undefined'],
  ['core without timer', { ...ok, timer: undefined }, TypeError, 'timer must be an object with setTimeout, clearTimeout and now (lifeline-ws/core has no default), got undefined'],
  ['timer missing now', { ...ok, timer: { setTimeout, clearTimeout } }, TypeError, 'timer.now must be a function, got undefined'],
  ['random not a function', { ...ok, random: 0.4 }, TypeError, 'random must be a function returning a number in [0, 1), got number 0.4'],
  ['handshake not a function', { ...ok, handshake: 'auth' }, TypeError, 'handshake must be a function, got string "auth"'],
  ['handshakeTimeout 0', { ...ok, handshakeTimeout: 0 }, RangeError, 'handshakeTimeout must be a finite number of ms > 0, got number 0'],
  ['handshakeTimeout as a string', { ...ok, handshakeTimeout: '5s' }, TypeError, 'handshakeTimeout must be a number, got string "5s"'],
  ['authCloseCodes not an array', { ...ok, authCloseCodes: 4401 }, TypeError, 'authCloseCodes must be an array of close codes (whole numbers in 1000–4999), got number 4401'],
  ['authCloseCodes with a code out of range', { ...ok, authCloseCodes: [4401, 999] }, TypeError, 'authCloseCodes must be an array of close codes (whole numbers in 1000–4999), got array of length 2'],
  ['suspendAfter 0', { ...ok, suspendAfter: 0 }, RangeError, 'suspendAfter must be a number of ms > 0 or Infinity, got number 0'],
  ['suspendAfter NaN', { ...ok, suspendAfter: NaN }, RangeError, 'suspendAfter must be a number of ms > 0 or Infinity, got number NaN'],
  ['suspendAfter as a string', { ...ok, suspendAfter: '2m' }, TypeError, 'suspendAfter must be a number, got string "2m"'],
  ['suspendedDelay Infinity', { ...ok, suspendedDelay: Infinity }, RangeError, 'suspendedDelay must be a finite number of ms > 0, got number Infinity'],
  ['unknown suspendedQueue', { ...ok, suspendedQueue: 'hold' }, TypeError, 'suspendedQueue must be "keep" or "drop", got string "hold"'],
]

describe('createSocket: bad options', () => {
  for (const [name, options, type, message] of CASES) {
    it(`${name} → ${type.name}`, () => {
      let thrown: unknown
      try {
        createSocket(options as never)
      } catch (error) {
        thrown = error
      }
      expect(thrown).toBeInstanceOf(type)
      expect((thrown as Error).message).toBe(message)
    })
  }

  it('options that are not an object', () => {
    expect(() => createSocket(undefined as never)).toThrow(new TypeError('options must be an object with a url, got undefined'))
    expect(() => createSocket('ws://x' as never)).toThrow(new TypeError('options must be an object with a url, got string "ws://x"'))
  })

  it('the Node entry fills in the ports, so only the url is needed', () => {
    const socket = createNodeSocket({ url: 'ws://127.0.0.1:9', lazy: true })
    expect(socket.state).toBe('idle')
    socket.close()
  })

  it('accepts a URL object and defaults everything else', () => {
    const socket = createSocket({ ...ports, url: new URL('ws://example.test/'), lazy: true })
    expect(socket.state).toBe('idle')
  })
})

describe('method arguments', () => {
  const socket = createSocket({ ...ok, lazy: true })

  it('close() codes outside 1000 and 3000–4999 are a RangeError', () => {
    for (const code of [999, 1001, 1006, 2999, 5000, 3000.5]) {
      expect(() => socket.close(code)).toThrow(new RangeError(`close(code): code must be 1000 or an integer in 3000–4999, got number ${code}`))
    }
    expect(() => socket.close('1000' as never)).toThrow(RangeError)
  })

  it('a close reason over 123 UTF-8 bytes is a SyntaxError, as in WHATWG WebSocket', () => {
    expect(() => socket.close(1000, 'é'.repeat(62))).toThrow(SyntaxError)
  })

  it('on() with an unknown event or a non-function listener is a TypeError', () => {
    expect(() => socket.on('opne' as never, (() => {}) as never)).toThrow(
      new TypeError('on(event): unknown event string "opne"; expected one of state, open, message, close, error, reconnecting, suspended, drop, giveup'),
    )
    expect(() => socket.on('open', 'fn' as never)).toThrow(new TypeError('on("open", listener): listener must be a function, got string "fn"'))
  })
})

describe('sharing: sockets made with equal options hold one policy', () => {
  // resolveOptions is what createSocket runs; the driver keeps only what it returns
  const resolveTwice = (extra: Record<string, unknown> = {}) => [resolveOptions({ ...ok, ...extra }), resolveOptions({ ...ok, ...extra })]

  it('equal options, given as different objects: one frozen resolved object, policy included', () => {
    const [a, b] = resolveTwice({ backoff: { maxDelay: 7_000 }, protocols: ['x', 'y'] })
    expect(a).toBe(b)
    expect(Object.isFrozen(a)).toBe(true)
    expect(Object.isFrozen(a!.policy.backoff)).toBe(true)
  })

  it('different values: different policies', () => {
    const a = resolveOptions({ ...ok, backoff: { maxDelay: 7_000 } })
    const b = resolveOptions({ ...ok, backoff: { maxDelay: 8_000 } })
    expect(a.policy).not.toBe(b.policy)
    expect(a.policy.backoff.maxDelay).toBe(7_000)
    expect(b.policy.backoff.maxDelay).toBe(8_000)
  })

  it('what belongs to one socket (URL provider, wsOptions, logger) keeps the resolved object its own; the policy is still shared', () => {
    for (const extra of [{ url: () => 'ws://h' }, { wsOptions: {} }, { debug: () => {} }]) {
      const [a, b] = resolveTwice(extra)
      expect(a).not.toBe(b)
      expect(a!.policy).toBe(b!.policy)
    }
  })

  it('values that contain the key separator cannot make two different option sets share (found in review)', () => {
    const a = resolveOptions({ ...ok, url: 'ws://h/?a', heartbeat: { mode: 'message', message: 'X,undefined:undefined,boolean:false,string:arraybuffer,number:50,string:ping' } })
    const b = resolveOptions({ ...ok, url: 'ws://h/?a,undefined:undefined,boolean:false,string:arraybuffer,number:50,string:X', heartbeat: { mode: 'message', message: 'ping' } })
    expect(a).not.toBe(b)
    expect(b.url).toBe('ws://h/?a,undefined:undefined,boolean:false,string:arraybuffer,number:50,string:X')
    expect(b.pingMessage).toBe('ping')
  })

  it('a protocols array is copied: changing it afterwards changes no socket', () => {
    const protocols = ['v1']
    const a = resolveOptions({ ...ok, protocols })
    protocols.push('v2')
    expect(a.protocols).toEqual(['v1'])
    expect(resolveOptions({ ...ok, protocols: ['v1'] }).protocols).toEqual(['v1'])
  })

  it('the same shouldReconnect predicate shares a policy; another predicate does not', () => {
    const retry = () => true
    const [a, b] = resolveTwice({ shouldReconnect: retry })
    expect(a!.policy).toBe(b!.policy)
    expect(resolveOptions({ ...ok, shouldReconnect: () => true }).policy).not.toBe(a!.policy)
  })
})
