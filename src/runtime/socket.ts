/**
 * createSocket: validate the options, start a driver, and expose the public object with typed
 * events (nanoevents). Misuse throws synchronously; everything that goes wrong at run time is an
 * event.
 */
import { createNanoEvents, type Emitter } from 'nanoevents'
import { isUserCloseCode } from '../core/close-codes.js'
import type { Data } from '../core/queue.js'
import type { CloseInfo, EnvSignal, GiveUpReason, Phase } from '../core/state.js'
import { checkData, describe, resolveOptions, type SocketOptions } from '../options.js'
import { createDriver, type Driver, type DriverEvent, type DropReason } from './driver.js'
import { LifelineError } from './errors.js'
import { createMonitor, type Disconnect, type Stats } from './monitor.js'
import { createMessageStream, type MessageStream } from './stream.js'

export interface SocketEvents {
  /** Every phase change, with a short human-readable reason. */
  state: (next: Phase, prev: Phase, reason: string) => void
  open: (info: { protocol: string; extensions: string }) => void
  message: (data: any) => void
  /** The true close of each socket; when lifeline-ws ended it, the code it closed with and wasClean false. */
  close: (close: CloseInfo) => void
  error: (error: LifelineError) => void
  reconnecting: (info: { attempt: number; delay: number }) => void
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
  /** A plain, JSON-serialisable snapshot of counters and timings. */
  stats(): Stats
  /** The last `historySize` disconnects, oldest first, with cause and duration. */
  history(): Disconnect[]
  /** Resolves when the socket is next open (at once if it is); rejects on give-up or close(). */
  opened(): Promise<void>
  /**
   * Inbound messages as an async iterator. A slow consumer loses the oldest buffered messages
   * beyond `bufferSize` (counted in `dropped`). Ends when the socket closes for good; `break` unsubscribes.
   */
  messages(options?: { bufferSize?: number }): MessageStream
  /** Resolves when the message was written to an open socket; rejects with the drop reason. */
  sendAsync(data: Data): Promise<void>
}

const EVENT_NAMES: readonly SocketEventName[] = ['state', 'open', 'message', 'close', 'error', 'reconnecting', 'drop', 'giveup']
const SIGNALS: readonly EnvSignal[] = ['online', 'offline', 'visible', 'hidden']

/** Hooks an adapter may attach for the socket's lifetime (environment listeners); returns cleanup. */
export type AttachSignals = (signal: (name: EnvSignal) => void) => () => void

export function createSocket(
  options: SocketOptions,
  defaults: Partial<SocketOptions> = {},
  attachSignals?: AttachSignals,
): LifelineSocket {
  const resolved = resolveOptions(options, defaults)
  const emitter: Emitter<SocketEvents> = createNanoEvents<SocketEvents>()
  const monitor = createMonitor(() => resolved.timer.now(), resolved.historySize)
  /** What lives exactly as long as the socket (environment and abort listeners): released once closed for good. */
  const releaseOnClose: (() => void)[] = []

  const openInfo = (): { protocol: string; extensions: string } => ({ protocol: driver.protocol, extensions: driver.extensions })
  const driver: Driver = createDriver(
    resolved,
    (event) => {
      if (event.event !== 'message') monitor.event(event)
      deliver(emitter, event, openInfo)
    },
    monitor,
    resolved.debug,
  )

  /** Settles once the socket is next open, or rejects when it is closed for good. */
  function whenOpen(): Promise<void> {
    const phase = driver.state.phase
    if (phase === 'open') return Promise.resolve()
    if (phase === 'closed') return Promise.reject(closedError())
    return new Promise((resolve, reject) => {
      // 'giveup' is emitted before the 'closed' state event, so it wins when both come
      const offs = [
        emitter.on('open', () => settle(resolve)),
        emitter.on('giveup', ({ reason }) => settle(() => reject(new LifelineError('GIVEN_UP', `gave up: ${reason}`)))),
        emitter.on('state', (next) => next === 'closed' && settle(() => reject(closedError()))),
      ]
      function settle(done: () => void): void {
        for (const off of offs) off()
        done()
      }
    })
  }

  const socket: LifelineSocket = {
    get state() {
      return driver.state.phase
    },
    get attempt() {
      return driver.state.attempt
    },
    get queued() {
      return driver.queue.length
    },
    get rtt() {
      return driver.state.rtt
    },
    get protocol() {
      return driver.state.phase === 'open' ? driver.protocol : ''
    },
    get url() {
      return driver.url
    },
    get bufferedAmount() {
      return driver.bufferedAmount
    },
    get binaryType() {
      return driver.binaryType as LifelineSocket['binaryType']
    },
    set binaryType(value) {
      if (value !== 'arraybuffer' && value !== 'blob' && value !== 'nodebuffer') {
        throw new TypeError(`binaryType must be "arraybuffer", "blob" or "nodebuffer", got ${describe(value)}`)
      }
      driver.binaryType = value
    },
    on(event, listener) {
      if (!EVENT_NAMES.includes(event)) {
        throw new TypeError(`on(event): unknown event ${describe(event)}; expected one of ${EVENT_NAMES.join(', ')}`)
      }
      if (typeof listener !== 'function') {
        throw new TypeError(`on("${event}", listener): listener must be a function, got ${describe(listener)}`)
      }
      return emitter.on(event, listener)
    },
    send(data) {
      checkData('send(data): data', data)
      return driver.send(data)
    },
    connect() {
      driver.dispatch({ type: 'connect' })
    },
    reconnect() {
      driver.dispatch({ type: 'reconnect' })
    },
    close(code = 1000, reason = '') {
      if (typeof code !== 'number' || !isUserCloseCode(code)) {
        throw new RangeError(`close(code): code must be 1000 or an integer in 3000–4999, got ${describe(code)}`)
      }
      if (typeof reason !== 'string') throw new TypeError(`close(code, reason): reason must be a string, got ${describe(reason)}`)
      if (new TextEncoder().encode(reason).length > 123) {
        throw new SyntaxError(`close(code, reason): reason must be at most 123 UTF-8 bytes, got ${describe(reason)}`)
      }
      driver.dispatch({ type: 'close', code, reason })
    },
    signal(name) {
      if (!SIGNALS.includes(name)) {
        throw new TypeError(`signal(name): expected one of ${SIGNALS.join(', ')}, got ${describe(name)}`)
      }
      driver.dispatch({ type: 'signal', signal: name })
    },
    stats() {
      return monitor.stats(driver.queue.length, driver.queue.highWater)
    },
    history() {
      return monitor.history()
    },
    opened: whenOpen,
    messages(streamOptions = {}) {
      if (streamOptions === null || typeof streamOptions !== 'object') {
        throw new TypeError(`messages(options): options must be an object, got ${describe(streamOptions)}`)
      }
      const bufferSize = streamOptions.bufferSize ?? 100
      if (typeof bufferSize !== 'number' || !Number.isInteger(bufferSize) || bufferSize < 1) {
        throw new RangeError(`messages({ bufferSize }): bufferSize must be a whole number >= 1, got ${describe(bufferSize)}`)
      }
      return createMessageStream(
        bufferSize,
        (push) => emitter.on('message', push),
        (end) => emitter.on('state', (next) => next === 'closed' && end()),
        driver.state.phase === 'closed',
      )
    },
    sendAsync(data) {
      checkData('sendAsync(data): data', data)
      return new Promise((resolve, reject) => {
        driver.send(data, (dropped) => {
          if (dropped === undefined) resolve()
          else reject(Object.assign(new LifelineError('DROPPED', `message dropped: ${dropped}`), { reason: dropped }))
        })
      })
    },
  }

  const abort = resolved.signal
  if (abort) {
    const onAbort = (): void => {
      if (driver.state.phase !== 'closed') socket.close(1000, 'aborted')
    }
    if (abort.aborted) queueMicrotask(onAbort)
    else {
      abort.addEventListener('abort', onAbort, { once: true })
      releaseOnClose.push(() => abort.removeEventListener('abort', onAbort))
    }
  }
  if (attachSignals) releaseOnClose.push(attachSignals((name) => socket.signal(name)))
  if (releaseOnClose.length > 0) {
    const unbind = emitter.on('state', (next) => {
      if (next !== 'closed') return
      unbind()
      for (const release of releaseOnClose.splice(0)) release()
    })
  }

  if (!resolved.lazy) driver.dispatch({ type: 'start' })
  return socket
}

/**
 * Call every listener even if one throws; a thrown error is rethrown asynchronously (as a DOM
 * EventTarget reports it), so it surfaces without leaving the socket half-updated.
 */
function deliver(emitter: Emitter<SocketEvents>, event: DriverEvent, openInfo: () => { protocol: string; extensions: string }): void {
  // nanoevents replaces the array on unbind, so iterating this one is safe without a copy
  const listeners = emitter.events[event.event] as ((...args: unknown[]) => void)[] | undefined
  if (!listeners || listeners.length === 0) return
  if (event.event === 'message') {
    // the hot path: no argument array
    for (let i = 0, n = listeners.length; i < n; i++) {
      try {
        listeners[i]!(event.data)
      } catch (error) {
        reportListenerError(error)
      }
    }
    return
  }
  const args = argumentsOf(event, openInfo)
  for (let i = 0, n = listeners.length; i < n; i++) {
    try {
      listeners[i]!(...args)
    } catch (error) {
      reportListenerError(error)
    }
  }
}

function argumentsOf(event: DriverEvent, openInfo: () => { protocol: string; extensions: string }): unknown[] {
  switch (event.event) {
    case 'state':
      return [event.next, event.prev, event.reason]
    case 'open':
      return [openInfo()]
    case 'message':
      return [event.data]
    case 'close':
      return [event.close]
    case 'error':
      return [new LifelineError(event.code, event.message)]
    case 'reconnecting':
      return [{ attempt: event.attempt, delay: event.delay }]
    case 'drop':
      return [{ data: event.data, reason: event.reason }]
    case 'giveup':
      return [{ reason: event.reason, attempt: event.attempt, close: event.close }]
  }
}

function closedError(): LifelineError {
  return new LifelineError('CLOSED', 'the socket was closed')
}

function reportListenerError(error: unknown): void {
  const report = (globalThis as { reportError?: (e: unknown) => void }).reportError
  if (typeof report === 'function') report(error)
  else
    queueMicrotask(() => {
      throw error
    })
}
