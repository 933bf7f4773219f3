/**
 * A drop-in for code written against the WHATWG WebSocket, reconnecting-websocket or partysocket:
 * `new ReconnectingWebSocket(url, protocols?, options?)`. A thin shell over a lifeline socket: it
 * translates events into real Event objects and the peers' option names into ours.
 */
import type { CloseInfo, Phase } from '../core/state.js'
import type { Data } from '../core/queue.js'
import { ownOnly, type ProtocolsOption, type SocketOptions, type UrlOption } from '../options.js'
import type { LifelineError } from '../runtime/errors.js'
import type { Stats } from '../runtime/monitor.js'
import type { LifelineSocket } from '../runtime/socket.js'

/** reconnecting-websocket / partysocket option names we accept, mapped onto ours. */
export interface PeerOptions {
  /** → backoff.initialDelay */
  minReconnectionDelay?: number
  /** → backoff.maxDelay */
  maxReconnectionDelay?: number
  /** → backoff.factor */
  reconnectionDelayGrowFactor?: number
  /** → backoff.resetAfter */
  minUptime?: number
  /** → connectTimeout */
  connectionTimeout?: number
  /** → backoff.maxRetries */
  maxRetries?: number
  /** → queue.maxMessages */
  maxEnqueuedMessages?: number
  /** → lazy */
  startClosed?: boolean
  /** true → console.debug */
  debug?: boolean | SocketOptions['debug']
}

export type ReconnectingWebSocketOptions = Omit<SocketOptions, 'url' | 'protocols' | 'debug'> & PeerOptions

/** Where a peer option means something slightly different here: said once per process. */
const NOTES: Partial<Record<keyof PeerOptions, string>> = {
  minReconnectionDelay:
    'minReconnectionDelay is used as backoff.initialDelay; every delay is jittered (±50 % by default, backoff.jitter), not only the first',
  maxReconnectionDelay: 'maxReconnectionDelay is used as backoff.maxDelay; at the cap delays stay spread over [max/2, max)',
  startClosed: 'startClosed is used as lazy: the socket also connects on the first send(), not only on reconnect()',
}
const noted = new Set<string>()

function translate(given: ReconnectingWebSocketOptions): Omit<SocketOptions, 'url'> {
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
    ...own
  } = options
  for (const key of Object.keys(NOTES) as (keyof PeerOptions)[]) {
    if (options[key] !== undefined && !noted.has(key)) {
      noted.add(key)
      console.warn(`lifeline-ws: ${NOTES[key]}`)
    }
  }
  const backoff = { ...own.backoff }
  if (minReconnectionDelay !== undefined) backoff.initialDelay = minReconnectionDelay
  if (maxReconnectionDelay !== undefined) backoff.maxDelay = maxReconnectionDelay
  if (reconnectionDelayGrowFactor !== undefined) backoff.factor = reconnectionDelayGrowFactor
  if (minUptime !== undefined) backoff.resetAfter = minUptime
  if (maxRetries !== undefined) backoff.maxRetries = maxRetries
  const queue = { ...own.queue }
  if (maxEnqueuedMessages !== undefined) queue.maxMessages = maxEnqueuedMessages
  return {
    ...own,
    backoff,
    queue,
    ...(connectionTimeout !== undefined ? { connectTimeout: connectionTimeout } : {}),
    ...(startClosed !== undefined ? { lazy: startClosed } : {}),
    ...(debug === true ? { debug: (line: string) => console.debug(line) } : typeof debug === 'function' ? { debug } : {}),
  }
}

/** A minimal EventTarget for runtimes without one. */
class SmallEventTarget {
  #listeners = new Map<string, Set<(event: any) => void>>()
  addEventListener(type: string, listener: ((event: any) => void) | null): void {
    if (!listener) return
    let set = this.#listeners.get(type)
    if (!set) this.#listeners.set(type, (set = new Set()))
    set.add(listener)
  }
  removeEventListener(type: string, listener: ((event: any) => void) | null): void {
    if (listener) this.#listeners.get(type)?.delete(listener)
  }
  dispatchEvent(event: { type: string }): boolean {
    for (const listener of [...(this.#listeners.get(event.type) ?? [])]) listener.call(this, event)
    return true
  }
}

type EventLike = { type: string } & Record<string, unknown>

/** A real Event where the runtime has the class, else a plain object of the same shape. */
function makeEvent(type: string, fields: Record<string, unknown>, ctor?: string): EventLike {
  const g = globalThis as unknown as Record<string, (new (type: string, init?: object) => Event) | undefined>
  const Specific = ctor ? g[ctor] : undefined
  if (Specific) return new Specific(type, fields) as unknown as EventLike
  const Base = g.Event
  const event = (Base ? new Base(type) : { type }) as unknown as EventLike
  for (const [key, value] of Object.entries(fields)) Object.defineProperty(event, key, { value, enumerable: true })
  return event
}

const READY: Record<Phase, number> = { idle: 3, connecting: 0, open: 1, backoff: 0, closed: 3 }

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

    onopen: ((event: any) => void) | null = null
    onmessage: ((event: any) => void) | null = null
    onclose: ((event: any) => void) | null = null
    onerror: ((event: any) => void) | null = null

    readonly #socket: LifelineSocket
    #closing = false

    constructor(url: UrlOption, protocols?: ProtocolsOption, options: ReconnectingWebSocketOptions = {}) {
      super()
      const socket = create({ ...translate(options), url, ...(protocols !== undefined ? { protocols } : {}) })
      this.#socket = socket
      socket.on('open', () => this.#fire('onopen', makeEvent('open', {})))
      socket.on('message', (data) => this.#fire('onmessage', makeEvent('message', { data, origin: '' }, 'MessageEvent')))
      socket.on('close', (close: CloseInfo) => this.#fire('onclose', makeEvent('close', { ...close }, 'CloseEvent')))
      socket.on('error', (error: LifelineError) => this.#fire('onerror', makeEvent('error', { error, message: error.message })))
      socket.on('close', () => {
        this.#closing = false
      })
    }

    #fire(handler: 'onopen' | 'onmessage' | 'onclose' | 'onerror', event: EventLike): void {
      this[handler]?.call(this, event)
      this.dispatchEvent(event as never)
    }

    /** WHATWG readyState; between attempts the socket counts as CONNECTING, as peers report it. */
    get readyState(): number {
      return this.#closing ? 2 : READY[this.#socket.state]
    }
    get url(): string {
      return this.#socket.url
    }
    get protocol(): string {
      return this.#socket.protocol
    }
    get extensions(): string {
      return ''
    }
    get bufferedAmount(): number {
      return this.#socket.bufferedAmount
    }
    get binaryType(): LifelineSocket['binaryType'] {
      return this.#socket.binaryType
    }
    set binaryType(value: LifelineSocket['binaryType']) {
      this.#socket.binaryType = value
    }
    /** Queued while not open, unlike a plain WebSocket (which throws while CONNECTING). */
    send(data: Data): void {
      this.#socket.send(data)
    }
    close(code?: number, reason?: string): void {
      // an open socket is CLOSING until its real close event arrives
      this.#closing = this.#socket.state === 'open'
      this.#socket.close(code, reason)
    }

    // ── lifeline extras ──
    get state(): Phase {
      return this.#socket.state
    }
    reconnect(): void {
      this.#socket.reconnect()
    }
    stats(): Stats {
      return this.#socket.stats()
    }
    /** The lifeline socket underneath, for everything else (history, opened, messages…). */
    get socket(): LifelineSocket {
      return this.#socket
    }
  }
}

export type ReconnectingWebSocket = InstanceType<ReturnType<typeof defineReconnectingWebSocket>>
