/**
 * A drop-in for code written against reconnecting-websocket 4.4, partysocket 1.x or the WHATWG
 * WebSocket: `new ReconnectingWebSocket(url, protocols?, options?)`. A thin shell over a lifeline
 * socket that behaves as those classes do where a migrating program could notice (readyState,
 * binaryType 'blob', an unbounded queue flushed before 'open', retries on every server close,
 * reconnect() after close(), 'TIMEOUT' errors), and translates the peers' option names into ours.
 */
import { byteSize, type Data, type DropReason } from '../core/queue.js'
import type { CloseInfo, Phase } from '../core/state.js'
import { describe, mustBe } from '../options/messages.dev.js'
import { ownOnly } from '../options/read.js'
import { DEFAULTS, MIN_INITIAL_DELAY, type ProtocolsOption, type SocketOptions, type UrlOption } from '../options/types.js'
import { normaliseUrl } from '../options/url.js'
import { checkData } from '../options/validate.js'
import { checkAbortSignal, closeOn } from '../runtime/abort.js'
import type { LifelineError } from '../runtime/errors.js'
import { checkHistorySize, monitor, type Disconnect, type SocketMonitor, type Stats } from '../runtime/monitor.js'
import type { LifelineSocket } from '../runtime/socket.js'

/** reconnecting-websocket / partysocket option names we accept, mapped onto ours. */
export interface PeerOptions {
  /** → backoff.initialDelay (below 10 ms becomes 10 ms; above maxReconnectionDelay it is lowered to it). @default 1000 */
  minReconnectionDelay?: number
  /** → backoff.maxDelay (below 10 ms becomes 10 ms). @default 5000 */
  maxReconnectionDelay?: number
  /** → backoff.factor (below 1 becomes 1). @default 2 */
  reconnectionDelayGrowFactor?: number
  /** → backoff.resetAfter. @default 5000 */
  minUptime?: number
  /** → connectTimeout (0 becomes 1 ms). @default 10000 */
  connectionTimeout?: number
  /** → backoff.maxRetries. @default Infinity */
  maxRetries?: number
  /** Most messages held while not open; one more is dropped (a 'drop' event). @default Infinity */
  maxEnqueuedMessages?: number
  /** Stay CLOSED, holding sends, until reconnect(). @default false */
  startClosed?: boolean
  /** true: log every transition to `debugLogger` (else console.debug); or a lifeline debug logger. @default false */
  debug?: boolean | SocketOptions['debug']
  /** Where `debug: true` logs. @default console.debug */
  debugLogger?: (...args: any[]) => void
  /** false for a server close ends the retries (as `shouldReconnect` does). @default () => true */
  shouldReconnectOnClose?: (event: CloseEvent) => boolean
}

/** What lifeline-ws adds to the peers' options; the optional entries carry them out for each socket. */
export interface DropInOptions {
  /** How many disconnects `history()` keeps. @default 50 */
  historySize?: number
  /** Aborting it closes the socket, as `close()` does (a later `reconnect()` is closed at once too). @default undefined */
  signal?: AbortSignal
}

export type ReconnectingWebSocketOptions = Omit<SocketOptions, 'url' | 'protocols' | 'debug' | 'lazy' | 'queue'> & PeerOptions & DropInOptions

/** The subprotocols argument: also null, and a provider may return null (as in partysocket). */
type PeerProtocols = ProtocolsOption | null | (() => string | string[] | null | undefined | Promise<string | string[] | null | undefined>)

/** An 'error' event: `message` is 'TIMEOUT' for a connect timeout (as in the peers), else the error's. */
export interface ReconnectingWebSocketErrorEvent extends Event {
  readonly message: string
  readonly error: LifelineError
}

/** A message passed to send() that was not delivered, and why. */
export interface ReconnectingWebSocketDropEvent extends Event {
  readonly data: Data
  readonly reason: DropReason
}

export interface ReconnectingWebSocketEventMap {
  open: Event
  message: MessageEvent
  close: CloseEvent
  error: ReconnectingWebSocketErrorEvent
  drop: ReconnectingWebSocketDropEvent
}

type Listener<E> = ((event: E) => void) | { handleEvent(event: E): void }

/** Where a peer option means something slightly different here: said once per process. */
const noted = new Set<string>()
function note(key: string, text: string): void {
  if (noted.has(key)) return
  noted.add(key)
  console.warn(`lifeline-ws: ${text}`)
}

/** A peer's numeric option: a number >= 0 (Infinity allowed), as the peers use it. */
function peerNumber(name: string, value: unknown): number | undefined {
  if (value === undefined) return undefined
  if (typeof value !== 'number' || !(value >= 0)) throw new RangeError(`${name} must be a number >= 0, got ${describe(value)}`)
  return value
}

/** A peer's callback option: a function when given (the peers would fail only when they call it). */
function peerFunction<T>(name: string, value: T): T {
  if (value !== undefined && typeof value !== 'function') throw new TypeError(mustBe(name, value, 'function'))
  return value
}

/** The peers wait 0 ms where asked to; lifeline-ws always pauses at least `floor` ms (no busy loop). */
function atLeast(name: string, ms: number | undefined, floor: number): number | undefined {
  if (ms !== undefined && ms < floor) note(`floor ${name}`, `${name} ${ms} is used as ${floor} ms: lifeline-ws never retries in a busy loop`)
  return ms === undefined ? undefined : Math.max(ms, floor)
}

interface Translated {
  socket: Omit<SocketOptions, 'url' | 'protocols' | 'lazy'>
  maxQueued: number
  startClosed: boolean
  historySize: number
  signal: AbortSignal | undefined
}

function translate(given: ReconnectingWebSocketOptions): Translated {
  if (given === null || typeof given !== 'object') throw new TypeError(`options must be an object, got ${describe(given)}`)
  // own properties only: a polluted Object.prototype.debug or .maxRetries must not count as given
  const options = ownOnly(given) as ReconnectingWebSocketOptions
  const {
    minReconnectionDelay,
    maxReconnectionDelay,
    reconnectionDelayGrowFactor,
    minUptime,
    connectionTimeout,
    maxRetries,
    maxEnqueuedMessages,
    startClosed,
    debug,
    debugLogger,
    shouldReconnectOnClose,
    historySize,
    signal,
    ...own
  } = options
  if (signal !== undefined) checkAbortSignal(signal, 'signal')
  if (minReconnectionDelay !== undefined) {
    note('min', 'minReconnectionDelay is used as backoff.initialDelay; every delay is jittered (±50 % by default, backoff.jitter), not only the first')
  }
  if (maxReconnectionDelay !== undefined) {
    note('max', 'maxReconnectionDelay is used as backoff.maxDelay; at the cap delays stay spread over [max/2, max)')
  }
  const backoff = { ...own.backoff }
  const max = atLeast('maxReconnectionDelay', peerNumber('maxReconnectionDelay', maxReconnectionDelay), MIN_INITIAL_DELAY) ?? backoff.maxDelay
  const min = atLeast('minReconnectionDelay', peerNumber('minReconnectionDelay', minReconnectionDelay), MIN_INITIAL_DELAY) ?? backoff.initialDelay
  if (max !== undefined) backoff.maxDelay = max
  // the peers cap every delay at the maximum: a maximum below the minimum (given, or our 1 s
  // default) lowers the minimum instead of being an error
  if (min !== undefined || max !== undefined) backoff.initialDelay = Math.min(min ?? DEFAULTS.backoff.initialDelay, max ?? Infinity)
  const factor = peerNumber('reconnectionDelayGrowFactor', reconnectionDelayGrowFactor)
  if (factor !== undefined) backoff.factor = Math.max(factor, 1)
  const resetAfter = peerNumber('minUptime', minUptime)
  if (resetAfter !== undefined) backoff.resetAfter = resetAfter
  const retries = peerNumber('maxRetries', maxRetries)
  if (retries !== undefined) backoff.maxRetries = Math.ceil(retries)
  const connectTimeout = atLeast('connectionTimeout', peerNumber('connectionTimeout', connectionTimeout), 1)

  const log = peerFunction('debugLogger', debugLogger) ?? console.debug
  const onClose = peerFunction('shouldReconnectOnClose', shouldReconnectOnClose)
  return {
    socket: {
      // the peers retry after every server close; a program migrating from them expects that
      shouldReconnect: onClose ? (close) => onClose(makeEvent('close', { ...close }, 'CloseEvent') as unknown as CloseEvent) !== false : () => true,
      binaryType: 'blob', // what the peers set on every WebSocket (browsers' default; ws gives Blob too)
      ...own,
      backoff,
      ...(connectTimeout !== undefined ? { connectTimeout } : {}),
      ...(debug === true ? { debug: (line: string) => log(line) } : typeof debug === 'function' ? { debug } : {}),
    },
    maxQueued: peerNumber('maxEnqueuedMessages', maxEnqueuedMessages) ?? Infinity,
    startClosed: startClosed === true,
    historySize: checkHistorySize(historySize, 'historySize'),
    signal,
  }
}

/** A minimal EventTarget for runtimes without one. */
class SmallEventTarget {
  #listeners = new Map<string, Set<Listener<any>>>()
  addEventListener(type: string, listener: Listener<any> | null, _options?: boolean | AddEventListenerOptions): void {
    if (!listener) return
    let set = this.#listeners.get(type)
    if (!set) this.#listeners.set(type, (set = new Set()))
    set.add(listener)
  }
  removeEventListener(type: string, listener: Listener<any> | null, _options?: boolean | EventListenerOptions): void {
    if (listener) this.#listeners.get(type)?.delete(listener)
  }
  dispatchEvent(event: Event): boolean {
    if (!event.target) Object.defineProperty(event, 'target', { value: this })
    for (const listener of [...(this.#listeners.get(event.type) ?? [])]) {
      if (typeof listener === 'function') listener.call(this, event)
      else listener.handleEvent(event)
    }
    return true
  }
}

/** A real Event where the runtime has the class, else an Event (or plain object) with the fields. */
function makeEvent(type: string, fields: Record<string, unknown>, ctor?: string): Event {
  const g = globalThis as unknown as Record<string, (new (type: string, init?: object) => Event) | undefined>
  const Specific = ctor ? g[ctor] : undefined
  if (Specific) return new Specific(type, fields)
  const event = (g.Event ? new g.Event(type) : { type }) as Event
  for (const [key, value] of Object.entries(fields)) Object.defineProperty(event, key, { value, enumerable: true })
  return event
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as PromiseLike<unknown> | undefined)?.then === 'function'
}

/** `fn()`, its result passed through `map` (after it settles, if it is a promise). */
function mapResult<T>(fn: () => unknown, map: (value: unknown) => T): () => T | Promise<T> {
  return () => {
    const value = fn()
    return isThenable(value) ? Promise.resolve(value).then(map) : map(value)
  }
}

const HANDLERS = ['open', 'message', 'close', 'error'] as const

/**
 * Build the class around an entry's `createSocket` (so each entry's adapter fills in the ports).
 */
export function defineReconnectingWebSocket(create: (options: SocketOptions) => LifelineSocket) {
  const Base = (typeof EventTarget === 'function' ? EventTarget : SmallEventTarget) as typeof SmallEventTarget

  return class ReconnectingWebSocket extends Base {
    static readonly CONNECTING = 0
    static readonly OPEN = 1
    static readonly CLOSING = 2
    static readonly CLOSED = 3
    readonly CONNECTING = 0
    readonly OPEN = 1
    readonly CLOSING = 2
    readonly CLOSED = 3

    onopen: ((event: Event) => void) | null = null
    onmessage: ((event: MessageEvent) => void) | null = null
    onclose: ((event: CloseEvent) => void) | null = null
    onerror: ((event: ReconnectingWebSocketErrorEvent) => void) | null = null

    readonly #make: (lazy: boolean) => LifelineSocket
    #socket: LifelineSocket
    #unsubscribe: (() => void)[] = []
    /** Sends held while not open (the peers' queue: unbounded by default), flushed before 'open'. */
    #queue: Data[] = []
    readonly #maxQueued: number
    /** startClosed: CLOSED (not CONNECTING) until reconnect(). */
    #startClosed: boolean
    /** close() was called on an open socket whose close event has not come yet. */
    #closing = false
    /** close() was called and reconnect() not since: sends are dropped, not held. */
    #closed = false
    #url = ''
    readonly #historySize: number
    readonly #signal: AbortSignal | undefined
    #monitor!: SocketMonitor
    #extensions = ''

    constructor(url: UrlOption, protocols?: PeerProtocols, options: ReconnectingWebSocketOptions = {}) {
      super()
      const { socket: translated, maxQueued, startClosed, historySize, signal } = translate(options)
      const remember = (value: unknown): unknown => {
        // the URL as given, not redacted (WHATWG); a provider's last answer
        try {
          this.#url = normaliseUrl(value as string | URL, 'url')
        } catch {
          // not a URL: the attempt fails, and its 'error' event says why
        }
        return value
      }
      const given = typeof url === 'function' ? (mapResult(url, remember) as UrlOption) : url
      const subprotocols = typeof protocols === 'function' ? (mapResult(protocols, (p) => p ?? undefined) as ProtocolsOption) : (protocols ?? undefined)
      this.#make = (lazy) => create({ ...translated, url: given, protocols: subprotocols, lazy })
      this.#maxQueued = maxQueued
      this.#startClosed = startClosed
      this.#historySize = historySize
      this.#signal = signal
      // the onX handlers are listeners registered first, so they run before addEventListener ones
      // and see event.target set, as a WebSocket's do
      for (const type of HANDLERS) this.addEventListener(type, (event: any) => this[`on${type}`]?.call(this, event))
      this.#socket = this.#attach(this.#make(startClosed))
      if (typeof url !== 'function') remember(url)
    }

    /** Each socket gets its own monitor and abort watch, attached before its first event. */
    #attach(socket: LifelineSocket): LifelineSocket {
      this.#monitor = monitor(socket, { historySize: this.#historySize })
      if (this.#signal) closeOn(socket, this.#signal)
      this.#unsubscribe = [
        socket.on('open', ({ extensions }) => {
          this.#extensions = extensions
          const held = this.#queue
          this.#queue = []
          for (const data of held) socket.send(data)
          this.#emit('open', {})
        }),
        socket.on('message', (data) => this.#emit('message', { data, origin: '' }, 'MessageEvent')),
        socket.on('close', (close: CloseInfo) => {
          this.#closing = false // CLOSED inside the handlers, as a WebSocket is
          this.#emit('close', { ...close }, 'CloseEvent')
        }),
        socket.on('error', (error) => this.#emit('error', { error, message: error.code === 'CONNECT_TIMEOUT' ? 'TIMEOUT' : error.message })),
        socket.on('drop', (drop) => this.#emit('drop', { ...drop })),
      ]
      return socket
    }

    /** A fresh lifeline socket with the same options (a closed one never reopens). */
    #replace(): void {
      for (const off of this.#unsubscribe) off()
      const binaryType = this.#socket.binaryType
      this.#socket = this.#attach(this.#make(false))
      this.#socket.binaryType = binaryType
      this.#closing = this.#startClosed = false
    }

    #emit(type: keyof ReconnectingWebSocketEventMap, fields: Record<string, unknown>, ctor?: string): void {
      this.dispatchEvent(makeEvent(type, fields, ctor))
    }

    override addEventListener<K extends keyof ReconnectingWebSocketEventMap>(
      type: K,
      listener: Listener<ReconnectingWebSocketEventMap[K]> | null,
      options?: boolean | AddEventListenerOptions,
    ): void
    override addEventListener(type: string, listener: EventListenerOrEventListenerObject | null, options?: boolean | AddEventListenerOptions): void
    override addEventListener(type: string, listener: Listener<any> | null, options?: boolean | AddEventListenerOptions): void {
      super.addEventListener(type, listener, options)
    }

    override removeEventListener<K extends keyof ReconnectingWebSocketEventMap>(
      type: K,
      listener: Listener<ReconnectingWebSocketEventMap[K]> | null,
      options?: boolean | EventListenerOptions,
    ): void
    override removeEventListener(type: string, listener: EventListenerOrEventListenerObject | null, options?: boolean | EventListenerOptions): void
    override removeEventListener(type: string, listener: Listener<any> | null, options?: boolean | EventListenerOptions): void {
      super.removeEventListener(type, listener, options)
    }

    /** WHATWG readyState; between attempts the socket counts as CONNECTING, as the peers report it. */
    get readyState(): number {
      const phase = this.#socket.state
      if (this.#closing) return 2
      if (phase === 'open') return 1
      return phase === 'closed' || (phase === 'idle' && this.#startClosed) ? 3 : 0
    }
    /** The URL as given (WHATWG-serialised), or a URL provider's last answer ('' before it). */
    get url(): string {
      return this.#url
    }
    get protocol(): string {
      return this.#socket.protocol
    }
    /** The extensions the server negotiated on the last connection. */
    get extensions(): string {
      return this.#extensions
    }
    /** Bytes held by the queue and by the live socket. */
    get bufferedAmount(): number {
      let bytes = this.#socket.bufferedAmount
      for (const data of this.#queue) bytes += byteSize(data)
      return bytes
    }
    /** 'blob' by default, as the peers and browsers have it. */
    get binaryType(): LifelineSocket['binaryType'] {
      return this.#socket.binaryType
    }
    set binaryType(value: LifelineSocket['binaryType']) {
      this.#socket.binaryType = value
    }
    /** Connection attempts since the last stable open (the peers' retryCount). */
    get retryCount(): number {
      return this.#socket.attempt
    }

    /**
     * true: written to the open socket now. false: held until the next open (flushed before the
     * 'open' event), or dropped (queue full, or after close()) with a 'drop' event saying why.
     */
    send(data: Data): boolean {
      checkData('send(data): data', data)
      const socket = this.#socket
      if (socket.state === 'open' && this.#queue.length === 0) return socket.send(data) && socket.queued === 0
      const dropped = this.#closed ? 'closed' : this.#queue.length >= this.#maxQueued ? 'overflow' : undefined
      if (dropped) this.#emit('drop', { data, reason: dropped })
      // copy views: a caller may reuse its buffer before the queue is flushed
      else this.#queue.push(ArrayBuffer.isView(data) ? new Uint8Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength)) : data)
      return false
    }

    /** Remove and return every message held for the next open (partysocket's drainQueuedMessages). */
    drainQueuedMessages(): Data[] {
      const held = this.#queue
      this.#queue = []
      return held
    }

    /**
     * Final until reconnect(). An open socket is CLOSING until the server answers; its 'close' event
     * then carries the real outcome (reconnecting-websocket's timing). Held sends are dropped.
     */
    close(code?: number, reason?: string): void {
      const socket = this.#socket
      const open = socket.state === 'open'
      socket.close(code, reason)
      if (open) this.#closing = true
      this.#closed = true
      for (const data of this.drainQueuedMessages()) this.#emit('drop', { data, reason: 'closed' })
    }

    /**
     * Connect again now, with the retry count reset: also after close() or after retries ran out.
     * With a code, an open socket is closed with that code and reason first.
     */
    reconnect(code?: number, reason?: string): void {
      const socket = this.#socket
      this.#closed = false
      // as the peers do: a socket left open (or closing after close()) reports its close now,
      // before the next attempt starts; the fresh socket's listeners would never hear it
      const report = () => this.#emit('close', { code: code ?? 1000, reason: reason ?? '', wasClean: false }, 'CloseEvent')
      if (socket.state === 'idle') socket.connect()
      else if (socket.state === 'closed') {
        if (this.#closing) report()
        this.#replace()
      } else if (code !== undefined && socket.state === 'open') {
        socket.close(code, reason)
        report()
        this.#replace()
      } else socket.reconnect()
    }

    // ── lifeline extras ──
    get state(): Phase {
      return this.#socket.state
    }
    /** The current socket's counters (lifeline-ws/monitor's stats(); a fresh socket starts anew). */
    stats(): Stats {
      return this.#monitor.stats()
    }
    /** The current socket's last `historySize` disconnects, oldest first. */
    history(): Disconnect[] {
      return this.#monitor.history()
    }
    /** The lifeline socket underneath (for opened(), messages()…); reconnect() after close() replaces it. */
    get socket(): LifelineSocket {
      return this.#socket
    }
  }
}

export type ReconnectingWebSocket = InstanceType<ReturnType<typeof defineReconnectingWebSocket>>
