/**
 * Hardening (issue 12), the options defects, each pinned here and each failing on the code before
 * its fix:
 *
 *  1. options.ts / driver.ts  options the caller did not set were read through the prototype chain:
 *                a polluted Object.prototype.wsOptions = { rejectUnauthorized: false } opened a
 *                self-signed wss:// server; debug, heartbeat (and every other option) likewise
 * 11. driver.ts  a URL/protocols provider throwing a value with no string form (Object.create(null))
 *                was an uncaught exception (sync) or an unhandled rejection (async), not URL_PROVIDER
 * 14. options.ts  a heartbeat that resolves to none (no ping frames, no heartbeat.message) was silent
 * 15. redact.ts  bearer, sid, hmac, otp… query keys, `;` parameters, `;jsessionid=` and subprotocol
 *                values came out in socket.url, debug lines, SyntaxErrors and URL_PROVIDER events
 * 16. options.ts / driver.ts  null meant "default" for some options and was an error for others;
 *                initialDelay 1e-9 passed; wsOptions that fail every attempt were retried forever;
 *                a detached view threw an error naming nothing; rejectUnauthorized: false was silent
 */
import { afterEach, describe, expect, it, vi } from 'vitest'
import { createSocket, resolveOptions, type SocketOptions } from '../../src/index.core.js'
import { monitor } from '../../src/index.monitor.js'
import { sendAsync } from '../../src/index.promises.js'
import { messages } from '../../src/index.stream.js'
import { createSharedSocket } from '../../src/index.tabs.js'
import { splitOptions } from '../../src/split-options.js'
import { createFakeServer, createVirtualClock } from '../../src/index.testing.js'
import { harness } from '../helpers/harness.js'
import { cleanup, connect } from '../support/lifeline.js'
import { closeRawServers, guardProcess } from './helpers.js'
import { useSelfSignedTls } from './tls.js'

guardProcess()
const tls = useSelfSignedTls()

afterEach(async () => {
  await closeRawServers()
  await tls.closeAll()
  await cleanup()
})

/** Run `body` with `values` set on Object.prototype as a JSON merge would (plain, enumerable); always restored. */
async function withPolluted<T>(values: Record<string, unknown>, body: () => T | Promise<T>): Promise<T> {
  const proto = Object.prototype as Record<string, unknown>
  for (const [key, value] of Object.entries(values)) proto[key] = value
  try {
    return await body()
  } finally {
    for (const key of Object.keys(values)) delete proto[key]
  }
}

const clock = createVirtualClock()
const fake = createFakeServer({ clock, pingFrames: true })
const ports = { WebSocket: fake.WebSocket, timer: clock, random: () => 0.5 }

describe('defect 1: only own properties of the options count (a polluted Object.prototype changes nothing)', () => {
  it('Object.prototype.wsOptions = { rejectUnauthorized: false }: a self-signed wss:// server is still refused', async () => {
    const url = await tls.start()
    await withPolluted({ wsOptions: { rejectUnauthorized: false } }, async () => {
      const t = connect({ url, heartbeat: false, backoff: { initialDelay: 100, maxDelay: 400 } })
      const error = await t.rec.waitFor('error', 3_000)
      // before the fix: the socket opened (the inherited wsOptions turned verification off)
      expect(error.args[0].message).toBe('self-signed certificate')
      expect(t.rec.of('open')).toEqual([])
    })
  })

  it('wsOptions reach the WebSocket constructor as own properties only (a port other than ws may read inherited ones)', () => {
    const seen: Array<Record<string, unknown>> = []
    class Recording extends (fake.WebSocket as unknown as new (url: string, protocols?: string | string[]) => object) {
      constructor(url: string, protocols?: string | string[], options?: Record<string, unknown>) {
        super(url, protocols)
        seen.push(options!)
      }
    }
    const wsOptions = Object.create({ rejectUnauthorized: false }) as Record<string, unknown>
    wsOptions.headers = { 'x-a': '1' }
    const socket = createSocket({ url: 'ws://example.test/', ...ports, WebSocket: Recording as never, heartbeat: false, wsOptions })
    clock.advance(0)
    // before the fix: the caller's object itself, prototype and all
    expect(seen).toHaveLength(1)
    expect(seen[0]!.rejectUnauthorized).toBeUndefined()
    expect(seen[0]!.headers).toEqual({ 'x-a': '1' })
    socket.close()
  })

  it('every top-level and nested option polluted: the socket resolves exactly as without', async () => {
    const clean = resolveOptions({ url: 'ws://example.test/', ...ports })
    const logged: string[] = []
    const polluted = await withPolluted(
      {
        protocols: ['evil'],
        lazy: true,
        connectTimeout: 1,
        backoff: { initialDelay: 1 },
        queue: { maxMessages: 0 },
        shouldReconnect: () => false,
        binaryType: 'blob',
        heartbeat: false,
        idleTimeout: 1,
        maxLifetime: 1,
        wsOptions: { rejectUnauthorized: false },
        debug: (line: string) => logged.push(line),
        // nested: heartbeat.message / isPong have no default the group could shadow them with
        message: 'evil ping',
        isPong: () => true,
        ttl: 1,
      },
      () => resolveOptions({ url: 'ws://example.test/', ...ports }),
    )
    // before the fix: debug, heartbeat, wsOptions… came from the prototype
    expect(polluted.debug).toBeUndefined()
    expect(polluted.wsOptions).toBeUndefined()
    expect(polluted.policy.heartbeat).toEqual({ interval: 25_000, timeout: 10_000, mode: 'protocol' })
    expect(polluted.pingMessage).toBeUndefined()
    expect(polluted.isPong('hello')).toBe(false)
    // equal options share one frozen object: the polluted socket got exactly the clean one
    expect(polluted).toBe(clean)
  })

  it('a polluted debug logger is never called, a polluted heartbeat is not used (createSocket, virtual time)', async () => {
    const logged: string[] = []
    const h = await withPolluted({ debug: (line: string) => logged.push(line), heartbeat: false }, () =>
      harness({ heartbeat: undefined }, { pingFrames: true }),
    )
    h.server.accept()
    h.clock.advance(25_000)
    // before the fix: every transition was logged to the inherited function, and no ping was sent
    expect(logged).toEqual([])
    expect(h.server.last.pings).toBe(1)
    h.socket.close()
  })

  it("the optional entries' own options too (lifeline-ws/tabs, lifeline-ws/react share splitOptions)", async () => {
    const debug: string[] = []
    const { socket, split } = await withPolluted({ takeoverTimeout: 0, debug: (line: string) => debug.push(line), key: 'evil', create: () => undefined }, () => ({
      // before the fix: the inherited takeoverTimeout 0 was a TypeError, the inherited debug was called
      socket: createSharedSocket({ url: 'wss://example.test/', WebSocket: fake.WebSocket, timer: clock, lazy: true }),
      split: splitOptions<{ key?: string; create?: unknown }>({ url: 'wss://example.test/' }, ['key', 'create'], 'useSocket(options)'),
    }))
    expect(socket.role).toBe('alone')
    expect(debug).toEqual([])
    expect(split.map((part) => ({ ...part }))).toEqual([{}, { url: 'wss://example.test/' }])
    expect(split[0].key).toBeUndefined()
    socket.close()
  })

  it('a timer whose monotonic() only Object.prototype supplies is treated as having none', async () => {
    const timer = { setTimeout: clock.setTimeout, clearTimeout: clock.clearTimeout, now: clock.now }
    const seen = await withPolluted({ monotonic: () => 0 }, () => {
      const resolved = resolveOptions({ url: 'ws://example.test/', ...ports, timer })
      return { monotonic: (resolved.timer as { monotonic?: unknown }).monotonic, now: resolved.timer.now() }
    })
    // before the fix: the inherited function, a clock stuck at 0 for every timer
    expect(seen).toEqual({ monotonic: undefined, now: clock.now() })
  })
})



describe('defect 11: a provider failing with a value that has no string form is a URL_PROVIDER error event', () => {
  const revoked = () => {
    const { proxy, revoke } = Proxy.revocable({}, {})
    revoke()
    return proxy
  }
  const badMessage = () => Object.defineProperty(new Error('x'), 'message', { get: () => { throw new Error('no') } })
  const thenThrows = () => Object.defineProperty({}, 'then', { get: () => { throw Object.create(null) } })

  const cases: Array<[string, Partial<SocketOptions>, string]> = [
    ['url provider throws Object.create(null)', { url: () => { throw Object.create(null) } }, 'url/protocols provider threw: object (no string form)'],
    ['url provider throws a revoked Proxy', { url: () => { throw revoked() } }, 'url/protocols provider threw: object (no string form)'],
    ['url provider throws an Error whose message getter throws', { url: () => { throw badMessage() } }, 'url/protocols provider threw: Error object (no string form)'],
    ['url provider returns a value whose then getter throws', { url: thenThrows as never }, 'url/protocols provider threw: object (no string form)'],
    ['protocols provider throws Object.create(null)', { protocols: () => { throw Object.create(null) } }, 'url/protocols provider threw: object (no string form)'],
    ['url provider rejects with Object.create(null)', { url: () => Promise.reject(Object.create(null)) }, 'url/protocols provider rejected: object (no string form)'],
    ['protocols provider rejects with a revoked Proxy', { protocols: () => Promise.reject(revoked()) }, 'url/protocols provider rejected: object (no string form)'],
  ]
  for (const [name, options, message] of cases) {
    it(`${name}: error URL_PROVIDER "${message}", then a retry`, async () => {
      // before the fix: the synchronous cases threw out of the timer (here: out of clock.advance),
      // the asynchronous ones were an unhandled rejection and no event at all
      const h = harness({ url: 'ws://example.test/', ...options })
      for (let i = 0; i < 5; i++) await Promise.resolve() // a rejected provider settles in microtasks
      const errors = h.of('error').map(([e]) => [(e as { code: string }).code, (e as Error).message])
      expect(errors).toEqual([['URL_PROVIDER', message]])
      expect(h.socket.state).toBe('backoff')
      h.socket.close()
    })
  }
})

describe('defect 15: redaction by a documented rule, extendable with redactParams; subprotocols never echoed', () => {
  // each parameter's name holds one secret word and no other (csrf_token would pass on 'token' alone),
  // so that dropping any one word from the rule leaks its value
  const SECRETS = ['BEARER1', 'SID2', 'HMAC3', 'OTP4', 'NONCE5', 'ASSERT6', 'POLICY7', 'CSRF8', 'PIN9', 'HASH10', 'PRIV11', 'SEMI12', 'JSESS13']
  const secretUrl =
    'wss://h.test/app;jsessionid=JSESS13/feed?bearer=BEARER1&sid=SID2&hmac=HMAC3&otp=OTP4&nonce=NONCE5&SAMLAssertion=ASSERT6' +
    '&policy=POLICY7&_csrf=CSRF8&pin=PIN9&hash=HASH10&private=PRIV11&v=2;access_token=SEMI12&room=ROOM14&lang=en'
  const expected =
    'wss://h.test/app;jsessionid=***/feed?bearer=***&sid=***&hmac=***&otp=***&nonce=***&SAMLAssertion=***' +
    '&policy=***&_csrf=***&pin=***&hash=***&private=***&v=2;access_token=***&room=ROOM14&lang=en'
  const leaked = (text: string) => SECRETS.filter((secret) => text.includes(secret))

  it('socket.url and every debug line', () => {
    const lines: string[] = []
    const h = harness({ url: secretUrl, debug: (line, fields) => lines.push(line, JSON.stringify(fields)) })
    // before the fix: every one of these values in clear
    expect(h.socket.url).toBe(expected)
    expect(lines.length).toBeGreaterThan(0)
    expect(leaked(lines.join('\n'))).toEqual([])
    h.socket.close()
  })

  it('a SyntaxError at creation (bad scheme) and a URL_PROVIDER event (a provider error quoting the URL)', () => {
    let message = ''
    try {
      createSocket({ url: secretUrl.replace('wss:', 'ftp:'), ...ports })
    } catch (error) {
      message = (error as Error).message
    }
    expect(message).toBe(`url must use ws:, wss:, http: or https:, got "ftp:" in ${JSON.stringify(expected.replace('wss:', 'ftp:'))}`)
    const h = harness({
      url: () => {
        throw new Error(`refresh failed for ${secretUrl}`)
      },
    })
    const [error] = h.of('error')[0] as [Error]
    expect(error.message).toBe(`url/protocols provider threw: refresh failed for ${expected}`)
    h.socket.close()
  })

  it('a subprotocol carrying a token is never quoted: not in a SyntaxError, not in a URL_PROVIDER event', () => {
    const token = 'eyJhbGciOi.SECRET/PAYLOAD=='
    expect(() => createSocket({ url: 'ws://h.test/', ...ports, protocols: ['bearer', token] })).toThrow(
      new SyntaxError("protocols has an invalid subprotocol at index 1: a string of 27 characters (RFC 6455 allows letters, digits and !#$%&'*+-.^_`|~)"),
    )
    expect(() => createSocket({ url: 'ws://h.test/', ...ports, protocols: ['SECRETTOKEN', 'SECRETTOKEN'] })).toThrow(new SyntaxError('protocols lists one subprotocol twice, at index 0 and at index 1'))
    const h = harness({ protocols: () => ['bearer', token] })
    const [error] = h.of('error')[0] as [Error]
    expect(error.message).toBe(
      "url/protocols provider gave a bad value: protocols has an invalid subprotocol at index 1: a string of 27 characters (RFC 6455 allows letters, digits and !#$%&'*+-.^_`|~)",
    )
    h.socket.close()
  })

  it('redactParams adds words, matched the same way (any case, anywhere in the name)', () => {
    const h = harness({ url: secretUrl, redactParams: ['Room'] })
    expect(h.socket.url).toBe(expected.replace('room=ROOM14', 'room=***'))
    h.socket.close()
  })

  it('redactParams is checked: an array of non-empty strings', () => {
    expect(() => createSocket({ url: 'ws://h.test/', ...ports, redactParams: 'room' as never })).toThrow(
      new TypeError('redactParams must be an array of non-empty strings, got string "room"'),
    )
    expect(() => createSocket({ url: 'ws://h.test/', ...ports, redactParams: [''] })).toThrow(
      new TypeError('redactParams must be an array of non-empty strings, got array of length 1'),
    )
  })
})

describe('defect 16: validation gaps', () => {
  const ok = { url: 'ws://example.test/', ...ports }
  const thrown = (make: () => unknown): unknown => {
    try {
      make()
    } catch (error) {
      return error
    }
    return undefined
  }

  it('null is a wrong value everywhere (undefined means the default); before: silently the default for these', () => {
    const cases: Array<[Record<string, unknown>, Error]> = [
      [{ connectTimeout: null }, new TypeError('connectTimeout must be a number, got null')],
      [{ lazy: null }, new TypeError('lazy must be a boolean, got null')],
      [{ binaryType: null }, new TypeError('binaryType must be "arraybuffer", "blob" or "nodebuffer", got null')],
      [{ shouldReconnect: null }, new TypeError('shouldReconnect must be a function, got null')],
      [{ heartbeat: { isPong: null } }, new TypeError('heartbeat.isPong must be a function, got null')],
      // already so before, and the rule they now share
      [{ idleTimeout: null }, new TypeError('idleTimeout must be a number, got null')],
      [{ heartbeat: null }, new TypeError('heartbeat must be an object or false, got null')],
    ]
    const got = cases.map(([extra]) => {
      const error = thrown(() => createSocket({ ...ok, lazy: true, ...extra } as SocketOptions)) as Error | undefined
      return error && `${error.name}: ${error.message}`
    })
    expect(got).toEqual(cases.map(([, error]) => `${error.name}: ${error.message}`))
    const socket = createSocket({ ...ok, lazy: true })
    // the optional entries' options follow the same rule
    expect(() => monitor(socket, { historySize: null as never })).toThrow(new TypeError('monitor(socket, { historySize }): historySize must be a number, got null'))
    expect(() => messages(socket, { bufferSize: null as never })).toThrow(new RangeError('messages(socket, { bufferSize }): bufferSize must be a whole number >= 1, got null'))
    socket.close()
  })

  it('backoff.initialDelay below 10 ms is a RangeError with the value (1e-9 made ~650 connects/s); 10 is accepted', () => {
    for (const initialDelay of [1e-9, 1, 9.99]) {
      expect(() => createSocket({ ...ok, backoff: { initialDelay } })).toThrow(
        new RangeError(`backoff.initialDelay must be a finite number of ms >= 10 (less is a reconnect loop), got number ${initialDelay}`),
      )
    }
    createSocket({ ...ok, lazy: true, backoff: { initialDelay: 10, maxDelay: 10 } }).close()
  })

  it('wsOptions that ws refuses at construction (a header with a newline, protocolVersion 99): one error naming wsOptions, then giveup "config"', async () => {
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ headers: { 'x-a': 'a\nb' } }, 'WebSocket constructor threw: Invalid character in header content ["x-a"] (a configuration error: check wsOptions; not retried)'],
      [{ protocolVersion: 99 }, 'WebSocket constructor threw: Unsupported protocol version: 99 (supported versions: 8, 13) (a configuration error: check wsOptions; not retried)'],
    ]
    for (const [wsOptions, message] of cases) {
      const t = connect({ url: 'ws://127.0.0.1:9/', heartbeat: false, wsOptions, backoff: { initialDelay: 10, maxDelay: 20 } })
      // before the fix: error, 'reconnecting', and the same error every 10–20 ms, forever
      const giveup = await t.rec.waitFor('giveup', 2_000)
      expect(giveup.args[0]).toEqual({ reason: 'config', attempt: 0, close: undefined })
      expect(t.rec.of('error').map(([e]) => [e.code, e.message])).toEqual([['SOCKET_ERROR', message]])
      expect(t.rec.of('reconnecting')).toEqual([])
      expect(t.socket.state).toBe('closed')
    }
  })

  it('a detached buffer passed to send()/sendAsync() is a TypeError naming send(data) (before: a slice() error naming nothing, once queued)', () => {
    const socket = createSocket({ ...ok, lazy: true })
    const detached = () => {
      const bytes = new Uint8Array(8)
      structuredClone(bytes.buffer, { transfer: [bytes.buffer] })
      return bytes
    }
    expect(() => socket.send(detached())).toThrow(new TypeError('send(data): data must not be detached (its ArrayBuffer was transferred), got a detached Uint8Array object'))
    expect(() => sendAsync(socket, detached().buffer)).toThrow(
      new TypeError('sendAsync(socket, data): data must not be detached (its ArrayBuffer was transferred), got a detached ArrayBuffer object'),
    )
    // an empty buffer that was never transferred is still fine
    expect(socket.send(new Uint8Array(0))).toBe(true)
    socket.close()
  })

  it('wsOptions.rejectUnauthorized: false prints one warning per process', async () => {
    vi.resetModules() // a fresh module: the warning has not been said in it yet
    const fresh = await import('../../src/index.core.js')
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {})
    try {
      for (let i = 0; i < 3; i++) fresh.createSocket({ ...ok, lazy: true, heartbeat: false, wsOptions: { rejectUnauthorized: false } }).close()
      fresh.createSocket({ ...ok, lazy: true, heartbeat: false, wsOptions: { rejectUnauthorized: true } }).close()
      expect(warn.mock.calls).toEqual([
        [
          'lifeline-ws: wsOptions.rejectUnauthorized is false: TLS certificates are not verified, so anyone on the path can read and change the traffic. Pass the CA as wsOptions.ca instead.',
        ],
      ])
    } finally {
      warn.mockRestore()
    }
  })
})

describe('defect 14: a heartbeat that resolves to none is visible', () => {
  // issue 14 added what it costs besides liveness: no message is confirmed
  const NO_HEARTBEAT =
    "lifeline-ws: this socket has no heartbeat: its WebSocket cannot send ping frames (browsers and workers cannot) or hear their answers (`ws`'s own class as the WebSocket option: leave it out on Node, lifeline-ws brings a ws of its own) and heartbeat.message is not set, so a link that dies silently goes unnoticed and messages written to it are never confirmed (nor reported). Set heartbeat: { message: 'ping' } (your server answers 'pong'), or heartbeat: false to go without."

  /** createSocket from a freshly loaded module (nothing said yet in it), with console.warn recorded. */
  async function freshWithWarnings() {
    vi.resetModules()
    const fresh = await import('../../src/index.core.js')
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {})
    return { createSocket: fresh.createSocket, warnings: () => warn.mock.calls.map((c) => c[0] as string), restore: () => warn.mockRestore() }
  }
  const noPings = createFakeServer({ clock })
  const browserLike = { url: 'ws://example.test/', WebSocket: noPings.WebSocket, timer: clock, random: () => 0.5, lazy: true }

  it('heartbeat { interval, timeout } on a WebSocket without ping frames and no message: one warning per process, stats().heartbeat "none"', async () => {
    const f = await freshWithWarnings()
    try {
      const explicit = f.createSocket({ ...browserLike, heartbeat: { interval: 1_000, timeout: 1_000 } })
      const byDefault = f.createSocket(browserLike)
      // before the fix: silence, and stats() said nothing about a heartbeat
      expect(f.warnings()).toEqual([NO_HEARTBEAT])
      expect(monitor(explicit).stats().heartbeat).toBe('none')
      expect(monitor(byDefault).stats().heartbeat).toBe('none')
      explicit.close()
      byDefault.close()
    } finally {
      f.restore()
    }
  })

  it('the default heartbeat resolving to none warns too (first in its process)', async () => {
    const f = await freshWithWarnings()
    try {
      f.createSocket(browserLike).close()
      expect(f.warnings()).toEqual([NO_HEARTBEAT])
    } finally {
      f.restore()
    }
  })

  it('no warning where there is a heartbeat or it was turned off knowingly; stats().heartbeat says which', async () => {
    const f = await freshWithWarnings()
    try {
      const message = f.createSocket({ ...browserLike, heartbeat: { message: 'ping' } })
      const off = f.createSocket({ ...browserLike, heartbeat: false })
      const protocol = f.createSocket({ ...browserLike, WebSocket: fake.WebSocket })
      expect([message, off, protocol].map((s) => monitor(s).stats().heartbeat)).toEqual(['message', 'none', 'protocol'])
      expect(f.warnings()).toEqual([])
      for (const s of [message, off, protocol]) s.close()
    } finally {
      f.restore()
    }
  })

  it('an explicit mode the socket cannot honour stays a TypeError', () => {
    expect(() => createSocket({ ...browserLike, heartbeat: { mode: 'protocol' } })).toThrow(
      new TypeError('heartbeat.mode is "protocol" but this WebSocket cannot send ping frames (browsers and workers cannot): use mode "message" with heartbeat.message'),
    )
  })
})
