/**
 * The client side of lifeline.v1 (docs/PROTOCOL.md) as a port: to the driver, each connection is a
 * plain WebSocketLike; underneath, a {@link ClientSession} per lifeline socket holds what outlives
 * connections (the token, the unacknowledged outbound messages, the inbound counts) and each
 * {@link SessionSocket} speaks the protocol on one real socket: HELLO, `open` only after WELCOME,
 * DATA in and out (chunked, within the window), ACKs coalesced within the server's ackDelay, PONG
 * to every PING, a dead link noticed by silence, DRAIN followed, END on close() for good.
 * Everything the driver sees (open, message, close, error) is what an ordinary socket would show.
 */
import { CLIENT_CLOSE } from '../core/close-codes.js'
import type { Data } from '../core/queue.js'
import { kindOf, viewParts } from '../core/data.js'
import type { Clock, SessionHost, SessionPort, WebSocketConstructor, WebSocketLike } from '../ports.js'
import { decodeFrame, decodeText, encodeAck, encodeEnd, encodeHello, encodePong, encodeText, encodeTextFrame, ProtocolError, SUBPROTOCOL, type Welcome } from '../protocol/codec.js'
import { Inbound, Outbound, type Message } from '../protocol/session-state.js'
import { negotiate, noSessionMessage, planWelcome, silenceLeft, type Fallback } from './decide.js'

/** Unacknowledged bytes the client accepts from the server (its inbound window, stated in HELLO). */
const WINDOW = 1 << 20
/** The largest message the client accepts; the server's own limit (maxMessageBytes) is usually lower. */
const MAX_MESSAGE = 64 << 20
/** Payload bytes per DATA frame: a large message goes in chunks, so acks and pongs interleave. */
const CHUNK = 16 << 10

const CONNECTING = 0
const OPEN = 1
const CLOSING = 2
const CLOSED = 3

type Handler<E> = ((event: E) => void) | null
type CloseEvent = { code: number; reason: string; wasClean: boolean }

/** What outlives a connection: one per lifeline socket. */
export class ClientSession implements SessionPort {
  readonly WebSocket: WebSocketConstructor
  resumed = false
  active = false
  token: Uint8Array = new Uint8Array(0)
  outbound = new Outbound()
  inbound = new Inbound(WINDOW, MAX_MESSAGE)
  /** The connection the session is on (at most one). */
  current: SessionSocket | undefined = undefined
  /** close() for good was called. */
  ending = false
  /** The server took lifeline.v1 without speaking it, and the fallback is 'plain': connect without offering it. */
  plainOnly = false
  /** Messages waiting for a Blob ahead of them to be read (order is kept), with their settle. */
  staged: Array<{ data: Data; settle: Message['settle'] }> = []

  constructor(
    readonly host: SessionHost,
    readonly fallback: Fallback,
  ) {
    const session = this
    // a plain function: `new` on it returns the connection object it makes
    this.WebSocket = function SessionWebSocket(url: string, protocols?: string | string[], options?: unknown) {
      return new SessionSocket(session, url, protocols, options)
    } as unknown as WebSocketConstructor
  }

  end(): void {
    this.ending = true
    // no connection carries the session (connecting, or waiting to retry): nothing more can be confirmed
    if (!this.current) this.finish(false)
  }

  /**
   * The session is over (close() for good): messages never written are dropped ('closed'); those
   * written and not acknowledged are certain only when the connection that carried END closed
   * cleanly, else 'unconfirmed'. Reported once.
   */
  finish(clean: boolean): void {
    const { written, unwritten } = this.outbound.unacked()
    this.outbound = new Outbound()
    if (!clean) this.report(written, 'unconfirmed')
    else for (const m of written) m.settle?.()
    this.report(unwritten, 'closed')
    for (const { data, settle } of this.staged.splice(0)) {
      this.host.dropped(data, 'closed')
      settle?.('closed')
    }
  }

  get clock(): Clock {
    return this.host.timer
  }

  /** A message written but whose outcome no one can know any more, or one never written: reported, never lost silently. */
  report(messages: readonly Message[], reason: 'closed' | 'unconfirmed'): void {
    for (const m of messages) {
      this.host.dropped(m.binary ? m.payload : decodeText(m.payload), reason)
      m.settle?.(reason)
    }
  }

  /**
   * The session is gone (the server ended it, or a new one began): forget it. What was written and
   * never acknowledged may or may not have been handled: reported ('unconfirmed'), or with
   * `delivery: 'resend'` sent again first on the new session; what was never written goes on it.
   */
  forget(): void {
    const { written, unwritten } = this.outbound.unacked()
    const resend = this.host.delivery === 'resend'
    if (!resend) this.report(written, 'unconfirmed')
    this.token = new Uint8Array(0)
    this.outbound = new Outbound()
    for (const m of resend ? [...written, ...unwritten] : unwritten) this.outbound.push(m)
    this.inbound = new Inbound(WINDOW, MAX_MESSAGE)
  }
}

/** One connection of a session, as the driver sees a WebSocket. */
export class SessionSocket implements WebSocketLike {
  readyState = CONNECTING
  #binaryType = 'arraybuffer'
  protocol = ''
  extensions = ''
  onopen: Handler<unknown> = null
  onmessage: Handler<{ data: unknown }> = null
  onclose: Handler<CloseEvent> = null
  onerror: Handler<unknown> = null
  readonly #session: ClientSession
  readonly #ws: WebSocketLike
  /** 'session' after WELCOME, 'plain' when the server had no sessions and the fallback allows it. */
  #mode: 'handshake' | 'session' | 'plain' = 'handshake'
  #welcome: Welcome | undefined = undefined
  /** This connection gave up its socket: the socket's later events are not ours to report. */
  #left = false
  #lastHeard = 0
  #silenceTimer: unknown = undefined
  #ackTimer: unknown = undefined
  #drainTimer: unknown = undefined

  constructor(session: ClientSession, url: string, protocols: string | string[] | undefined, options: unknown) {
    this.#session = session
    const own = protocols === undefined ? [] : typeof protocols === 'string' ? [protocols] : protocols
    // once a server showed it takes lifeline.v1 without speaking it, with fallback 'plain' it is not offered again
    const offered = session.plainOnly ? own : [SUBPROTOCOL, ...own]
    const Ctor = session.host.WebSocket
    const ws = options === undefined ? new Ctor(url, offered) : new Ctor(url, offered, options)
    this.#ws = ws
    // frames as views of what the socket read where it can ('nodebuffer': ws, Bun); an ArrayBuffer
    // is a copy of each. A browser ignores a type it does not know, and takes 'arraybuffer'.
    for (const type of ['nodebuffer', 'arraybuffer']) {
      try {
        ws.binaryType = type
      } catch {
        // a runtime without it hands over ArrayBuffers anyway
      }
      if (ws.binaryType === type) break
    }
    ws.onopen = () => this.#opened()
    ws.onmessage = (event) => this.#received(event.data)
    ws.onclose = (event) => this.#closed(event)
    ws.onerror = (event) => {
      if (!this.#left) this.#fire(this.onerror, event)
    }
  }

  /** How binary messages are handed over; a plain connection (the fallback) passes it to its socket. */
  get binaryType(): string {
    return this.#binaryType
  }

  set binaryType(value: string) {
    this.#binaryType = value
    if (this.#mode === 'plain') this.#ws.binaryType = value
  }

  get bufferedAmount(): number {
    return (this.#ws.bufferedAmount ?? 0) + (this.#mode === 'session' ? this.#session.outbound.bufferedBytes : 0)
  }

  get bytesRead(): number | undefined {
    return this.#ws.bytesRead
  }

  // ── the driver's side ──────────────────────────────────────────────────────────────────────────
  send(data: Data): void {
    this.sendSettled(data, undefined)
  }

  /** The driver's send: `settle` is told when the server acknowledged the message (a plain fallback: when written). */
  sendSettled(data: Data, settle: Message['settle']): void {
    if (this.readyState !== OPEN) throw new Error('InvalidStateError: the session connection is not open')
    if (this.#mode === 'plain') {
      this.#ws.send(data)
      return settle?.()
    }
    const session = this.#session
    if (session.staged.length > 0 || kindOf(data) === 'blob') {
      session.staged.push({ data, settle })
      if (session.staged.length === 1) void this.#readStaged()
      return
    }
    const message = messageOf(data)
    message.settle = settle
    session.outbound.push(message)
    this.#pump()
  }

  close(code?: number, reason?: string): void {
    if (this.readyState >= CLOSING) return
    const wasSession = this.#mode === 'session' && this.readyState === OPEN
    this.readyState = CLOSING
    this.#stopTimers()
    if (wasSession) {
      const session = this.#session
      if (session.ending) this.#write(encodeEnd())
      this.#detach()
    }
    try {
      this.#ws.close(code, reason)
    } catch {
      this.#ws.close()
    }
  }

  /** The driver presumes the link dead: a hard stop where the runtime has one. */
  terminate(): void {
    if (this.#mode === 'session') this.#detach()
    this.readyState = CLOSING
    this.#stopTimers()
    if (typeof this.#ws.terminate === 'function') this.#ws.terminate()
    else this.#ws.close()
  }

  // ── the real socket's side ─────────────────────────────────────────────────────────────────────
  #opened(): void {
    if (this.#left || this.readyState !== CONNECTING) return
    const session = this.#session
    const picked = this.#ws.protocol
    if (session.plainOnly || negotiate(picked, SUBPROTOCOL, session.fallback) !== 'session') return this.#noSession(picked)
    this.#lastHeard = session.clock.now()
    this.#write(encodeHello(session.inbound.received, WINDOW, session.token))
  }

  /** The server has no sessions: a plain socket if the fallback allows, else an error and a close that stops. */
  #noSession(picked: string): void {
    const session = this.#session
    if (session.fallback === 'plain') {
      if (picked === SUBPROTOCOL) {
        // it took lifeline.v1 and cannot be spoken to plainly on this connection: the next one does not offer it
        session.plainOnly = true
        return this.#leave({ code: 1012, reason: 'no lifeline.v1 session on this server: reconnecting without', wasClean: false }, 1000)
      }
      this.#mode = 'plain'
      this.protocol = picked
      this.extensions = this.#ws.extensions
      try {
        this.#ws.binaryType = this.binaryType
      } catch {
        // kept as it was
      }
      session.resumed = false
      session.active = false
      this.readyState = OPEN
      return this.#fire(this.onopen, {})
    }
    this.#fire(this.onerror, { message: noSessionMessage(picked) })
    // 1002: a protocol the client cannot speak; the default shouldReconnect stops on it
    this.#leave({ code: 1002, reason: 'no lifeline.v1 session on this server', wasClean: false }, 1000)
  }

  #received(raw: unknown): void {
    // a connection being closed no longer speaks for the session: what it would read, the next one reads again
    // (and one the driver no longer listens to delivers nothing: it must not count as handled)
    if (this.#left || this.readyState >= CLOSING || this.onmessage === null) return
    if (this.#mode === 'plain') return this.#fire(this.onmessage, { data: raw })
    this.#lastHeard = this.#session.clock.now()
    try {
      if (typeof raw === 'string') throw new ProtocolError(1002, 'text frame: lifeline.v1 frames are binary')
      this.#frame(bytesOf(raw))
    } catch (error) {
      // a server that picked lifeline.v1 without speaking it (a `ws` server picks the first protocol offered)
      if (this.#mode === 'handshake') return this.#noSession(SUBPROTOCOL)
      const protocol = error instanceof ProtocolError ? error : new ProtocolError(1002, `bad frame: ${String(error)}`)
      this.#fire(this.onerror, { message: `lifeline.v1: ${protocol.message}` })
      // the client cannot send 1002 from a browser: it closes with 1000 and reports the true reason
      this.#leave({ code: protocol.code, reason: protocol.message.slice(0, 123), wasClean: false }, 1000)
    }
  }

  #frame(bytes: Uint8Array): void {
    const frame = decodeFrame(bytes)
    const session = this.#session
    if (this.#mode === 'handshake') {
      if (frame.type !== 'welcome') throw new ProtocolError(1002, `expected WELCOME, got a ${frame.type} frame`)
      return this.#welcomed(frame)
    }
    switch (frame.type) {
      case 'data': {
        const message = session.inbound.receive(frame.binary, frame.more, frame.payload)
        if (!message) return
        this.#fire(this.onmessage, { data: message.binary ? this.#binary(message.payload) : decodeText(message.payload) })
        // the driver may have closed this connection from a listener: then the message counts, and the next connection acks it
        session.inbound.settle(session.inbound.received)
        return this.#scheduleAck()
      }
      case 'ack':
        session.outbound.ack(frame.count)
        return this.#pump()
      case 'ping':
        return this.#write(encodePong())
      case 'drain':
        if (this.#drainTimer === undefined) {
          this.#drainTimer = session.clock.setTimeout(() => {
            this.#drainTimer = undefined
            // the server spread its clients over the window with this delay: the core hands this
            // connection over (1000) and connects again at once, and the session resumes
            session.host.moved(this)
          }, frame.delay)
        }
        return
      default:
        throw new ProtocolError(1002, `unexpected ${frame.type} frame from the server`)
    }
  }

  #welcomed(welcome: Welcome): void {
    const session = this.#session
    const plan = planWelcome(welcome, session.outbound.unacked())
    if (plan.kind === 'resume') session.outbound.resume(plan.received)
    else if (session.token.length > 0 || session.outbound.acked > 0 || session.inbound.received > 0) session.forget()
    session.token = welcome.token.slice()
    // the connection this one replaces (if its close is still on its way) no longer speaks for the session
    if (session.current && session.current !== this) session.current.#detach()
    session.current = this
    session.resumed = welcome.resumed
    session.active = true
    this.#welcome = welcome
    this.#mode = 'session'
    this.protocol = welcome.protocol
    this.extensions = this.#ws.extensions
    this.readyState = OPEN
    this.#armSilence()
    this.#fire(this.onopen, {})
    if (this.#left) return
    // the last ACK may have died with the old connection (PROTOCOL.md §4)
    this.#ack()
    this.#pump()
  }

  #closed(event: CloseEvent): void {
    this.#stopTimers()
    if (this.#mode === 'session') this.#detach()
    const session = this.#session
    if (session.ending) session.finish(event.wasClean)
    // the server ended the session: it must not be resumed (PROTOCOL.md §10)
    if (event.code === 4410 || event.code === 4413) session.forget()
    if (this.#left) return
    this.#left = true
    this.readyState = CLOSED
    this.#fire(this.onclose, { code: event.code, reason: String(event.reason ?? ''), wasClean: Boolean(event.wasClean) })
  }

  // ── helpers ────────────────────────────────────────────────────────────────────────────────────
  /** Give up the real socket and report `event` as this connection's close, now. */
  #leave(event: CloseEvent, code: number): void {
    if (this.#left) return
    if (this.#mode === 'session') this.#detach()
    this.#stopTimers()
    this.#left = true
    this.readyState = CLOSED
    try {
      this.#ws.close(code, event.reason)
    } catch {
      this.#ws.close()
    }
    this.#fire(this.onclose, event)
  }

  /** This connection no longer carries the session: chunks half received are dropped, the last ACK is repeated next time. */
  #detach(): void {
    const session = this.#session
    if (session.current !== this) return
    session.current = undefined
    session.inbound.cut()
  }

  #carries(): boolean {
    return this.#session.current === this && this.readyState === OPEN
  }

  #pump(): void {
    if (!this.#carries()) return
    const { outbound } = this.#session
    const window = this.#welcome!.window
    for (let frame; (frame = outbound.nextFrame(window, CHUNK)); ) this.#write(frame)
  }

  #scheduleAck(): void {
    const { inbound, clock } = this.#session
    if (inbound.ackUrgent()) return this.#ack()
    if (this.#ackTimer !== undefined) return
    this.#ackTimer = clock.setTimeout(() => {
      this.#ackTimer = undefined
      this.#ack()
    }, this.#welcome!.ackDelay)
  }

  #ack(): void {
    if (!this.#carries()) return
    const { inbound } = this.#session
    const count = inbound.ackDue()
    if (count === undefined) return
    this.#write(encodeAck(count))
    inbound.acknowledged(count)
  }

  #armSilence(): void {
    const left = silenceLeft(this.#session.clock.now(), this.#lastHeard, this.#welcome!)
    if (left === 0) {
      const limit = this.#welcome!.heartbeatInterval + this.#welcome!.heartbeatTimeout
      this.#fire(this.onerror, { message: `lifeline.v1: nothing from the server for ${limit} ms (its heartbeat interval + timeout): the link is dead` })
      if (typeof this.#ws.terminate === 'function') this.#ws.terminate()
      return this.#leave({ code: CLIENT_CLOSE.heartbeatTimeout, reason: 'heartbeat timeout', wasClean: false }, CLIENT_CLOSE.heartbeatTimeout)
    }
    this.#silenceTimer = this.#session.clock.setTimeout(() => {
      this.#silenceTimer = undefined
      this.#armSilence()
    }, left)
  }

  #stopTimers(): void {
    const clock = this.#session.clock
    for (const timer of [this.#silenceTimer, this.#ackTimer, this.#drainTimer]) if (timer !== undefined) clock.clearTimeout(timer)
    this.#silenceTimer = this.#ackTimer = this.#drainTimer = undefined
  }

  #write(frame: Uint8Array): void {
    try {
      this.#ws.corkTurn?.()
      this.#ws.send(frame)
    } catch {
      // a socket that cannot write is closing: its close event follows, and the session resumes
    }
  }

  /** Blobs are read in order; what follows one waits for it (a send() never overtakes an earlier one). */
  async #readStaged(): Promise<void> {
    const session = this.#session
    while (session.staged.length > 0) {
      const entry = session.staged[0]!
      const { data, settle } = entry
      let message: Message | undefined
      try {
        message = kindOf(data) === 'blob' ? { payload: new Uint8Array(await (data as Blob).arrayBuffer()), binary: true, settle } : { ...messageOf(data), settle }
      } catch {
        session.host.dropped(data, 'error')
        settle?.('error')
      }
      // the session ended while the Blob was read: finish() reported what was staged
      if (session.staged[0] !== entry) return
      session.staged.shift()
      if (message) session.outbound.push(message)
    }
    const current = session.current
    if (current) current.#pump()
  }

  #binary(payload: Uint8Array): unknown {
    switch (this.binaryType) {
      case 'blob':
        return new Blob([payload as Uint8Array<ArrayBuffer>])
      case 'nodebuffer': {
        const NodeBuffer = (globalThis as { Buffer?: { from(b: ArrayBufferLike, o: number, l: number): unknown } }).Buffer
        if (NodeBuffer) return NodeBuffer.from(payload.buffer, payload.byteOffset, payload.byteLength)
      }
      // fall through: no Buffer here
      default:
        return payload.slice().buffer
    }
  }

  #fire<E>(handler: Handler<E>, event: E): void {
    handler?.call(this, event)
  }
}

/** A copy of what send() got, as the protocol carries it (text as UTF-8, made as its whole DATA frame). */
function messageOf(data: Data): Message {
  if (typeof data === 'string') {
    const frame = encodeTextFrame(data)
    return { payload: frame ? frame.subarray(1) : encodeText(data), binary: false, frame }
  }
  const kind = kindOf(data)
  if (kind === 'view') {
    const [buffer, offset, length] = viewParts(data as ArrayBufferView) as [ArrayBuffer, number, number]
    return { payload: new Uint8Array(buffer, offset, length).slice(), binary: true }
  }
  return { payload: new Uint8Array(data as ArrayBuffer).slice(), binary: true }
}

function bytesOf(raw: unknown): Uint8Array {
  if (raw instanceof ArrayBuffer) return new Uint8Array(raw)
  if (ArrayBuffer.isView(raw)) return new Uint8Array(raw.buffer, raw.byteOffset, raw.byteLength)
  throw new ProtocolError(1002, 'a frame that is neither text nor binary')
}
