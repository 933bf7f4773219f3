/**
 * Fuzzed input with fast-check, in virtual time (lifeline-ws/core + the testing kit):
 *
 * 1. Arbitrary option objects (fc.anything() mixed with near-valid shapes): createSocket() either
 *    accepts them — and the socket then lives, is closed and leaves nothing behind without a single
 *    throw — or throws a TypeError, RangeError or SyntaxError whose message begins with the name of
 *    an option that was given (or a required one that was missing).
 * 2. Arbitrary arguments to send(), sendAsync(), close(), on(), signal(), messages(), binaryType:
 *    accepted, or one of those three errors naming the method and its argument; never anything
 *    else, never a rejection nobody asked for.
 * 3. Arbitrary sequences of API calls (with listeners that call back into the socket) interleaved
 *    with socket events and time: at most one socket connecting or open; every message sent is
 *    written or reported dropped, exactly once (or written, then reported 'unconfirmed': issue 14),
 *    and sendAsync() settles accordingly; writes are in
 *    order on each socket; after close() and closeTimeout no timer is left and no socket is ever
 *    made again; stats() and history() stay JSON-serialisable.
 *
 * Every run also watches for an asynchronous throw: an unhandled rejection or uncaught exception
 * anywhere fails the test.
 */
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createSocket, type LifelineSocket, type SocketOptions } from '../../src/index.core.js'
import { monitor } from '../../src/index.monitor.js'
import { opened, sendAsync } from '../../src/index.promises.js'
import { messages, type MessageStream } from '../../src/index.stream.js'
import { createFakeServer, createVirtualClock, type FakeServer, type FakeSocket, type VirtualClock } from '../../src/index.testing.js'

// ── asynchronous throws, anywhere in the file ────────────────────────────────────────────────────
const asyncErrors: unknown[] = []
const onAsync = (error: unknown): void => {
  asyncErrors.push(error)
}
beforeAll(() => {
  process.on('unhandledRejection', onAsync)
  process.on('uncaughtException', onAsync)
})
afterAll(() => {
  process.off('unhandledRejection', onAsync)
  process.off('uncaughtException', onAsync)
})
const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve))
async function expectNoAsyncErrors(): Promise<void> {
  await tick()
  await tick()
  expect(asyncErrors.map((e) => (e instanceof Error ? `${e.name}: ${e.message}` : String(e)))).toEqual([])
}

const VALIDATION_ERRORS = [TypeError, RangeError, SyntaxError]
function isValidationError(error: unknown): error is Error {
  return error instanceof Error && VALIDATION_ERRORS.some((E) => error.constructor === E)
}

// ── 1. option objects ────────────────────────────────────────────────────────────────────────────
const FAKE_WS = Symbol('fake WebSocket')
const CLOCK = Symbol('virtual clock')

/** Valid-looking or anything at all. */
const maybe = <T>(valid: fc.Arbitrary<T>, weight = 3): fc.Arbitrary<unknown> =>
  fc.oneof({ weight, arbitrary: valid }, { weight: 1, arbitrary: fc.anything() })
const num = fc.oneof(fc.integer({ min: -10, max: 100_000 }), fc.double(), fc.constantFrom(0, -0, NaN, Infinity, -Infinity, 1.5, 2 ** 53))
const ms = fc.integer({ min: 1, max: 60_000 })

/** For every option path: values that must be accepted, and values that are wrong for it. */
const OPTION_VALUES: Record<string, { valid: fc.Arbitrary<unknown>; wrong: fc.Arbitrary<unknown> }> = {
  url: {
    valid: fc.oneof(
      fc.constantFrom('ws://example.test/x', 'wss://example.test', 'http://example.test/a?b=c', 'https://u:p@example.test/?token=t'),
      fc.webUrl().map((u) => u.replace(/^http/, 'ws')),
      fc.constant(new URL('ws://example.test/u')),
      fc.func(fc.oneof(fc.constant('ws://example.test/p'), fc.anything())),
    ),
    wrong: fc.oneof(fc.constantFrom('ftp://example.test', 'not a url', '', 'ws://h:99999/'), num, fc.constant(null)),
  },
  protocols: {
    valid: fc.oneof(fc.constantFrom('chat', 'v1.chat'), fc.uniqueArray(fc.constantFrom('a', 'b', 'v1.chat')), fc.func(fc.anything())),
    wrong: fc.oneof(fc.constantFrom('a b', '', ['a', 'a'], ['ok', 5]), num),
  },
  lazy: { valid: fc.boolean(), wrong: fc.constantFrom('yes', 1, null) },
  // valid, but kept away from "no delay at all": backoff.initialDelay 0 makes every delay 0 (0 · factor^n),
  // a reconnect loop as fast as the timer allows, which in virtual time never lets time advance
  connectTimeout: { valid: fc.integer({ min: 100, max: 60_000 }), wrong: fc.constantFrom(0, -1, NaN, Infinity, '5') },
  'backoff.initialDelay': { valid: fc.integer({ min: 10, max: 1_000 }), wrong: fc.constantFrom(-1, NaN, '1', null) },
  'backoff.maxDelay': { valid: fc.integer({ min: 1_000, max: 60_000 }), wrong: fc.constantFrom(-1, NaN, Infinity, '5000') },
  'backoff.factor': { valid: fc.double({ min: 1, max: 4, noNaN: true }), wrong: fc.constantFrom(0.5, NaN, Infinity, '2') },
  'backoff.jitter': { valid: fc.constantFrom('spread', 'full', 'equal', 'none', 'decorrelated'), wrong: fc.constantFrom('random', 1, null) },
  'backoff.maxRetries': { valid: fc.oneof(fc.nat(10), fc.constant(Infinity)), wrong: fc.constantFrom(-1, 1.5, NaN, '3') },
  'backoff.resetAfter': { valid: fc.integer({ min: 0, max: 60_000 }), wrong: fc.constantFrom(-1, NaN, Infinity, '1') },
  'queue.maxMessages': { valid: fc.nat(100), wrong: fc.constantFrom(-1, 1.5, NaN, '10') },
  'queue.maxBytes': { valid: fc.nat(100_000), wrong: fc.constantFrom(-1, 1.5, NaN, '10') },
  'queue.overflow': { valid: fc.constantFrom('reject', 'drop-oldest'), wrong: fc.constantFrom('block', 0) },
  'queue.ttl': { valid: ms, wrong: fc.constantFrom(0, -1, NaN, Infinity, '1') },
  shouldReconnect: { valid: fc.func(fc.anything()), wrong: fc.constantFrom(true, 'yes', 0) },
  binaryType: { valid: fc.constantFrom('arraybuffer', 'blob', 'nodebuffer'), wrong: fc.constantFrom('text', 1, null) },
  'heartbeat.interval': { valid: ms, wrong: fc.constantFrom(0, -1, NaN, Infinity, '1') },
  'heartbeat.timeout': { valid: ms, wrong: fc.constantFrom(0, -1, NaN, Infinity, '1') },
  'heartbeat.mode': { valid: fc.constantFrom('auto', 'protocol'), wrong: fc.constantFrom('tcp', 1) },
  'heartbeat.message': { valid: fc.oneof(fc.constantFrom('ping'), fc.func(fc.constant('ping'))), wrong: fc.constantFrom(7, null, true) },
  'heartbeat.isPong': { valid: fc.func(fc.boolean()), wrong: fc.constantFrom('pong', 1) },
  idleTimeout: { valid: ms, wrong: fc.constantFrom(0, -1, NaN, Infinity, '1') },
  maxLifetime: { valid: ms, wrong: fc.constantFrom(0, -1, NaN, Infinity, '1') },
  wsOptions: { valid: fc.dictionary(fc.string(), fc.anything()), wrong: fc.constantFrom(1, 'x', null) },
  debug: { valid: fc.func(fc.anything()), wrong: fc.constantFrom(1, 'console', null) },
  WebSocket: { valid: fc.constant(FAKE_WS), wrong: fc.constantFrom(1, 'WebSocket', null, {}) },
  timer: { valid: fc.constant(CLOCK), wrong: fc.oneof(fc.constantFrom(1, null), fc.record({ setTimeout: fc.func(fc.nat()), now: fc.func(fc.nat()) })) },
  random: { valid: fc.constant(() => 0.5), wrong: fc.constantFrom(0.5, null) },
  // whole sub-objects of the wrong kind
  backoff: { valid: fc.constant({}), wrong: fc.constantFrom(5, 'fast', [], null) },
  queue: { valid: fc.constant({}), wrong: fc.constantFrom(5, 'big', [], null) },
  heartbeat: { valid: fc.constant(false), wrong: fc.constantFrom(true, 5, 'on', []) },
}
const OPTION_PATHS = Object.keys(OPTION_VALUES)

/** Some valid options (each path present or not), as [path, value] pairs. */
const validPairs = fc.subarray(OPTION_PATHS.filter((p) => !['backoff', 'queue', 'heartbeat'].includes(p))).chain((paths) =>
  fc.tuple(...paths.map((path) => OPTION_VALUES[path]!.valid.map((v) => [path, v] as const))),
)
/** 0–2 paths made wrong (or anything at all), or an unknown key. */
const corruption = fc.array(
  fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(...OPTION_PATHS).chain((path) => fc.oneof(OPTION_VALUES[path]!.wrong, fc.anything()).map((v) => [path, v] as const)) },
    { weight: 1, arbitrary: fc.tuple(fc.constantFrom('conectTimeout', 'backoff.maxDelays', 'queue.size', 'heartbeat.intervall', 'colour', 'retries'), fc.anything()) },
    { weight: 1, arbitrary: fc.tuple(fc.string({ maxLength: 8 }).filter((k) => !OPTION_PATHS.includes(k) && !k.includes('.')), fc.anything()) },
  ),
  { maxLength: 2 },
)

function build(pairs: ReadonlyArray<readonly [string, unknown]>): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const [path, value] of pairs) {
    const [top, sub] = path.split('.') as [string, string | undefined]
    if (sub === undefined) out[top] = value
    else {
      const parent = out[top]
      out[top] = { ...(parent !== null && typeof parent === 'object' && !Array.isArray(parent) ? parent : {}), [sub]: value }
    }
  }
  return out
}

/** Mostly valid options with 0–2 corruptions; sometimes not an object at all. */
const optionsInput = fc.oneof(
  { weight: 12, arbitrary: fc.tuple(validPairs, corruption).map(([valid, bad]) => ({ input: build([['url', 'ws://example.test/'], ...valid, ...bad]), corrupted: bad.map(([p]) => p) })) },
  { weight: 1, arbitrary: fc.anything().map((input) => ({ input, corrupted: ['*'] })) },
)

interface Env {
  clock: VirtualClock
  server: FakeServer
}
/** More timer callbacks than this in one run means a loop: fail loudly instead of hanging. */
const TIMER_BUDGET = 200_000
function freshEnv(pingFrames = true): Env {
  const clock = createVirtualClock(1_000_000)
  let fired = 0
  const guarded: VirtualClock = Object.assign(Object.create(clock) as VirtualClock, {
    setTimeout(callback: () => void, ms: number) {
      return clock.setTimeout(() => {
        if (++fired > TIMER_BUDGET) throw new Error(`more than ${TIMER_BUDGET} timer callbacks in one run: a timer loop`)
        callback()
      }, ms)
    },
  })
  return { clock: guarded, server: createFakeServer({ clock: guarded, pingFrames, answer: (d) => (d === 'ping' ? 'pong' : undefined) }) }
}
/** Replace the placeholders with fresh ports. */
function materialize(input: unknown, env: Env): unknown {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) return input
  const out: Record<string, unknown> = { ...(input as Record<string, unknown>) }
  if (out.WebSocket === FAKE_WS) out.WebSocket = env.server.WebSocket
  if (out.timer === CLOCK) out.timer = env.clock
  if (!('WebSocket' in out)) out.WebSocket = env.server.WebSocket
  if (!('timer' in out)) out.timer = env.clock
  if (!('random' in out)) out.random = () => 0.5
  return out
}

const TOP = ['url', 'protocols', 'lazy', 'connectTimeout', 'backoff', 'queue', 'shouldReconnect', 'binaryType', 'heartbeat', 'idleTimeout', 'maxLifetime', 'WebSocket', 'timer', 'random', 'wsOptions', 'debug']
const NESTED: Record<string, string[]> = {
  backoff: ['initialDelay', 'maxDelay', 'factor', 'jitter', 'maxRetries', 'resetAfter'],
  queue: ['maxMessages', 'maxBytes', 'overflow', 'ttl'],
  heartbeat: ['interval', 'timeout', 'mode', 'message', 'isPong'],
  timer: ['setTimeout', 'clearTimeout', 'now'],
}
const ALL_PATHS = [...TOP, ...Object.entries(NESTED).flatMap(([k, subs]) => subs.map((s) => `${k}.${s}`))].sort((a, b) => b.length - a.length)

const DURATIONS = ['connectTimeout', 'idleTimeout', 'maxLifetime', 'backoff.initialDelay', 'backoff.maxDelay', 'backoff.resetAfter', 'queue.ttl', 'heartbeat.interval', 'heartbeat.timeout']
/** A duration option given as a positive fraction of a millisecond. */
function hasTinyDuration(input: Record<string, unknown>): boolean {
  return DURATIONS.some((path) => {
    const [top, sub] = path.split('.') as [string, string | undefined]
    const parent = input[top]
    const value = sub === undefined ? parent : parent !== null && typeof parent === 'object' ? (parent as Record<string, unknown>)[sub] : undefined
    return typeof value === 'number' && value > 0 && value < 1
  })
}

/** Which option a validation message is about, or undefined if it names none. */
function namedOption(message: string): { kind: 'option' | 'unknown' | 'options'; path: string } | undefined {
  const unknown = /^Unknown option ("(?:[^"\\]|\\.)*")(; did you mean "[^"]*"\?)?$/s.exec(message)
  if (unknown) return { kind: 'unknown', path: JSON.parse(unknown[1]!) as string }
  if (message.startsWith('options must be an object')) return { kind: 'options', path: '' }
  // a list's entry is named with its index (`url[1] must be …`): that names the option too
  const text = message.replace(/^([\w.]+)\[\d+\] /, '$1 ')
  const path = ALL_PATHS.find((p) => text.startsWith(`${p} `))
  return path ? { kind: 'option', path } : undefined
}

/** Live a little in virtual time, then close; nothing may throw, nothing may be left. */
function liveAndClose(socket: LifelineSocket, env: Env): void {
  const seen: string[] = []
  socket.on('drop', () => seen.push('drop'))
  env.clock.advance(0)
  const first = env.server.sockets[0]
  if (first && first.readyState === 0) first.accept()
  socket.send('hello')
  void sendAsync(socket, 'world').catch(() => {})
  first?.deliver('data')
  env.clock.advance(5_000)
  env.server.live.at(-1)?.drop()
  env.clock.advance(5_000)
  socket.close()
  // a close handshake waits at most closeTimeout (heartbeat.timeout, or 5 s)
  env.clock.advance(61_000)
  expect(env.clock.pending).toBe(0)
  expect(socket.state).toBe('closed')
}

describe('fuzz: options', () => {
  it('createSocket(options): valid ones accepted and well-behaved; a wrong one is a TypeError/RangeError/SyntaxError naming it', async () => {
    let accepted = 0
    let refused = 0
    fc.assert(
      fc.property(optionsInput, ({ input: raw, corrupted }) => {
        const env = freshEnv()
        const input = materialize(raw, env)
        let socket: LifelineSocket
        try {
          socket = createSocket(input as SocketOptions)
        } catch (error) {
          refused++
          expect(isValidationError(error), `not a validation error: ${String(error)}`).toBe(true)
          const message = (error as Error).message
          expect(corrupted.length, `valid options were refused: ${message}`).toBeGreaterThan(0)
          if (corrupted.includes('*')) return // not an options object at all: any named complaint will do
          const named = namedOption(message)
          expect(named, `the message names no option: ${message}`).toBeDefined()
          const top = (path: string) => path.split('.')[0]!
          const blamed = named!.path
          // the option named is one that was made wrong, or shares its object, or depends on it
          // (heartbeat.mode "protocol" needs a WebSocket with ping frames; maxDelay >= initialDelay)
          const related = corrupted.some((c) => top(c) === top(blamed) || (top(c) === 'WebSocket' && top(blamed) === 'heartbeat'))
          expect(related, `${message}; made wrong: ${corrupted.join(', ')}`).toBe(true)
          return
        }
        accepted++
        if (hasTinyDuration(input as Record<string, unknown>)) {
          // valid, but a timer of a fraction of a millisecond never lets virtual time move (in Node
          // it acts as 1 ms: e.g. a ping every millisecond); just check that close() cleans up
          socket.close()
          env.clock.advance(61_000)
          expect(socket.state).toBe('closed')
          return
        }
        liveAndClose(socket, env)
      }),
      { numRuns: 700 },
    )
    console.log(`[fuzz] options: ${accepted} accepted, ${refused} refused with a named option`)
    expect(accepted).toBeGreaterThan(150)
    expect(refused).toBeGreaterThan(150)
    await expectNoAsyncErrors()
  })
})

// ── 2. method arguments ──────────────────────────────────────────────────────────────────────────
type Call =
  | { m: 'send' | 'sendAsync'; data: unknown }
  | { m: 'close'; args: unknown[] }
  | { m: 'on'; event: unknown; listener: unknown }
  | { m: 'signal'; name: unknown }
  | { m: 'messages'; options: unknown }
  | { m: 'monitor'; options: unknown }
  | { m: 'binaryType'; value: unknown }

const dataArb = fc.oneof(
  fc.string(),
  fc.uint8Array().map((a) => a as unknown),
  fc.constant(new ArrayBuffer(3)),
  fc.constant(new Blob(['blob'])),
  fc.constant(new DataView(new ArrayBuffer(2))),
  fc.anything(),
)
const streamOptionsArb = fc.oneof(fc.constant(undefined), fc.constant(null), fc.record({ bufferSize: maybe(fc.oneof(fc.integer({ min: -2, max: 1_000 }), num)) }, { requiredKeys: [] }), fc.anything())
const monitorOptionsArb = fc.oneof(fc.constant(undefined), fc.constant(null), fc.record({ historySize: maybe(fc.oneof(fc.integer({ min: -2, max: 1_000 }), num)) }, { requiredKeys: [] }), fc.anything())
const callArb: fc.Arbitrary<Call> = fc.oneof(
  fc.record({ m: fc.constantFrom('send' as const, 'sendAsync' as const), data: dataArb }),
  fc.record({
    m: fc.constant('close' as const),
    args: fc.oneof(
      fc.tuple(),
      fc.tuple(maybe(fc.constantFrom(1000, 1001, 1006, 2999, 3000, 4999, 5000, 3000.5, -1))),
      fc.tuple(maybe(fc.constantFrom(1000, 4000)), maybe(fc.oneof(fc.string({ maxLength: 130 }), fc.constant('é'.repeat(62))))),
    ),
  }),
  fc.record({ m: fc.constant('on' as const), event: maybe(fc.constantFrom('state', 'open', 'message', 'close', 'error', 'reconnecting', 'drop', 'giveup', 'ping', 'Open')), listener: maybe(fc.constant(() => {})) }),
  fc.record({ m: fc.constant('signal' as const), name: maybe(fc.constantFrom('online', 'offline', 'visible', 'hidden', 'sleep')) }),
  fc.record({ m: fc.constant('messages' as const), options: streamOptionsArb }),
  fc.record({ m: fc.constant('monitor' as const), options: monitorOptionsArb }),
  fc.record({ m: fc.constant('binaryType' as const), value: maybe(fc.constantFrom('arraybuffer', 'blob', 'nodebuffer', 'text')) }),
)

const PREFIX: Record<Call['m'], RegExp> = {
  send: /^send\(data\): data must be /,
  sendAsync: /^sendAsync\(socket, data\): data must be /,
  close: /^close\(code(, reason)?\): (code|reason) must be /,
  on: /^on\((event\)|"[a-z]+", listener\)): /,
  signal: /^signal\(name\): expected one of /,
  messages: /^messages\(socket, (\{ bufferSize \}\): bufferSize|options\): options) must be /,
  monitor: /^monitor\(socket, (\{ historySize \}\): historySize|options\): options) must be /,
  binaryType: /^binaryType must be /,
}

describe('fuzz: method arguments', () => {
  it('send/sendAsync/close/on/signal/messages/monitor/binaryType(anything): accepted, or a validation error naming the argument', async () => {
    let accepted = 0
    let refused = 0
    fc.assert(
      fc.property(fc.array(callArb, { minLength: 1, maxLength: 12 }), fc.boolean(), (calls, openFirst) => {
        const env = freshEnv()
        const socket = createSocket({ url: 'ws://example.test/', WebSocket: env.server.WebSocket, timer: env.clock, random: () => 0.5, heartbeat: false })
        env.clock.advance(0)
        if (openFirst) env.server.accept()
        for (const call of calls) {
          try {
            switch (call.m) {
              case 'send':
                expect(typeof socket.send(call.data as string)).toBe('boolean')
                break
              case 'sendAsync': {
                const p = sendAsync(socket, call.data as string)
                expect(p).toBeInstanceOf(Promise)
                p.catch((e: { code?: string; reason?: string }) => {
                  // a rejection is always DROPPED with a reason, never anything else
                  if (e?.code !== 'DROPPED' || typeof e.reason !== 'string') asyncErrors.push(new Error(`sendAsync rejected with ${String(e)}`))
                })
                break
              }
              case 'close':
                ;(socket.close as (...a: unknown[]) => void)(...call.args)
                break
              case 'on': {
                const off = socket.on(call.event as 'open', call.listener as () => void)
                expect(typeof off).toBe('function')
                off()
                break
              }
              case 'signal':
                socket.signal(call.name as 'online')
                break
              case 'messages': {
                const stream = messages(socket, call.options as { bufferSize?: number })
                void stream.return?.()
                break
              }
              case 'monitor': {
                const watch = monitor(socket, call.options as { historySize?: number })
                expect(watch.history().length).toBeLessThanOrEqual(1_000)
                break
              }
              case 'binaryType':
                socket.binaryType = call.value as 'blob'
                expect(socket.binaryType).toBe(call.value)
                break
            }
            accepted++
          } catch (error) {
            refused++
            expect(isValidationError(error), `${call.m}: not a validation error: ${String(error)}`).toBe(true)
            expect((error as Error).message, `${call.m}: the message names no argument`).toMatch(PREFIX[call.m])
          }
        }
        socket.close()
        env.clock.advance(10_000)
        expect(env.clock.pending).toBe(0)
      }),
      { numRuns: 400 },
    )
    console.log(`[fuzz] method arguments: ${accepted} accepted, ${refused} refused with a named argument`)
    expect(refused).toBeGreaterThan(100)
    await expectNoAsyncErrors()
  })
})

// ── 3. sequences of calls and events ─────────────────────────────────────────────────────────────
type Hook = { on: 'state' | 'open' | 'close' | 'drop' | 'reconnecting' | 'error' | 'message'; act: 'send' | 'sendAsync' | 'close' | 'reconnect' | 'connect' | 'offline' | 'online' | 'visible'; times: number }
type Op =
  | { k: 'send' | 'sendAsync'; n: number }
  | { k: 'close'; code: number }
  | { k: 'connect' | 'reconnect' | 'observe' | 'opened' }
  | { k: 'signal'; s: 'online' | 'offline' | 'visible' | 'hidden' }
  | { k: 'stream'; action: 'open' | 'next' | 'return' }
  | { k: 'server'; a: 'accept' | 'acceptProto' | 'refuse' | 'drop' | 'close' | 'silence' | 'deliver' | 'ping'; code: number }
  | { k: 'advance'; ms: number }
  | { k: 'jump'; ms: number }

const hookArb: fc.Arbitrary<Hook> = fc.record({
  on: fc.constantFrom('state', 'open', 'close', 'drop', 'reconnecting', 'error', 'message'),
  act: fc.constantFrom('send', 'sendAsync', 'close', 'reconnect', 'connect', 'offline', 'online', 'visible'),
  times: fc.integer({ min: 1, max: 3 }),
})
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ k: fc.constantFrom('send' as const, 'sendAsync' as const), n: fc.integer({ min: 1, max: 3 }) }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('close' as const), code: fc.constantFrom(1000, 3000, 4999) }) },
  { weight: 3, arbitrary: fc.record({ k: fc.constantFrom('connect' as const, 'reconnect' as const, 'observe' as const, 'opened' as const) }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('signal' as const), s: fc.constantFrom('online' as const, 'offline' as const, 'visible' as const, 'hidden' as const) }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('stream' as const), action: fc.constantFrom('open' as const, 'next' as const, 'return' as const) }) },
  {
    weight: 8,
    arbitrary: fc.record({
      k: fc.constant('server' as const),
      a: fc.oneof(
        { weight: 5, arbitrary: fc.constantFrom('accept' as const, 'acceptProto' as const) },
        { weight: 3, arbitrary: fc.constant('deliver' as const) },
        { weight: 4, arbitrary: fc.constantFrom('refuse' as const, 'drop' as const, 'close' as const, 'silence' as const, 'ping' as const) },
      ),
      code: fc.constantFrom(1000, 1001, 1002, 1008, 1011, 1012, 1013, 4000),
    }),
  },
  { weight: 4, arbitrary: fc.record({ k: fc.constant('advance' as const), ms: fc.oneof(fc.integer({ min: 0, max: 1_500 }), fc.integer({ min: 0, max: 40_000 })) }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('jump' as const), ms: fc.integer({ min: -2_000, max: 20_000 }) }) },
)
const configArb = fc.record({
  lazy: fc.boolean(),
  maxMessages: fc.integer({ min: 0, max: 5 }),
  overflow: fc.constantFrom('reject' as const, 'drop-oldest' as const),
  ttl: fc.option(fc.integer({ min: 1, max: 10_000 }), { nil: undefined }),
  maxRetries: fc.oneof(fc.constant(Infinity), fc.nat(4)),
  resetAfter: fc.constantFrom(0, 1_000, 5_000),
  jitter: fc.constantFrom('spread' as const, 'full' as const, 'equal' as const, 'none' as const, 'decorrelated' as const),
  heartbeat: fc.constantFrom('protocol' as const, 'message' as const, 'off' as const),
  maxLifetime: fc.option(fc.integer({ min: 1_000, max: 20_000 }), { nil: undefined }),
  idleTimeout: fc.option(fc.integer({ min: 500, max: 20_000 }), { nil: undefined }),
  bufferSize: fc.integer({ min: 1, max: 3 }),
})

describe('fuzz: sequences of calls and events in virtual time', () => {
  it('one live socket; every message written or dropped exactly once and sendAsync agrees; in order; nothing left after close()', async () => {
    let runs = 0
    const totals = { messages: 0, written: 0, dropped: 0, viaAsync: 0, sockets: 0, streamed: 0, hooks: 0 }
    await fc.assert(
      fc.asyncProperty(configArb, fc.array(hookArb, { maxLength: 3 }), fc.array(opArb, { minLength: 5, maxLength: 80, size: 'large' }), async (config, hooks, ops) => {
        runs++
        const env = freshEnv(config.heartbeat === 'protocol')
        const { clock, server } = env
        const heartbeat: SocketOptions['heartbeat'] =
          config.heartbeat === 'off' ? false : config.heartbeat === 'protocol' ? { interval: 1_000, timeout: 500 } : { interval: 1_000, timeout: 500, mode: 'message', message: 'ping' }
        const socket = createSocket({
          url: 'ws://example.test/',
          protocols: ['p1', 'p2'],
          WebSocket: server.WebSocket,
          timer: clock,
          random: (() => {
            let x = 0.37
            return () => (x = (x * 9301 + 49297) % 233280 / 233280)
          })(),
          lazy: config.lazy,
          queue: { maxMessages: config.maxMessages, overflow: config.overflow, ttl: config.ttl },
          backoff: { maxRetries: config.maxRetries, resetAfter: config.resetAfter, jitter: config.jitter },
          heartbeat,
          maxLifetime: config.maxLifetime,
          idleTimeout: config.idleTimeout,
          connectTimeout: 3_000,
        })
        const watch = monitor(socket)
        const closeTimeout = config.heartbeat === 'off' ? 5_000 : 500

        // what happens to each message
        let counter = 0
        const sentByMe: string[] = []
        const dropped = new Map<string, string[]>()
        const fates = new Map<string, { state: 'pending' | 'written' | 'dropped'; reason?: string }>()
        const delivered: string[] = []
        /** What each stream's next() calls yielded, per stream: each must be in delivery order. */
        const streamed: string[][] = []
        const pendingNexts: Array<{ settled: boolean }> = []
        let streams: Array<{ it: MessageStream; busy: boolean; yielded: string[] }> = []
        socket.on('drop', ({ data, reason }) => {
          const key = String(data)
          dropped.set(key, [...(dropped.get(key) ?? []), reason])
        })
        socket.on('message', (d) => delivered.push(String(d)))
        const sendOne = (asyncToo: boolean): void => {
          const m = `m${counter++}`
          sentByMe.push(m)
          if (!asyncToo) {
            socket.send(m)
            return
          }
          fates.set(m, { state: 'pending' })
          sendAsync(socket, m).then(
            () => fates.set(m, { state: 'written' }),
            (e: { reason?: string }) => fates.set(m, { state: 'dropped', reason: e.reason }),
          )
        }
        let closedByUser = false
        let socketsAtUserClose = -1
        const userClose = (code: number): void => {
          if (!closedByUser) socketsAtUserClose = server.sockets.length
          closedByUser = true
          socket.close(code)
        }
        // listeners that call back into the socket while it is delivering events (including a
        // 'drop' listener that closes while send() expires ttl'd messages: regressions.test.ts, 9)
        for (const hook of hooks) {
          let left = hook.times
          socket.on(hook.on, () => {
            if (left-- <= 0) return
            switch (hook.act) {
              case 'send':
                return sendOne(false)
              case 'sendAsync':
                return sendOne(true)
              case 'close':
                return userClose(1000)
              case 'reconnect':
                return socket.reconnect()
              case 'connect':
                return socket.connect()
              default:
                return socket.signal(hook.act)
            }
          })
        }
        const live = (): FakeSocket[] => server.sockets.filter((s) => s.readyState <= 1 && !s.closedBy && !s.terminated)
        // what the events said, to hold stats() to it
        let opens = 0
        let attempts = 0
        let clockWentBack = false
        socket.on('open', () => opens++)
        socket.on('state', (next) => next === 'connecting' && attempts++)
        function checkStats(): void {
          const stats = watch.stats()
          const history = watch.history()
          // a plain JSON-serialisable snapshot (compared as text: -0 and 0 are the same JSON)
          expect(JSON.stringify(JSON.parse(JSON.stringify(stats)))).toBe(JSON.stringify(stats))
          expect(JSON.stringify(JSON.parse(JSON.stringify(history)))).toBe(JSON.stringify(history))
          expect(stats.queued).toBe(socket.queued)
          expect(stats.queueHighWater).toBeLessThanOrEqual(config.maxMessages)
          expect(stats.opens).toBe(opens)
          expect(stats.attempts.total).toBe(attempts)
          expect(stats.state).toBe(socket.state)
          const droppedBy: Record<string, number> = { overflow: 0, ttl: 0, closed: 0, error: 0, unconfirmed: 0, suspended: 0 }
          for (const reasons of dropped.values()) for (const r of reasons) droppedBy[r]!++
          expect(stats.dropped).toEqual(droppedBy)
          // durations and the ratio are sane while the clock only moved forward (see known-bugs)
          if (!clockWentBack) {
            for (const key of ['timeInState', 'uptime', 'totalUptime', 'totalDowntime'] as const) expect(stats[key], key).toBeGreaterThanOrEqual(0)
            expect(stats.uptimeRatio).toBeGreaterThanOrEqual(0)
            expect(stats.uptimeRatio).toBeLessThanOrEqual(1)
            for (const d of history) if (d.duration !== null) expect(d.duration).toBeGreaterThanOrEqual(0)
          }
        }
        // a consumer of messages() for the whole life of the socket, as for-await does it
        const consumer = messages(socket, { bufferSize: config.bufferSize })
        const consumed: string[] = []
        let consumerDone = false
        void (async () => {
          for await (const v of consumer) consumed.push(String(v))
          consumerDone = true
        })()

        clock.advance(0)
        for (const op of ops) {
          const target = server.sockets.at(-1)
          switch (op.k) {
            case 'send':
            case 'sendAsync':
              for (let i = 0; i < op.n; i++) sendOne(op.k === 'sendAsync')
              break
            case 'close':
              userClose(op.code)
              break
            case 'connect':
              socket.connect()
              break
            case 'reconnect':
              socket.reconnect()
              break
            case 'observe':
              checkStats()
              break
            case 'opened':
              opened(socket).then(
                () => expect(['open', 'backoff', 'connecting', 'closed']).toContain(socket.state),
                (e: { code?: string }) => expect(['GIVEN_UP', 'CLOSED']).toContain(e.code),
              )
              break
            case 'signal':
              socket.signal(op.s)
              break
            case 'stream':
              if (op.action === 'open') {
                const yielded: string[] = []
                streamed.push(yielded)
                streams.push({ it: messages(socket, { bufferSize: config.bufferSize }), busy: false, yielded })
              }
              else if (op.action === 'next') {
                // concurrent next() calls on one stream are allowed (each queues: regressions.test.ts, 5)
                const s = streams[0]
                if (s) {
                  const record = { settled: false }
                  pendingNexts.push(record)
                  void s.it.next().then((r) => {
                    record.settled = true
                    if (!r.done) s.yielded.push(String(r.value))
                  })
                }
              } else {
                const s = streams.shift()
                void s?.it.return?.()
              }
              break
            case 'server':
              if (!target) break
              switch (op.a) {
                case 'accept':
                case 'acceptProto':
                  if (target.readyState === 0 && !target.closedBy && !target.terminated) target.accept(op.a === 'acceptProto' ? 'p2' : '')
                  break
                case 'refuse':
                  target.refuse()
                  break
                case 'drop':
                  target.drop()
                  break
                case 'close':
                  target.serverClose(op.code, op.code === 1013 ? 'retry-after=2' : 'bye')
                  break
                case 'silence':
                  target.silent = true
                  break
                case 'deliver':
                  target.deliver(`s${counter++}`)
                  break
                case 'ping':
                  target.emitFrame('ping')
                  break
              }
              break
            case 'advance':
              clock.advance(op.ms)
              break
            case 'jump':
              if (op.ms < 0) clockWentBack = true
              clock.jump(op.ms)
              clock.advance(0)
              break
          }
          expect(live().length, 'at most one socket connecting or open').toBeLessThanOrEqual(1)
          expect(socket.queued).toBeLessThanOrEqual(config.maxMessages)
          if (socket.state === 'open') expect(live()).toHaveLength(1)
        }

        // the end: close, wait out the close handshake deadline, let promises settle
        userClose(1000)
        expect(socket.state).toBe('closed')
        expect(socket.queued).toBe(0)
        clock.advance(closeTimeout)
        expect(clock.pending, 'timers left after close() + closeTimeout').toBe(0)
        expect(live()).toHaveLength(0)
        const count = server.sockets.length
        clock.advance(3_600_000)
        expect(server.sockets).toHaveLength(count)
        // no socket was made after the first user close
        if (socketsAtUserClose >= 0) expect(server.sockets.length).toBe(socketsAtUserClose)
        await tick()

        // the account: written (sent or swallowed by a silent link) or dropped, exactly once
        const written = new Map<string, number>()
        for (const s of server.sockets) {
          const mine = [...s.sent, ...s.swallowed].map(String).filter((d) => d.startsWith('m'))
          for (const d of mine) written.set(d, (written.get(d) ?? 0) + 1)
          // in order on each socket
          const nums = s.sent.map(String).filter((d) => d.startsWith('m')).map((d) => Number(d.slice(1)))
          expect(nums, 'writes in order on one socket').toEqual([...nums].sort((a, b) => a - b))
        }
        for (const m of sentByMe) {
          const w = written.get(m) ?? 0
          const d = dropped.get(m) ?? []
          // issue 14 (delivery 'report', the default, with a heartbeat): a message written to a
          // connection that died before confirming it is also reported, reason 'unconfirmed'; any
          // other drop means it was never written. Never written twice, never reported twice.
          expect(d.length, `${m}: dropped ${JSON.stringify(d)}`).toBeLessThanOrEqual(1)
          if (d[0] === 'unconfirmed') expect(w, `${m}: written ${w}×, dropped unconfirmed`).toBe(1)
          else expect(w + d.length, `${m}: written ${w}×, dropped ${JSON.stringify(d)}`).toBe(1)
          if (config.heartbeat === 'off') expect(d).not.toContain('unconfirmed')
          const fate = fates.get(m)
          if (fate) {
            expect(fate.state, `${m}: sendAsync never settled`).not.toBe('pending')
            // resolved: confirmed (with a heartbeat) or written (without one)
            if (fate.state === 'written') expect([w, d.length]).toEqual([1, 0])
            else expect(d).toEqual([fate.reason])
          }
        }
        expect([...written.keys()].every((m) => sentByMe.includes(m))).toBe(true)
        // streams: every next() settled once closed; what they yielded was delivered, in order
        expect(pendingNexts.every((r) => r.settled), 'a next() on messages() never settled after close()').toBe(true)
        // (per stream: two streams interleave, and their merged order means nothing)
        for (const yielded of streamed) {
          let i = 0
          for (const v of yielded) {
            i = delivered.indexOf(v, i)
            expect(i, `streamed ${v} out of order or never delivered`).toBeGreaterThanOrEqual(0)
          }
        }
        streams = []
        // the long-lived consumer ended with the socket and saw every message or counted it dropped
        expect(consumerDone, 'for await over messages() did not end after close()').toBe(true)
        expect(consumed.length + consumer.dropped).toBe(delivered.length)
        let j = 0
        for (const v of consumed) {
          j = delivered.indexOf(v, j)
          expect(j).toBeGreaterThanOrEqual(0)
        }
        checkStats()
        const written_ = server.sockets.flatMap((x) => x.sent).length
        expect(watch.stats().messagesOut).toBeLessThanOrEqual(written_ + server.sockets.flatMap((x) => x.swallowed).length)
        totals.messages += sentByMe.length
        totals.written += written.size
        totals.dropped += [...dropped.values()].length
        totals.viaAsync += fates.size
        totals.sockets += server.sockets.length
        totals.streamed += streamed.flat().length + consumed.length
        totals.hooks += hooks.length
      }),
      { numRuns: 500 },
    )
    console.log(`[fuzz] sequences: ${runs} runs, ${JSON.stringify(totals)}`)
    expect(totals.written).toBeGreaterThan(100)
    expect(totals.dropped).toBeGreaterThan(100)
    await expectNoAsyncErrors()
  }, 60_000)
})
