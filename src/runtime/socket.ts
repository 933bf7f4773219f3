/**
 * createSocket: validate the options, start a driver, and expose the public object with typed
 * events. Misuse throws synchronously; everything that goes wrong at run time is an
 * event.
 */
import { isUserCloseCode } from '../core/close-codes.js'
import type { Data } from '../core/queue.js'
import type { Cause, CloseInfo, EnvSignal, GiveUpReason, Phase } from '../core/state.js'
import * as text from '../options/messages.dev.js'
import type { SocketOptions } from '../options/types.js'
import { freezeOnly, type Share } from '../options/intern.js'
import { checkData, resolveWith, type Resolved } from '../options/validate.js'
import { Driver, type DriverEvent, type DropReason, type EventSink } from './driver.js'
import { LifelineError } from './errors.js'
import type { SocketObserver, WithInternals } from './internals.js'
import { callAll, reportListenerError, subscribe, type ListenerLists } from './listeners.js'
import type { SessionPort } from '../ports.js'
import { sessionOnDemand } from './session-on-demand.js'
import { ownTimer, type TimerHostFor } from './timers.js'

/**
 * What a 'message' listener receives: text as a string; binary as the socket's `binaryType` makes it
 * (`'arraybuffer'`: ArrayBuffer, `'blob'`: Blob, `'nodebuffer'`: a Node Buffer, a Uint8Array).
 */
export type MessageData = string | ArrayBuffer | Blob | Uint8Array

export interface SocketEvents {
  /** Every phase change, with a short human-readable reason and the same as a code. */
  state: (next: Phase, prev: Phase, reason: string, cause: Cause) => void
  /**
   * The socket opened. `session`: it carries a lifeline.v1 session (the `session` option, and a
   * server that has them); `resumed`: it continues the session of the previous connection, so
   * nothing was lost or repeated in between (false on a new session).
   */
  open: (info: { protocol: string; extensions: string; resumed: boolean; session: boolean }) => void
  message: (data: MessageData) => void
  /** The true close of each socket; when lifeline-ws ended it, the code it closed with and wasClean false. */
  close: (close: CloseInfo) => void
  error: (error: LifelineError) => void
  reconnecting: (info: { attempt: number; delay: number }) => void
  /**
   * Down for `suspendAfter` (since `since`, clock ms): retries slow to `suspendedDelay` until a
   * connection opens, or `online`, `visible` or reconnect() ends it.
   */
  suspended: (info: { since: number }) => void
  /** A message passed to `send()` that was not delivered, and why. */
  drop: (info: { data: Data; reason: DropReason }) => void
  giveup: (info: { reason: GiveUpReason; attempt: number; close: CloseInfo | undefined }) => void
}

export type SocketEventName = keyof SocketEvents

export interface LifelineSocket {
  /** 'idle' | 'connecting' | 'open' | 'backoff' | 'closed' */
  readonly state: Phase
  /** Failed attempts since the last stable open. */
  readonly attempt: number
  /** Messages waiting in the queue. */
  readonly queued: number
  /** Round trip of the last answered heartbeat ping in ms, undefined before the first. */
  readonly rtt: number | undefined
  /** The live socket's subprotocol ('' when none or not open). */
  readonly protocol: string
  /** The URL of the current or last attempt, with credentials and tokens removed. */
  readonly url: string
  /** Bytes waiting: the queue plus what the live socket has buffered. */
  readonly bufferedAmount: number
  /** How binary messages arrive; kept across reconnects, and applied to the live socket when set. */
  binaryType: 'arraybuffer' | 'blob' | 'nodebuffer'
  /** Subscribe; returns the function that unsubscribes. */
  on<E extends SocketEventName>(event: E, listener: SocketEvents[E]): () => void
  /** true: sent or queued. false: refused, and a 'drop' event says why. */
  send(data: Data): boolean
  /** Start connecting (from 'idle'; elsewhere it does nothing). */
  connect(): void
  /** Drop the current socket and start a fresh attempt now, without a backoff wait. */
  reconnect(): void
  /** Final: 'closed', every timer cleared, queued messages dropped, never reconnects. */
  close(code?: number, reason?: string): void
  /** Feed an environment signal (adapters do this for you in browsers and workers). */
  signal(signal: EnvSignal): void
  /**
   * Register what every new connection must say again (subscribe, join): written after the
   * handshake and before the queue, in registration order, except when a session resumed. The same
   * key replaces; registered while open, it is also sent now. Returns the function that removes it.
   */
  intent(key: string, message: Data | (() => Data)): () => void
}

const EVENT_NAMES: readonly SocketEventName[] = ['state', 'open', 'message', 'close', 'error', 'reconnecting', 'suspended', 'drop', 'giveup']
const SIGNALS: readonly EnvSignal[] = ['online', 'offline', 'visible', 'hidden', 'freeze', 'resume']

/** Hooks an adapter may attach for the socket's lifetime (environment listeners); returns cleanup. */
export type AttachSignals = (signal: (name: EnvSignal) => void) => () => void

/**
 * What an entry point passes: the ports it fills in, the environment signals it attaches, how
 * sockets keep their timers (`sharedTimers` where many sockets share a process, else `ownTimer`)
 * and whether sockets with equal options share their policy objects (`shareEqual` where many
 * sockets share a process, else `freezeOnly`: see intern.ts).
 */
export function createSocket(
  options: SocketOptions,
  defaults: Partial<SocketOptions> = {},
  attachSignals?: AttachSignals,
  timerHost: TimerHostFor = ownTimer,
  share: Share = freezeOnly,
): LifelineSocket {
  return new LifelineSocketImpl(resolveWith(options, defaults, share), attachSignals, timerHost)
}

/**
 * The public object. A class, so its methods live once on the prototype: per socket there are only
 * its fields (thousands of idle sockets in one process is a normal load). Like a WebSocket's, its
 * methods need their object: pass `(data) => socket.send(data)`, not a detached `socket.send`.
 */
class LifelineSocketImpl implements LifelineSocket, EventSink, WithInternals {
  readonly #driver: Driver
  /** lifeline-ws/monitor's, once attached: told every event but 'message' (the driver tells it those). */
  #observer: SocketObserver | undefined = undefined
  /** Listeners by event (listeners.ts), made at the first subscription: a socket nobody listens to needs none. */
  #listeners: { [E in SocketEventName]?: SocketEvents[E][] } | undefined = undefined
  /** The environment listeners' cleanup, run once the socket is closed for good. */
  #releaseOnClose: (() => void) | undefined = undefined
  /** The lifeline.v1 session (the `session` option): it makes the driver's sockets, and outlives each. */
  readonly #session: SessionPort | undefined

  constructor(resolved: Resolved, attachSignals: AttachSignals | undefined, timerHost: TimerHostFor) {
    const option = resolved.session
    const session = (typeof option === 'object' ? sessionOnDemand(option) : option)?.({
      WebSocket: resolved.WebSocket,
      timer: resolved.timer,
      delivery: resolved.sessionDelivery!,
      dropped: (data, reason) => this.receive({ type: 'emit', event: 'drop', data: data as Data, reason }),
      moved: (ws) => this.#driver.socketMoved(ws),
    })
    this.#session = session
    const sessionReady = session?.ready?.bind(session)
    this.#driver = new Driver(
      session ? Object.freeze({ ...resolved, WebSocket: session.WebSocket, sessionReady, sessionResumed: () => session.resumed }) : resolved,
      this,
      timerHost,
    )
    if (attachSignals) this.#releaseOnClose = attachSignals((name) => this.signal(name))
    if (!resolved.lazy) this.#driver.dispatch({ type: 'start' })
  }

  get state(): Phase {
    return this.#driver.state.phase
  }

  get attempt(): number {
    return this.#driver.state.attempt
  }

  get queued(): number {
    return this.#driver.queue.length
  }

  get rtt(): number | undefined {
    return this.#driver.state.rtt
  }

  get protocol(): string {
    return this.#driver.state.phase === 'open' ? this.#driver.protocol : ''
  }

  get url(): string {
    return this.#driver.url
  }

  get bufferedAmount(): number {
    return this.#driver.bufferedAmount
  }

  get binaryType(): LifelineSocket['binaryType'] {
    return this.#driver.binaryType as LifelineSocket['binaryType']
  }

  set binaryType(value) {
    if (value !== 'arraybuffer' && value !== 'blob' && value !== 'nodebuffer') {
      throw new TypeError(text.mustBeOneOf('binaryType', value, ['arraybuffer', 'blob', 'nodebuffer']))
    }
    this.#driver.binaryType = value
  }

  on<E extends SocketEventName>(event: E, listener: SocketEvents[E]): () => void {
    if (!EVENT_NAMES.includes(event)) {
      throw new TypeError(text.unknownEvent(event, EVENT_NAMES))
    }
    if (typeof listener !== 'function') {
      throw new TypeError(text.mustBe(`on("${event}", listener): listener`, listener, 'function'))
    }
    return subscribe((this.#listeners ??= {}) as ListenerLists, event, listener)
  }

  send(data: Data): boolean {
    checkData('send(data): data', data)
    return this.#driver.send(data)
  }

  connect(): void {
    this.#driver.dispatch({ type: 'connect' })
  }

  reconnect(): void {
    this.#driver.dispatch({ type: 'reconnect' })
  }

  close(code = 1000, reason = ''): void {
    if (typeof code !== 'number' || !isUserCloseCode(code)) {
      throw new RangeError(text.mustBe('close(code): code', code, 'closeCode'))
    }
    if (typeof reason !== 'string') throw new TypeError(text.mustBe('close(code, reason): reason', reason, 'string'))
    if (new TextEncoder().encode(reason).length > 123) {
      throw new SyntaxError(text.mustBe('close(code, reason): reason', reason, 'closeReason'))
    }
    this.#session?.end()
    this.#driver.dispatch({ type: 'close', code, reason })
  }

  signal(name: EnvSignal): void {
    if (!SIGNALS.includes(name)) {
      throw new TypeError(text.unknownSignal(name, SIGNALS))
    }
    this.#driver.signal(name)
  }

  intent(key: string, message: Data | (() => Data)): () => void {
    if (typeof key !== 'string') throw new TypeError(text.mustBe('intent(key, message): key', key, 'string'))
    if (typeof message !== 'function') checkData('intent(key, message): message', message)
    return this.#driver.intent(key, message)
  }

  /** For the optional entries (see internals.ts): not public API. */
  _internals(observer?: SocketObserver): Driver {
    if (observer) this.#driver.observer = this.#observer = observer
    return this.#driver
  }

  /** From the driver: count it, then hand it to the listeners. */
  receive(event: DriverEvent): void {
    if (event.event !== 'message') this.#observer?.event(event)
    if (event.event === 'state' && event.next === 'closed' && this.#releaseOnClose) {
      this.#releaseOnClose()
      this.#releaseOnClose = undefined
    }
    const listeners = this.#listeners?.[event.event]
    if (listeners && listeners.length > 0) deliver(listeners as ((...args: unknown[]) => void)[], event, this.#driver, this.#session)
  }

  receiveMessage(data: unknown): void {
    const listeners = this.#listeners?.message
    if (listeners) deliverMessage(listeners as ((data: unknown) => void)[], data)
  }
}

/** Every listener of the event (see callAll: one that throws does not stop the others). */
function deliver(listeners: ((...args: unknown[]) => void)[], event: DriverEvent, driver: Driver, session: SessionPort | undefined): void {
  if (event.event === 'message') return deliverMessage(listeners, event.data)
  callAll(listeners, argumentsOf(event, driver, session))
}

/** The hot path: no argument array, no event object. */
function deliverMessage(listeners: ((data: unknown) => void)[], data: unknown): void {
  for (let i = 0, n = listeners.length; i < n; i++) {
    try {
      listeners[i]!(data)
    } catch (error) {
      reportListenerError(error)
    }
  }
}

function argumentsOf(event: DriverEvent, driver: Driver, session: SessionPort | undefined): unknown[] {
  switch (event.event) {
    case 'state':
      return [event.next, event.prev, event.reason, event.cause]
    case 'open':
      return [{ protocol: driver.protocol, extensions: driver.extensions, resumed: session?.resumed ?? false, session: session?.active ?? false }]
    case 'message':
      return [event.data]
    case 'close':
      return [event.close]
    case 'error':
      return [new LifelineError(event.code, event.message)]
    case 'reconnecting':
      return [{ attempt: event.attempt, delay: event.delay }]
    case 'suspended':
      return [{ since: event.since }]
    case 'drop':
      return [{ data: event.data, reason: event.reason }]
    case 'giveup':
      return [{ reason: event.reason, attempt: event.attempt, close: event.close }]
  }
}
