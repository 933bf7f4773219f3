/**
 * The sockets: the live one (the core's current attempt) and at most one in a graceful close, each
 * listened to through the shared handlers (socket-events.ts); their events become inputs, and
 * inbound messages go to the listeners. Carries out the core's commands on sockets: close, ping.
 * What an attempt makes (attempt.ts) lands here.
 */
import type { ErrorCode, HandshakeFailure } from '../core/state.js'
import { normaliseUrl, redactUrl } from '../options/url.js'
import type { Resolved } from '../options/validate.js'
import type { AttemptHost } from './attempt.js'
import { errorText } from './errors.js'
import { HandshakeRun, type HandshakeHost } from './handshake.js'
import type { EventSink } from './mailbox.js'
import { Outbound } from './outbound.js'
import { OPEN, type WebSocketLike } from '../ports.js'
import { forget, listen, type SocketListener } from './socket-events.js'
import type { TimerHost } from './timers.js'

export abstract class Link extends Outbound implements SocketListener, AttemptHost, HandshakeHost {
  /** Set on every new socket, and on the live one when changed. */
  #type: string
  /** The socket of the core's current attempt (`state.socket`), and its id. */
  #ws: WebSocketLike | undefined = undefined
  #wsId = 0
  /** The socket in a graceful close whose end the core waits for (`state.closing`), and its id. */
  #closing: WebSocketLike | undefined = undefined
  #closingId = 0
  /**
   * When the live socket last received a heartbeat answer or a ping, and when an application
   * message: facts timers hand to the core (see Input). Recording them is all a message costs.
   */
  protected lastInbound = 0
  protected lastMessage = 0
  #lastUrl: string
  /** The `handshake` running on the live socket, if any: it takes the inbound messages meanwhile. */
  #handshake: HandshakeRun | undefined = undefined

  constructor(options: Resolved, sink: EventSink, timerHost: TimerHost) {
    super(options, sink, timerHost)
    this.#type = options.binaryType
    // known from the start when the URL is fixed (a provider's is known at the first attempt)
    const first = Array.isArray(options.url) ? (options.url as readonly (string | URL)[])[0]! : options.url
    this.#lastUrl = typeof first === 'function' ? '' : redactUrl(normaliseUrl(first as string | URL, 'url', options.redactParams), options.redactParams)
  }

  /** The live socket's negotiated subprotocol and extensions ('' when none). */
  get protocol(): string {
    return this.live()?.protocol ?? ''
  }

  get extensions(): string {
    return this.live()?.extensions ?? ''
  }

  get bufferedAmount(): number {
    return (this.live()?.bufferedAmount ?? 0) + this.queue.bytes
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
    const ws = this.live()
    if (ws) ws.binaryType = value
  }

  protected live(): WebSocketLike | undefined {
    return this.socketOf(this.state.socket)
  }

  protected socketOf(id: number): WebSocketLike | undefined {
    return id === this.#wsId && id !== 0 ? this.#ws : undefined
  }

  // ── an attempt (attempt.ts) ────────────────────────────────────────────────────────────────────
  isCurrent(id: number): boolean {
    return this.state.socket === id && this.state.phase === 'connecting'
  }

  attemptFailed(id: number, code: ErrorCode, message: string, fatal = false): void {
    this.dispatch({ type: 'attempt-failed', id, code, message, fatal })
  }

  attemptUrl(url: string): void {
    this.#lastUrl = url
  }

  attemptStarted(id: number, ws: WebSocketLike): void {
    try {
      ws.binaryType = this.#type
    } catch {
      // a runtime that rejects this binaryType keeps its own default; the option was validated
    }
    // the core opens a socket only once the previous one is closed or handed over (at most one live)
    if (this.#ws) this.forgetSocket(this.#ws)
    this.#ws = ws
    this.#wsId = id
    listen(ws, this, this.options.policy.heartbeat?.mode === 'protocol')
  }

  // ── socket events (socket-events.ts) ───────────────────────────────────────────────────────────
  /** The id of `ws` if it is a socket this driver listens to (the live one, or the one in a graceful close), else 0. */
  protected idOf(ws: WebSocketLike): number {
    return ws === this.#ws ? this.#wsId : ws === this.#closing ? this.#closingId : 0
  }

  socketOpened(ws: WebSocketLike): void {
    const id = this.idOf(ws)
    if (id === 0) return
    if (id === this.state.socket) this.lastInbound = this.lastMessage = this.options.timer.now()
    this.dispatch({ type: 'socket-open', id, resumed: this.options.sessionResumed?.() ?? false })
  }

  socketClosed(ws: WebSocketLike, event: { code: number; reason: string; wasClean: boolean }): void {
    const id = this.idOf(ws)
    if (id === 0) return
    this.forgetSocket(ws)
    this.dispatch({ type: 'socket-close', id, close: { code: event.code, reason: String(event.reason ?? ''), wasClean: Boolean(event.wasClean) } })
  }

  socketErrored(ws: WebSocketLike, event: { error?: unknown; message?: unknown } | undefined): void {
    const id = this.idOf(ws)
    if (id === 0) return
    this.dispatch({ type: 'socket-error', id, message: errorText(event?.error ?? event?.message ?? 'WebSocket error', this.options.redactParams) })
  }

  /** The server asked `ws` to move (a session's DRAIN): the core hands it over and connects again at once. */
  socketMoved(ws: WebSocketLike): void {
    const id = this.idOf(ws)
    if (id !== 0 && id === this.state.socket) this.dispatch({ type: 'socket-moved', id })
  }

  /** A pong frame; its payload is the write position its ping carried (anything else confirms nothing). */
  socketPong(ws: WebSocketLike, payload?: unknown): void {
    const id = this.idOf(ws)
    if (id === 0 || id !== this.state.socket) return
    this.lastInbound = this.options.timer.now()
    const text = payload === undefined || payload === null ? '' : String(payload)
    const held = this.held
    this.dispatch({ type: 'pong', id, position: /^\d+$/.test(text) ? Number(text) : NaN, unpingedSince: held?.unpingedSince, pingsOut: this.pingsOut })
  }

  socketPing(ws: WebSocketLike): void {
    const id = this.idOf(ws)
    if (id !== 0 && id === this.state.socket) this.lastInbound = this.options.timer.now()
  }

  /** The hot path of a busy socket: record the time and hand the data on; no transition, no allocation. */
  socketMessage(ws: WebSocketLike, data: unknown): void {
    // a socket in a graceful close, or a stale one, delivers nothing
    if (ws !== this.#ws || this.#wsId !== this.state.socket) return
    if (this.#handshake !== undefined) return this.#handshake.deliver(data)
    if (this.options.policy.heartbeat?.mode === 'message' && this.isPong(data)) {
      this.lastInbound = this.options.timer.now()
      // an app-level answer carries no position: answers come in order, so it answers the oldest ping
      const held = this.held
      this.dispatch({ type: 'pong', id: this.#wsId, unpingedSince: held?.unpingedSince, pingsOut: this.pingsOut })
      return
    }
    this.lastMessage = this.options.timer.now()
    // data proves the link: an overdue ping whose timer has not run yet is settled now
    this.checkDeadline()
    this.observer?.read(data)
    this.raiseMessage(data)
  }

  /**
   * The user's isPong, guarded: a throw must not escape into the socket's receiver (Node's `ws`
   * would crash the process). An error names the option, and the message is data.
   */
  private isPong(data: unknown): boolean {
    try {
      return this.options.isPong(data)
    } catch (error) {
      this.raise({ type: 'emit', event: 'error', code: 'SOCKET_ERROR', message: `heartbeat.isPong threw: ${errorText(error)}` })
      return false
    }
  }

  // ── the handshake (handshake.ts) ───────────────────────────────────────────────────────────────
  /** The core's `handshake`: run the option on open socket `id`. */
  protected handshake(id: number): void {
    const ws = this.socketOf(id)
    const handshake = this.options.handshake
    if (!ws || !handshake) return
    const run = (this.#handshake = new HandshakeRun(ws, id))
    run.start(handshake, this.state.attempt, this, this.options.redactParams)
  }

  handshakeSettled(run: HandshakeRun, failure?: HandshakeFailure, message?: string): void {
    if (run !== this.#handshake) return // abandoned meanwhile: the core has moved on
    if (failure) return this.dispatch({ type: 'handshake-failed', id: run.id, kind: failure, message: message ?? '' })
    this.#handshake = undefined
    const left = run.finish()
    // the watchdogs judge the open connection from its start, not from the socket's open
    this.lastInbound = this.lastMessage = this.options.timer.now()
    this.dispatch({ type: 'handshake-done', id: run.id, resumed: this.options.sessionResumed?.() ?? false })
    for (const data of left) if (this.#wsId === run.id && this.state.phase === 'open') this.raiseMessage(data)
  }

  private endHandshake(id: number, why: string): void {
    if (this.#handshake?.id !== id) return
    this.#handshake.abort(why)
    this.#handshake = undefined
  }

  private forgetSocket(ws: WebSocketLike): void {
    if (this.#ws === ws) this.endHandshake(this.#wsId, 'socket closed')
    if (this.#ws === ws) {
      this.#ws = undefined
      this.#wsId = 0
    } else if (this.#closing === ws) {
      this.#closing = undefined
      this.#closingId = 0
    }
    forget(ws)
  }

  // ── commands on sockets ────────────────────────────────────────────────────────────────────────
  protected closeSocket(id: number, code: number, reason: string, hard: boolean, keepListening: boolean): void {
    const ws = this.#wsId === id ? this.#ws : this.#closingId === id ? this.#closing : undefined
    if (!ws) return
    this.endHandshake(id, reason)
    if (!keepListening) this.forgetSocket(ws)
    else if (ws === this.#ws) {
      this.parkWrites(id)
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

  protected ping(id: number): void {
    const ws = this.socketOf(id)
    if (!ws || ws.readyState !== OPEN) return
    // the ping records the position of the last write before it, once it is written: its answer
    // confirms every write up to there (a pong frame echoes the position; app-level answers come in
    // order); 0 before any write (no position at all where nothing is confirmed)
    const held = this.windowForPing()
    try {
      if (this.options.policy.heartbeat?.mode === 'protocol') ws.ping?.(held ? String(held.written) : this.options.policy.delivery && '0')
      else {
        const message = this.options.pingMessage
        ws.send(typeof message === 'function' ? message() : message)
      }
      this.pinged(held, this.options.timer.now())
    } catch (error) {
      // an unanswered ping is exactly what the heartbeat timeout detects; just say why
      this.raise({ type: 'emit', event: 'error', code: 'SOCKET_ERROR', message: `ping failed: ${errorText(error, this.options.redactParams)}` })
    }
  }
}
