/**
 * The driver: the one place with side effects. It feeds inputs (socket events, timers, user calls)
 * to the pure `transition`, carries out the commands it returns through the ports, and hands events
 * to its sink. It decides nothing about the connection itself.
 *
 * Ordering guarantees:
 * - Inputs are processed one at a time (an input raised while commands run waits its turn).
 * - All of a transition's effects (state, timers, sockets, queue flush) happen before any of its
 *   events are delivered, so a listener always sees a consistent socket.
 * - Events are delivered in the order they were produced, even when a listener calls back in.
 *
 * Memory: thousands of idle sockets live in one process, so this is a class (methods on the
 * prototype, not closures per socket), arrays are created on first use, and a socket's timers live
 * in one table whose host is one port timer per socket or one shared by all (see timers.ts).
 */
import { INITIAL_STATE, type Command, type EmitCommand, type ErrorCode, type Input, type State } from '../core/state.js'
import { kindOf } from '../core/data.js'
import { byteSize, OutboundQueue, type Data, type DropReason, type Entry } from '../core/queue.js'
import { transition } from '../core/transition.js'
import { checkProtocols, describe, isUrl, normaliseUrl, ownOnly, type Resolved } from '../options.js'
import type { HeartbeatKind } from './monitor.js'
import { OPEN, type WebSocketLike } from './ports.js'
import { redactUrl } from './redact.js'
import { TimerTable, type TimerHostFor, type TimerSlot } from './timers.js'

export type { DropReason }

/** The events the driver produces, as a name and its arguments. */
export type DriverEvent =
  | EmitCommand
  | { readonly type: 'emit'; readonly event: 'message'; readonly data: unknown }
  | { readonly type: 'emit'; readonly event: 'drop'; readonly data: Data; readonly reason: DropReason }

/** Where the driver's events go (the public socket), and who is told about traffic (the monitor). */
export interface EventSink {
  receive(event: DriverEvent): void
  /** The hot path: an inbound message while nothing else is under way. */
  receiveMessage(data: unknown): void
}

/**
 * Told about traffic without allocating per message: `monitor.ts` counts with it. `rtt` is called
 * with each answered heartbeat ping's round trip.
 */
export interface Observer {
  written(data: Data): void
  read(data: unknown): void
  rtt(ms: number): void
}

/** A debug logger: one line per transition and effect, and the same as fields. */
export type DebugLogger = (line: string, fields: Record<string, unknown>) => void

/** An input as callers hand it over; the driver stamps the time and a random number on it. */
export type PartialInput = DistributiveOmit<Input, 'at' | 'random'>
type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never

const noop = (): void => {}

export class Driver {
  state: State = INITIAL_STATE
  readonly queue: OutboundQueue
  /** Set on every new socket, and on the live one when changed. */
  #type: string
  /** The socket the driver listens to for the core's current attempt (live, or the one close() waits for), and its id. */
  #ws: WebSocketLike | undefined = undefined
  #wsId = 0
  /** The socket in a graceful close whose end the core waits for (its `state.closing`), and its id. */
  #closing: WebSocketLike | undefined = undefined
  #closingId = 0
  /**
   * When the live socket last received a heartbeat answer or a ping, and when an application
   * message: facts timers hand to the core (see Input). The heartbeat reads the later of the two,
   * the idle watchdog only messages.
   */
  #lastInbound = 0
  #lastMessage = 0
  #lastUrl: string
  readonly #timers: TimerTable
  readonly #messagePings: boolean

  // ── the dispatch loop's bookkeeping (arrays only while something waits) ─────────────────────────
  #inputs: Input[] | undefined = undefined
  #events: DriverEvent[] | undefined = undefined
  #running = false
  #delivering = false
  /** While send() rearranges the queue, events wait: a listener must find it consistent. */
  #holding = false
  /** Writes handed to the socket whose outcome its callback has yet to tell (see #writeAndWait). */
  #awaitingWrites = 0

  readonly #options: Resolved
  readonly #sink: EventSink
  readonly #observer: Observer | undefined

  constructor(
    options: Resolved,
    sink: EventSink,
    observer: Observer | undefined,
    timerHost: TimerHostFor,
  ) {
    this.#options = options
    this.#sink = sink
    this.#observer = observer
    this.#type = options.binaryType
    this.queue = new OutboundQueue(options.queue)
    this.#messagePings = options.policy.heartbeat?.mode === 'message'
    this.#timers = new TimerTable(timerHost(options.timer), this)
    // known from the start when the URL is fixed (a provider's is known at the first attempt)
    this.#lastUrl = typeof options.url === 'function' ? '' : redactUrl(normaliseUrl(options.url, 'url', options.redactParams), options.redactParams)
  }

  /** How liveness is checked: ping frames, an app-level message, or not at all. */
  get heartbeat(): HeartbeatKind {
    return this.#options.policy.heartbeat?.mode ?? 'none'
  }

  /** The live socket's negotiated subprotocol and extensions ('' when none). */
  get protocol(): string {
    return this.#live()?.protocol ?? ''
  }

  get extensions(): string {
    return this.#live()?.extensions ?? ''
  }

  get bufferedAmount(): number {
    return (this.#live()?.bufferedAmount ?? 0) + this.queue.bytes
  }

  /** The URL of the current or last attempt, credentials removed. */
  get url(): string {
    return this.#lastUrl
  }

  get binaryType(): string {
    return this.#type
  }

  set binaryType(value: string) {
    this.#type = value
    const ws = this.#live()
    if (ws) ws.binaryType = value
  }

  #live(): WebSocketLike | undefined {
    return this.#wsId === this.state.socket && this.#wsId !== 0 ? this.#ws : undefined
  }

  // ── the dispatch loop ──────────────────────────────────────────────────────────────────────────
  dispatch(partial: PartialInput): void {
    // callers pass a fresh literal: stamping it in place saves a copy per input
    const input = partial as unknown as { at: number; random: number }
    input.at = this.#options.timer.now()
    input.random = this.#options.random()
    if (this.#running) {
      ;(this.#inputs ??= []).push(input as Input)
      return
    }
    this.#running = true
    try {
      this.#step(input as Input)
      const inputs = this.#inputs
      if (inputs) for (let next = inputs.shift(); next; next = inputs.shift()) this.#step(next)
    } finally {
      this.#running = false
      this.#inputs = undefined
    }
    this.#deliver()
  }

  #step(input: Input): void {
    const prev = this.state
    const [next, commands] = transition(prev, input, this.#options.policy)
    this.state = next
    const debug = this.#options.debug
    if (debug && (commands.length > 0 || next.phase !== prev.phase)) log(debug, 'transition', input, prev, next)
    // every answered ping is a sample, also one with the same round trip as the last
    if (this.#observer && input.type === 'pong' && prev.pingAt !== 0 && next.pingAt === 0) this.#observer.rtt(next.rtt!)
    for (let i = 0; i < commands.length; i++) {
      const command = commands[i]!
      if (command.type === 'emit') (this.#events ??= []).push(command)
      else {
        if (debug) log(debug, 'effect', command)
        this.#run(command)
      }
    }
  }

  /** Nothing is being processed, delivered or rearranged, and nothing waits: an event may go out now. */
  #canDeliverNow(): boolean {
    return !this.#delivering && !this.#running && !this.#holding && !this.#events?.length
  }

  /** Delivered at once unless something else is under way; then queued, in order. */
  #raise(event: DriverEvent): void {
    if (this.#canDeliverNow()) {
      this.#delivering = true
      try {
        this.#sink.receive(event)
      } finally {
        this.#delivering = false
      }
      if (this.#events?.length) this.#deliver()
      return
    }
    ;(this.#events ??= []).push(event)
    if (!this.#running && !this.#holding) this.#deliver()
  }

  #deliver(): void {
    const events = this.#events
    if (this.#delivering || this.#holding || !events) return
    this.#delivering = true
    try {
      for (let event = events.shift(); event; event = events.shift()) this.#sink.receive(event)
    } finally {
      this.#delivering = false
      if (events.length === 0 && this.#events === events) this.#events = undefined
    }
  }

  // ── commands ───────────────────────────────────────────────────────────────────────────────────
  #run(command: Exclude<Command, EmitCommand>): void {
    switch (command.type) {
      case 'open-socket':
        return this.#openSocket(command.id)
      case 'close-socket':
        return this.#closeSocket(command.id, command.code, command.reason, command.hard, command.keepListening)
      case 'set-timer':
        return this.#timers.set(command.name, command.ms)
      case 'clear-timer':
        return this.#timers.clear(command.name)
      case 'ping':
        return this.#ping(command.id)
      case 'flush':
        return this.#flush(command.id)
      case 'expire-queue':
        return this.#expire()
      case 'drop-queue':
        for (const entry of this.queue.drain()) this.#drop(entry, 'closed')
        return
    }
  }

  /** Called by the timer table when one of this socket's timers falls due. */
  timerFired(slot: TimerSlot, late: number): void {
    const now = this.#options.timer.now()
    // the wall clock was set back
    if (this.#lastInbound > now) this.#lastInbound = now
    if (this.#lastMessage > now) this.#lastMessage = now
    const ws = this.#live()
    const buffered = ws?.bufferedAmount ?? 0
    const received = ws?.bytesRead ?? 0
    const lastMessage = this.#lastMessage
    const lastInbound = Math.max(this.#lastInbound, lastMessage)
    this.dispatch({ type: 'timer', name: slot, late, buffered, received, lastInbound, lastMessage })
  }

  // ── sockets ────────────────────────────────────────────────────────────────────────────────────
  #attemptFailed(id: number, code: ErrorCode, message: string, fatal = false): void {
    this.dispatch({ type: 'attempt-failed', id, code, message, fatal })
  }

  #openSocket(id: number): void {
    const { url: urlOption, protocols: protocolsOption } = this.#options
    let url: unknown
    let protocols: unknown
    let pending: boolean
    try {
      url = typeof urlOption === 'function' ? urlOption() : urlOption
      protocols = typeof protocolsOption === 'function' ? protocolsOption() : protocolsOption
      // inside the try: reading `then` of what a provider returned may throw too
      pending = isThenable(url) || isThenable(protocols)
    } catch (error) {
      return this.#attemptFailed(id, 'URL_PROVIDER', `url/protocols provider threw: ${errorText(error, this.#options.redactParams)}`)
    }
    if (pending) {
      Promise.all([url, protocols]).then(
        ([u, p]) => this.#construct(id, u, p),
        (error: unknown) => {
          if (this.#isCurrent(id)) this.#attemptFailed(id, 'URL_PROVIDER', `url/protocols provider rejected: ${errorText(error, this.#options.redactParams)}`)
        },
      )
      return
    }
    this.#construct(id, url, protocols)
  }

  #isCurrent(id: number): boolean {
    return this.state.socket === id && this.state.phase === 'connecting'
  }

  #construct(id: number, rawUrl: unknown, rawProtocols: unknown): void {
    if (!this.#isCurrent(id)) return // the attempt was abandoned while the provider was busy
    let url: string
    try {
      if (typeof rawUrl !== 'string' && !isUrl(rawUrl)) {
        throw new TypeError(`expected a string or URL, got ${describe(rawUrl)}`)
      }
      url = normaliseUrl(rawUrl, 'url', this.#options.redactParams)
      if (rawProtocols !== undefined) checkProtocols(rawProtocols, 'protocols')
    } catch (error) {
      return this.#attemptFailed(id, 'URL_PROVIDER', `url/protocols provider gave a bad value: ${errorText(error, this.#options.redactParams)}`)
    }
    this.#lastUrl = redactUrl(url, this.#options.redactParams)
    const { WebSocket, wsOptions, debug } = this.#options
    if (debug) log(debug, 'effect', { type: 'construct', id, url: this.#lastUrl })
    let ws: WebSocketLike
    try {
      const protocols = rawProtocols as string | string[] | undefined
      // read per attempt (a caller may change a header between attempts), own properties only:
      // ws must not find an inherited rejectUnauthorized on a polluted Object.prototype
      ws = wsOptions ? new WebSocket(url, protocols, ownOnly(wsOptions)) : new WebSocket(url, protocols)
    } catch (error) {
      // a TypeError/SyntaxError/RangeError thrown at construction (a header with a newline,
      // protocolVersion 99) is the configuration itself: every attempt would throw it again
      const config = isConfigError(error)
      const why = config ? ` (a configuration error${wsOptions ? ': check wsOptions' : ''}; not retried)` : ''
      return this.#attemptFailed(id, 'SOCKET_ERROR', `WebSocket constructor threw: ${errorText(error, this.#options.redactParams)}${why}`, config)
    }
    try {
      ws.binaryType = this.#type
    } catch {
      // a runtime that rejects this binaryType keeps its own default; the option was validated
    }
    // the core opens a socket only once the previous one is closed or handed over (at most one live)
    if (this.#ws) this.#forget(this.#ws)
    this.#ws = ws
    this.#wsId = id
    this.#listen(ws)
  }

  #listen(ws: WebSocketLike): void {
    OWNERS.set(ws, this)
    ws.onopen = onSocketOpen
    ws.onclose = onSocketClose
    ws.onerror = onSocketError
    ws.onmessage = onSocketMessage
    if (this.#options.policy.heartbeat?.mode === 'protocol') {
      ws.onpong = onSocketPong
      ws.onping = onSocketPing
    }
  }

  /** The id of `ws` if it is a socket this driver listens to, else 0. */
  #idOf(ws: WebSocketLike): number {
    return ws === this.#ws ? this.#wsId : ws === this.#closing ? this.#closingId : 0
  }

  socketOpened(ws: WebSocketLike): void {
    const id = this.#idOf(ws)
    if (id === 0) return
    if (id === this.state.socket) this.#lastInbound = this.#lastMessage = this.#options.timer.now()
    this.dispatch({ type: 'socket-open', id })
  }

  socketClosed(ws: WebSocketLike, event: { code: number; reason: string; wasClean: boolean }): void {
    const id = this.#idOf(ws)
    if (id === 0) return
    this.#forget(ws)
    this.dispatch({ type: 'socket-close', id, close: { code: event.code, reason: String(event.reason ?? ''), wasClean: Boolean(event.wasClean) } })
  }

  socketErrored(ws: WebSocketLike, event: { error?: unknown; message?: unknown } | undefined): void {
    const id = this.#idOf(ws)
    if (id === 0) return
    this.dispatch({ type: 'socket-error', id, message: errorText(event?.error ?? event?.message ?? 'WebSocket error', this.#options.redactParams) })
  }

  socketPong(ws: WebSocketLike): void {
    const id = this.#idOf(ws)
    if (id === 0 || id !== this.state.socket) return
    this.#lastInbound = this.#options.timer.now()
    this.dispatch({ type: 'pong', id })
  }

  socketPing(ws: WebSocketLike): void {
    const id = this.#idOf(ws)
    if (id !== 0 && id === this.state.socket) this.#lastInbound = this.#options.timer.now()
  }

  socketMessage(ws: WebSocketLike, data: unknown): void {
    const id = this.#idOf(ws)
    if (id !== 0) this.#onMessage(id, data)
  }

  /** The hot path of a busy socket: record the time and hand the data on; no transition, no allocation. */
  #onMessage(id: number, data: unknown): void {
    if (id !== this.state.socket) return // a user close() is under way, or a stale socket
    if (this.#messagePings && this.#isPong(data)) {
      this.#lastInbound = this.#options.timer.now()
      this.dispatch({ type: 'pong', id })
      return
    }
    this.#lastMessage = this.#options.timer.now()
    this.#observer?.read(data)
    // the same as #raise, without building an event for it
    if (this.#canDeliverNow()) {
      // nothing else under way: straight to the listeners, with no event object
      this.#delivering = true
      try {
        this.#sink.receiveMessage(data)
      } finally {
        this.#delivering = false
      }
      if (this.#events?.length) this.#deliver()
    } else this.#raise({ type: 'emit', event: 'message', data })
  }

  /**
   * The user's isPong, guarded: a throw must not escape into the socket's receiver (Node's `ws`
   * would crash the process). An error names the option, and the message is data.
   */
  #isPong(data: unknown): boolean {
    try {
      return this.#options.isPong(data)
    } catch (error) {
      this.#raise({ type: 'emit', event: 'error', code: 'SOCKET_ERROR', message: `heartbeat.isPong threw: ${errorText(error)}` })
      return false
    }
  }

  /** Stop listening to a socket (it closed, or was handed over to close by itself). */
  #forget(ws: WebSocketLike): void {
    if (this.#ws === ws) {
      this.#ws = undefined
      this.#wsId = 0
    } else if (this.#closing === ws) {
      this.#closing = undefined
      this.#closingId = 0
    }
    OWNERS.delete(ws)
    ws.onopen = ws.onclose = ws.onmessage = null
    // keep an error listener: Node's `ws` throws an 'error' that nobody listens to
    ws.onerror = noop
    if (ws.onpong) ws.onpong = ws.onping = null
  }

  #closeSocket(id: number, code: number, reason: string, hard: boolean, keepListening: boolean): void {
    const ws = this.#wsId === id ? this.#ws : this.#closingId === id ? this.#closing : undefined
    if (!ws) return
    if (!keepListening) this.#forget(ws)
    else if (ws === this.#ws) {
      // no longer the live socket (the next attempt's may come), but its end is still awaited
      this.#closing = ws
      this.#closingId = id
      this.#ws = undefined
      this.#wsId = 0
    }
    if (hard && typeof ws.terminate === 'function') {
      ws.terminate()
      return
    }
    try {
      ws.close(code, reason)
    } catch {
      ws.close() // a runtime that refuses the code still closes
    }
  }

  #ping(id: number): void {
    const ws = this.#wsId === id ? this.#ws : undefined
    if (!ws || ws.readyState !== OPEN) return
    try {
      if (this.#options.policy.heartbeat?.mode === 'protocol') ws.ping?.()
      else {
        const message = this.#options.pingMessage
        ws.send(typeof message === 'function' ? message() : message)
      }
    } catch (error) {
      // an unanswered ping is exactly what the heartbeat timeout detects; just say why
      this.#raise({ type: 'emit', event: 'error', code: 'SOCKET_ERROR', message: `ping failed: ${errorText(error, this.#options.redactParams)}` })
    }
  }

  // ── the outbound path ──────────────────────────────────────────────────────────────────────────
  /** `settle` (optional) is told the message's fate: written, or dropped and why. */
  send(data: Data, settle?: Entry['settle']): boolean {
    const phase = this.state.phase
    if (phase === 'open' && this.queue.length === 0) {
      // the hot path: straight to an open socket, no allocation
      const ws = this.#live()
      if (ws && ws.readyState === OPEN) return this.#write(ws, data, settle)
    }
    if (phase === 'closed') {
      this.#raise({ type: 'emit', event: 'drop', data, reason: 'closed' })
      settle?.('closed')
      return false
    }
    this.#holding = true
    try {
      return this.#enqueue(data, settle)
    } finally {
      this.#holding = false
      this.#deliver()
    }
  }

  #enqueue(data: Data, settle: Entry['settle']): boolean {
    const now = this.#options.timer.now()
    for (const old of this.queue.expire(now)) this.#drop(old, 'ttl')
    // the queue keeps a copy of binary data, made only once it is sure to keep it
    const { accepted, evicted } = this.queue.push(data, now, byteSize(data), settle)
    for (const old of evicted) this.#drop(old, 'overflow')
    if (!accepted) {
      this.#raise({ type: 'emit', event: 'drop', data, reason: 'overflow' })
      settle?.('overflow')
      return false
    }
    this.dispatch({ type: 'queued', expires: this.queue.nextExpiry() ?? Infinity })
    return true
  }

  /** Hand one message to the socket. A throw is reported (error + drop), never lost silently. */
  #write(ws: WebSocketLike, data: Data, settle: Entry['settle']): boolean {
    if (ws.sendWithCallback && (this.#awaitingWrites > 0 || (typeof data !== 'string' && kindOf(data) === 'blob'))) {
      return this.#writeAndWait(ws, ws.sendWithCallback, data, settle)
    }
    try {
      ws.send(data)
    } catch (error) {
      this.#sendFailed(data, settle, error)
      return false
    }
    this.#observer?.written(data)
    settle?.()
    return true
  }

  /**
   * Node `ws` reads a Blob asynchronously, and a Blob that cannot be read (a file that changed)
   * fails it and every message queued behind it inside `ws`, with no trace but the callbacks. So a
   * Blob, and everything written while one is pending, goes out with a callback, and its fate is
   * reported when that tells it. `ws` keeps them in order.
   */
  #writeAndWait(ws: WebSocketLike, sendWithCallback: NonNullable<WebSocketLike['sendWithCallback']>, data: Data, settle: Entry['settle']): boolean {
    let waiting = true
    this.#awaitingWrites++
    const done = (error?: unknown): void => {
      if (!waiting) return // `ws` calls each callback once; guard anyway, a fate is told once
      waiting = false
      this.#awaitingWrites--
      if (error) this.#sendFailed(data, settle, error)
      else {
        this.#observer?.written(data)
        settle?.()
      }
    }
    try {
      sendWithCallback.call(ws, data, done)
    } catch (error) {
      done(error)
      return false
    }
    return true
  }

  #sendFailed(data: Data, settle: Entry['settle'], error: unknown): void {
    this.#raise({ type: 'emit', event: 'error', code: 'SEND_FAILED', message: `send failed: ${errorText(error, this.#options.redactParams)}` })
    this.#raise({ type: 'emit', event: 'drop', data, reason: 'error' })
    settle?.('error')
  }

  #drop(entry: Entry, reason: DropReason): void {
    this.#raise({ type: 'emit', event: 'drop', data: entry.data, reason })
    entry.settle?.(reason)
  }

  #flush(id: number): void {
    const ws = this.#wsId === id ? this.#ws : undefined
    const queue = this.queue
    const before = queue.length
    while (ws && queue.length > 0 && ws.readyState === OPEN) {
      const entry = queue.shift()!
      this.#write(ws, entry.data, entry.settle)
    }
    this.#dequeued(before)
  }

  #expire(): void {
    const before = this.queue.length
    for (const old of this.queue.expire(this.#options.timer.now())) this.#drop(old, 'ttl')
    this.#dequeued(before)
  }

  /** Tell the core when messages left the queue: its ttl timer follows the oldest one left. */
  #dequeued(before: number): void {
    if (this.queue.length !== before) this.dispatch({ type: 'dequeued', expires: this.queue.nextExpiry() ?? Infinity })
  }
}

/**
 * Which driver listens to a socket. The handlers below are shared by every socket (no closures per
 * socket): a WebSocket calls its handlers with `this` set to itself (and sets `event.target`).
 */
const OWNERS = new WeakMap<object, Driver>()

/** The socket an event came from: `this`, or else the event's target. */
function sourceOf(self: unknown, event: unknown): WebSocketLike {
  return (OWNERS.has(self as object) ? self : (event as { target?: unknown } | undefined)?.target) as WebSocketLike
}

function onSocketOpen(this: unknown, event: unknown): void {
  const ws = sourceOf(this, event)
  OWNERS.get(ws)?.socketOpened(ws)
}

function onSocketClose(this: unknown, event: { code: number; reason: string; wasClean: boolean }): void {
  const ws = sourceOf(this, event)
  OWNERS.get(ws)?.socketClosed(ws, event)
}

function onSocketError(this: unknown, event: { error?: unknown; message?: unknown } | undefined): void {
  const ws = sourceOf(this, event)
  OWNERS.get(ws)?.socketErrored(ws, event)
}

function onSocketMessage(this: unknown, event: { data: unknown }): void {
  const ws = sourceOf(this, event)
  OWNERS.get(ws)?.socketMessage(ws, event.data)
}

/** Protocol frames (the Node adapter): called with `this` = the socket. */
function onSocketPong(this: WebSocketLike): void {
  OWNERS.get(this)?.socketPong(this)
}

function onSocketPing(this: WebSocketLike): void {
  OWNERS.get(this)?.socketPing(this)
}

function log(debug: DebugLogger, kind: 'transition' | 'effect', subject: object, prev?: State, next?: State): void {
  const fields: Record<string, unknown> = { kind, ...subject }
  if (prev && next) {
    fields.from = prev.phase
    fields.to = next.phase
  }
  const text = Object.entries(fields)
    .filter(([key, value]) => key !== 'kind' && key !== 'random' && value !== undefined && typeof value !== 'object')
    .map(([key, value]) => `${key}=${typeof value === 'string' && /\s/.test(value) ? JSON.stringify(value) : String(value)}`)
    .join(' ')
  try {
    debug(`lifeline-ws ${kind} ${text}`, fields)
  } catch {
    // a broken logger must not break the connection
  }
}

function isConfigError(error: unknown): boolean {
  try {
    const name = (error as { name?: unknown } | null)?.name
    return name === 'TypeError' || name === 'SyntaxError' || name === 'RangeError'
  } catch {
    return false
  }
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as PromiseLike<unknown> | undefined)?.then === 'function'
}

/**
 * A message for any thrown value, with URLs in it redacted. Total: a value with no string form
 * (Object.create(null), a revoked Proxy, a throwing toString or message getter) is described, so
 * reporting a failure can never fail itself.
 */
export function errorText(error: unknown, redactParams?: readonly string[]): string {
  let text: string
  try {
    const message = error instanceof Error ? error.message : error
    text = typeof message === 'string' ? message : String(message)
  } catch {
    return `${describe(error)} (no string form)`
  }
  return text.replace(/\b(wss?|https?):\/\/[^\s"')]+/g, (url) => redactUrl(url, redactParams))
}

