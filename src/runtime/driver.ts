/**
 * The driver: the one place with side effects. It feeds inputs (socket events, timers, user calls)
 * to the pure `transition`, carries out the commands it returns through the ports, and hands events
 * to `emit`. It decides nothing about the connection itself.
 *
 * Ordering guarantees:
 * - Inputs are processed one at a time (an input raised while commands run waits its turn).
 * - All of a transition's effects (state, timers, sockets, queue flush) happen before any of its
 *   events are delivered, so a listener always sees a consistent socket.
 * - Events are delivered in the order they were produced, even when a listener calls back in.
 */
import { INITIAL_STATE, type Command, type EmitCommand, type ErrorCode, type Input, type State, type TimerName } from '../core/state.js'
import { byteSize, OutboundQueue, type Data, type DropReason, type Entry } from '../core/queue.js'
import { transition } from '../core/transition.js'
import { checkProtocols, describe, isUrl, normaliseUrl, type Resolved } from '../options.js'
import { LifelineError } from './errors.js'
import { OPEN, type WebSocketLike } from './ports.js'
import { redactUrl } from './redact.js'

export type { DropReason }

/** The events the driver produces, as a name and its arguments. */
export type DriverEvent =
  | EmitCommand
  | { readonly type: 'emit'; readonly event: 'message'; readonly data: unknown }
  | { readonly type: 'emit'; readonly event: 'drop'; readonly data: Data; readonly reason: DropReason }

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

export interface Driver {
  readonly state: State
  readonly queue: OutboundQueue
  /** The live socket's negotiated subprotocol and extensions ('' when none). */
  readonly protocol: string
  readonly extensions: string
  readonly bufferedAmount: number
  /** The URL of the current or last attempt, credentials removed. */
  readonly url: string
  /** Set on every new socket, and on the live one when changed. */
  binaryType: string
  dispatch(input: DistributiveOmit<Input, 'at' | 'random'>): void
  /** `settle` (optional) is told the message's fate: written, or dropped and why. */
  send(data: Data, settle?: Entry['settle']): boolean
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never

interface TimerSlot {
  handle: unknown
  due: number
}

const noop = (): void => {}

export function createDriver(
  options: Resolved,
  emit: (event: DriverEvent) => void,
  observer?: Observer,
  debug?: DebugLogger,
): Driver {
  const { policy, timer, random, WebSocket, wsOptions, isPong, pingMessage } = options
  let binaryType = options.binaryType
  const queue = new OutboundQueue(options.queue)
  const sockets = new Map<number, WebSocketLike>()
  const timers = new Map<TimerName, TimerSlot>()
  const messagePings = policy.heartbeat?.mode === 'message'
  const messageEvent: { type: 'emit'; event: 'message'; data: unknown } = { type: 'emit', event: 'message', data: undefined }
  let state: State = INITIAL_STATE
  /** When the live socket last received anything: a fact timers hand to the core (see Input). */
  let lastInbound = 0
  // known from the start when the URL is fixed (a provider's is known at the first attempt)
  let lastUrl = typeof options.url === 'function' ? '' : redactUrl(normaliseUrl(options.url, 'url'))
  let ttlTimer: unknown
  let ttlDue = Infinity

  // ── the dispatch loop ──────────────────────────────────────────────────────────────────────────
  const inputs: Input[] = []
  const events: DriverEvent[] = []
  let running = false
  let delivering = false
  /** While send() rearranges the queue, events wait: a listener must find it consistent. */
  let holding = false

  function dispatch(partial: DistributiveOmit<Input, 'at' | 'random'>): void {
    inputs.push({ ...partial, at: timer.now(), random: random() } as Input)
    if (running) return
    running = true
    try {
      for (let input = inputs.shift(); input; input = inputs.shift()) {
        const prev = state
        const [next, commands] = transition(state, input, policy)
        state = next
        if (debug && (commands.length > 0 || next.phase !== prev.phase)) log('transition', input, prev, next)
        if (observer && next.rtt !== prev.rtt && next.rtt !== undefined) observer.rtt(next.rtt)
        for (const command of commands) {
          if (command.type === 'emit') events.push(command)
          else {
            if (debug) log('effect', command)
            run(command)
          }
        }
      }
    } finally {
      running = false
    }
    deliver()
  }

  /** Delivered at once unless something else is under way; then queued, in order. */
  function raise(event: DriverEvent): void {
    if (!delivering && events.length === 0 && !running && !holding) {
      delivering = true
      try {
        emit(event)
      } finally {
        delivering = false
      }
      if (events.length > 0) deliver()
      return
    }
    events.push(event)
    if (!running && !holding) deliver()
  }

  function deliver(): void {
    if (delivering || holding) return
    delivering = true
    try {
      for (let event = events.shift(); event; event = events.shift()) emit(event)
    } finally {
      delivering = false
    }
  }

  // ── commands ───────────────────────────────────────────────────────────────────────────────────
  function run(command: Exclude<Command, EmitCommand>): void {
    switch (command.type) {
      case 'open-socket':
        return openSocket(command.id)
      case 'close-socket':
        return closeSocket(command.id, command.code, command.reason, command.hard, command.keepListening)
      case 'set-timer':
        return setTimer(command.name, command.ms)
      case 'clear-timer':
        return clearTimer(command.name)
      case 'ping':
        return ping(command.id)
      case 'flush':
        return flush(command.id)
      case 'drop-queue':
        clearTtlTimer()
        for (const entry of queue.drain()) drop(entry, 'closed')
        return
    }
  }

  function setTimer(name: TimerName, ms: number): void {
    clearTimer(name)
    const slot: TimerSlot = { handle: undefined, due: timer.now() + ms }
    slot.handle = timer.setTimeout(() => {
      if (timers.get(name) !== slot) return
      timers.delete(name)
      const now = timer.now()
      if (lastInbound > now) lastInbound = now // the wall clock was set back
      const buffered = sockets.get(state.socket)?.bufferedAmount ?? 0
      dispatch({ type: 'timer', name, late: now - slot.due, buffered, lastInbound })
    }, ms)
    timers.set(name, slot)
  }

  function clearTimer(name: TimerName): void {
    const slot = timers.get(name)
    if (!slot) return
    timers.delete(name)
    timer.clearTimeout(slot.handle)
  }

  // ── sockets ────────────────────────────────────────────────────────────────────────────────────
  function attemptFailed(id: number, code: ErrorCode, message: string): void {
    dispatch({ type: 'attempt-failed', id, code, message })
  }

  function openSocket(id: number): void {
    let url: unknown
    let protocols: unknown
    try {
      url = typeof options.url === 'function' ? options.url() : options.url
      protocols = typeof options.protocols === 'function' ? options.protocols() : options.protocols
    } catch (error) {
      return attemptFailed(id, 'URL_PROVIDER', `url/protocols provider threw: ${errorText(error)}`)
    }
    if (isThenable(url) || isThenable(protocols)) {
      Promise.all([url, protocols]).then(
        ([u, p]) => construct(id, u, p),
        (error: unknown) => {
          if (isCurrent(id)) attemptFailed(id, 'URL_PROVIDER', `url/protocols provider rejected: ${errorText(error)}`)
        },
      )
      return
    }
    construct(id, url, protocols)
  }

  function isCurrent(id: number): boolean {
    return state.socket === id && state.phase === 'connecting'
  }

  function construct(id: number, rawUrl: unknown, rawProtocols: unknown): void {
    if (!isCurrent(id)) return // the attempt was abandoned while the provider was busy
    let url: string
    try {
      if (typeof rawUrl !== 'string' && !isUrl(rawUrl)) {
        throw new TypeError(`expected a string or URL, got ${describe(rawUrl)}`)
      }
      url = normaliseUrl(rawUrl, 'url')
      if (rawProtocols !== undefined) checkProtocols(rawProtocols, 'protocols')
    } catch (error) {
      return attemptFailed(id, 'URL_PROVIDER', `url/protocols provider gave a bad value: ${errorText(error)}`)
    }
    lastUrl = redactUrl(url)
    if (debug) log('effect', { type: 'construct', id, url: lastUrl })
    let ws: WebSocketLike
    try {
      const protocols = rawProtocols as string | string[] | undefined
      ws = wsOptions ? new WebSocket(url, protocols, wsOptions) : new WebSocket(url, protocols)
    } catch (error) {
      return attemptFailed(id, 'SOCKET_ERROR', `WebSocket constructor threw: ${errorText(error)}`)
    }
    try {
      ws.binaryType = binaryType
    } catch {
      // a runtime that rejects this binaryType keeps its own default; the option was validated
    }
    sockets.set(id, ws)
    listen(id, ws)
  }

  function listen(id: number, ws: WebSocketLike): void {
    // ws fails the connection itself on a protocol error (1002, 1009…) and sends that code, but
    // reports 1006 locally; the code it sent rides on the error. Report what really closed it.
    let sentCode: number | undefined
    ws.onopen = () => {
      if (id === state.socket) lastInbound = timer.now()
      dispatch({ type: 'socket-open', id })
    }
    ws.onclose = (event) => {
      sockets.delete(id)
      detach(ws)
      const code = event.code === 1006 && sentCode !== undefined ? sentCode : event.code
      dispatch({
        type: 'socket-close',
        id,
        close: { code, reason: String(event.reason ?? ''), wasClean: Boolean(event.wasClean) },
      })
    }
    ws.onerror = (event) => {
      sentCode = statusCodeOf(event?.error)
      dispatch({ type: 'socket-error', id, message: errorText(event?.error ?? event?.message ?? 'WebSocket error') })
    }
    ws.onmessage = (event) => onMessage(id, event.data)
    if (policy.heartbeat?.mode === 'protocol' && typeof ws.on === 'function') {
      ws.on('pong', () => {
        if (id !== state.socket) return
        lastInbound = timer.now()
        dispatch({ type: 'pong', id })
      })
      ws.on('ping', () => {
        if (id === state.socket) lastInbound = timer.now()
      })
    }
  }

  /** The hot path of a busy socket: record the time and hand the data on; no transition, no allocation. */
  function onMessage(id: number, data: unknown): void {
    if (id !== state.socket) return // a user close() is under way, or a stale socket
    lastInbound = timer.now()
    if (messagePings && isPong(data)) {
      dispatch({ type: 'pong', id })
      return
    }
    observer?.read(data)
    if (!delivering && events.length === 0 && !running && !holding) {
      // nothing else under way: hand it straight on, in one reused event (nothing keeps it)
      messageEvent.data = data
      raise(messageEvent)
      messageEvent.data = undefined
    } else raise({ type: 'emit', event: 'message', data })
  }

  function detach(ws: WebSocketLike): void {
    ws.onopen = ws.onclose = ws.onmessage = null
    // keep an error listener: Node's `ws` throws an 'error' that nobody listens to
    ws.onerror = noop
    // the pong/ping frame listeners added in listen() (Node ws only)
    const emitter = ws as { removeAllListeners?: (event: string) => void }
    emitter.removeAllListeners?.('pong')
    emitter.removeAllListeners?.('ping')
  }

  function closeSocket(id: number, code: number, reason: string, hard: boolean, keepListening: boolean): void {
    const ws = sockets.get(id)
    if (!ws) return
    if (!keepListening) {
      sockets.delete(id)
      detach(ws)
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
    if (!keepListening && typeof ws.terminate === 'function') lingerAtMost(ws)
  }

  /**
   * A socket we closed gracefully and stopped listening to (reconnect(), maxLifetime) must not
   * linger on a dead link for Node ws's own 30 s: terminate it after closeTimeout if it has not
   * closed by then. (Browsers have no terminate and clean up by themselves.)
   */
  function lingerAtMost(ws: WebSocketLike): void {
    // the deadline is cleared by the socket's own close, or ends by terminating it: bounded either way
    const handle = timer.setTimeout(() => ws.terminate?.(), policy.closeTimeout)
    ws.onclose = () => timer.clearTimeout(handle)
  }

  function ping(id: number): void {
    const ws = sockets.get(id)
    if (!ws || ws.readyState !== OPEN) return
    try {
      if (policy.heartbeat?.mode === 'protocol') ws.ping?.()
      else ws.send(typeof pingMessage === 'function' ? pingMessage() : pingMessage)
    } catch (error) {
      // an unanswered ping is exactly what the heartbeat timeout detects; just say why
      raise({ type: 'emit', event: 'error', code: 'SOCKET_ERROR', message: `ping failed: ${errorText(error)}` })
    }
  }

  // ── the outbound path ──────────────────────────────────────────────────────────────────────────
  function send(data: Data, settle?: Entry['settle']): boolean {
    if (state.phase === 'open' && queue.length === 0) {
      // the hot path: straight to an open socket, no allocation
      const ws = sockets.get(state.socket)
      if (ws && ws.readyState === OPEN) return write(ws, data, settle)
    }
    if (state.phase === 'closed') {
      raise({ type: 'emit', event: 'drop', data, reason: 'closed' })
      settle?.('closed')
      return false
    }
    holding = true
    try {
      return enqueue(data, settle)
    } finally {
      holding = false
      deliver()
    }
  }

  function enqueue(data: Data, settle: Entry['settle']): boolean {
    const now = timer.now()
    for (const old of queue.expire(now)) drop(old, 'ttl')
    // copy views: a caller may reuse its buffer before the queue is flushed
    const kept = ArrayBuffer.isView(data) ? new Uint8Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength)) : data
    const { accepted, evicted } = queue.push(kept, now, byteSize(data), settle)
    for (const old of evicted) drop(old, 'overflow')
    if (!accepted) {
      raise({ type: 'emit', event: 'drop', data, reason: 'overflow' })
      settle?.('overflow')
      return false
    }
    armTtlTimer()
    if (state.phase === 'idle') dispatch({ type: 'connect' })
    else if (state.phase === 'open') flush(state.socket)
    return true
  }

  /** Hand one message to the socket. A throw is reported (error + drop), never lost silently. */
  function write(ws: WebSocketLike, data: Data, settle: Entry['settle']): boolean {
    try {
      ws.send(data)
    } catch (error) {
      raise({ type: 'emit', event: 'error', code: 'SEND_FAILED', message: `send failed: ${errorText(error)}` })
      raise({ type: 'emit', event: 'drop', data, reason: 'error' })
      settle?.('error')
      return false
    }
    observer?.written(data)
    settle?.()
    return true
  }

  function drop(entry: Entry, reason: DropReason): void {
    raise({ type: 'emit', event: 'drop', data: entry.data, reason })
    entry.settle?.(reason)
  }

  function flush(id: number): void {
    const ws = sockets.get(id)
    for (const old of queue.expire(timer.now())) drop(old, 'ttl')
    while (ws && queue.length > 0 && ws.readyState === OPEN) {
      const entry = queue.shift()!
      write(ws, entry.data, entry.settle)
    }
    armTtlTimer()
  }

  function armTtlTimer(): void {
    const due = queue.nextExpiry()
    if (due === ttlDue) return
    clearTtlTimer()
    if (due === undefined) return
    ttlDue = due
    ttlTimer = timer.setTimeout(() => {
      ttlTimer = undefined
      ttlDue = Infinity
      for (const old of queue.expire(timer.now())) drop(old, 'ttl')
      armTtlTimer()
    }, Math.max(0, due - timer.now()))
  }

  function clearTtlTimer(): void {
    if (ttlTimer !== undefined) timer.clearTimeout(ttlTimer)
    ttlTimer = undefined
    ttlDue = Infinity
  }

  function log(kind: 'transition' | 'effect', subject: object, prev?: State, next?: State): void {
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
      debug!(`lifeline-ws ${kind} ${text}`, fields)
    } catch {
      // a broken logger must not break the connection
    }
  }

  return {
    get state() {
      return state
    },
    queue,
    get protocol() {
      return sockets.get(state.socket)?.protocol ?? ''
    },
    get extensions() {
      return sockets.get(state.socket)?.extensions ?? ''
    },
    get bufferedAmount() {
      return (sockets.get(state.socket)?.bufferedAmount ?? 0) + queue.bytes
    },
    get url() {
      return lastUrl
    },
    get binaryType() {
      return binaryType
    },
    set binaryType(value: string) {
      binaryType = value
      const ws = sockets.get(state.socket)
      if (ws) ws.binaryType = value
    },
    dispatch,
    send,
  }
}

/** The close code `ws` attached to a protocol error it failed the connection for, if any. */
function statusCodeOf(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null) return undefined
  for (const symbol of Object.getOwnPropertySymbols(error)) {
    const value = (error as Record<symbol, unknown>)[symbol]
    if (symbol.description === 'status-code' && typeof value === 'number') return value
  }
  return undefined
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as PromiseLike<unknown> | undefined)?.then === 'function'
}

/** A message for any thrown value, with URLs in it redacted. */
export function errorText(error: unknown): string {
  const text = error instanceof Error ? error.message : typeof error === 'string' ? error : String(error)
  return text.replace(/\b(wss?|https?):\/\/[^\s"')]+/g, (url) => redactUrl(url))
}

export { LifelineError }
