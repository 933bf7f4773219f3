/**
 * One session on the server: its two directions (pure state from src/protocol), the connection it
 * is on now (if any), heartbeats, coalesced acks, and its end. The hub (attach.ts) creates sessions
 * and hands them connections after the HELLO.
 */
import { randomBytes } from 'node:crypto'
import type { WebSocket } from 'ws'
import {
  CLOSE,
  DATA_BINARY,
  decodeFrame,
  decodeText,
  encodeAck,
  encodeDrain,
  encodePing,
  encodeWelcome,
  ProtocolError,
} from '../protocol/codec.js'
import { Inbound, Outbound, type Message } from '../protocol/session-state.js'
import type { ResolvedOptions } from './options.js'
import { SessionMovedError, type SessionRecord, type SharedRecord, type SharedSessionStore } from './store.js'

/** Why a session ended for good. */
export type SessionEndReason =
  /** The client ended it (its close()). */
  | 'client'
  /** session.close() */
  | 'server'
  /** The resume window passed with no client. */
  | 'expired'
  /** More than maxBufferedBytes of sent messages were unacknowledged. */
  | 'overflow'
  /** The client broke the protocol (the close code and reason say how). */
  | 'protocol'
  /** sessions.close() */
  | 'shutdown'
  /** Another server resumed it from the shared store. */
  | 'moved'

export interface MessageInfo {
  /** This message may have been handed to a handler before, on a node that died before storing its receipt. */
  redelivered: boolean
}

/** What `session.on('message')` hands over: text as a string, binary as a Buffer. */
export type SessionData = string | Buffer

export interface SessionEvents {
  /**
   * Each client message, in order, once; a node killed between running the handler and storing
   * its receipt (shared store only) makes the next node deliver it again with `redelivered: true`.
   * Return a promise to be acknowledged only once it settles.
   */
  message: (data: SessionData, info: MessageInfo) => unknown
  /** The session ended for good; `undelivered` are the sent messages the client never acknowledged. */
  close: (reason: SessionEndReason, undelivered: SessionData[]) => void
  /** The client came back on a new connection. */
  resume: () => void
  /** The connection was lost; the session waits `resumeWindow` ms for the client. */
  disconnect: () => void
}

export interface Session {
  /** Stable across reconnects; 22 base64url characters (128 random bits). */
  readonly id: string
  /** The application subprotocol chosen among the client's offers ('' for none). */
  readonly protocol: string
  /** A client connection carries the session now. */
  readonly connected: boolean
  /** Bytes sent and not yet acknowledged by the client. */
  readonly bufferedBytes: number
  /** Set once the session has ended. */
  readonly endReason: SessionEndReason | undefined
  on<E extends keyof SessionEvents>(event: E, listener: SessionEvents[E]): () => void
  /**
   * Buffered while the client is away; delivered exactly once, in order. Throws once the session
   * has ended. Resolves once the message is durable (stored by a shared store; held by this
   * process otherwise); a message reported durable is never lost, whatever node dies. Rejects when
   * the store could not confirm it (the message may or may not reach the client).
   */
  send(data: string | ArrayBuffer | ArrayBufferView): Promise<void>
  /** End the session for good (the client is closed with 4410). */
  close(): void
}

/** What a session needs from the hub that made it. */
export interface Hub {
  readonly options: ResolvedOptions
  readonly owner: string
  /** The shared store, when the server has one. */
  readonly shared: SharedSessionStore | undefined
  ended(session: ServerSession, reason: SessionEndReason): void
  /** The connection was lost: keep the resume state. */
  away(session: ServerSession): void
  /** The resume window passed. */
  expired(session: ServerSession): void
  error(error: unknown, session: ServerSession): void
}

/** How long a session being released waits for the handlers already running before it lets go anyway. */
const RELEASE_WAIT = 2_000

/** How long a session retries a failed store write (Redis restarting) before it gives the session up. */
const STORE_RETRY_FOR = 5_000

/** Frames waiting in the socket beyond this, the session stops writing until they are flushed. */
const HIGH_WATER = 64 * 1024

/**
 * The TCP socket under a `ws` connection (its own property `_socket`): corked while a tick's frames
 * are written, so they leave in one writev instead of one system call each.
 */
function socketOf(ws: WebSocket): { cork(): void; uncork(): void } | undefined {
  const socket = Object.prototype.hasOwnProperty.call(ws, '_socket') ? (ws as unknown as { _socket: unknown })._socket : undefined
  const s = socket as { cork?: unknown; uncork?: unknown } | null | undefined
  return s && typeof s.cork === 'function' && typeof s.uncork === 'function' ? (s as { cork(): void; uncork(): void }) : undefined
}

/** A close reason is at most 123 bytes. */
function reasonText(text: string): string {
  return text.length > 120 ? `${text.slice(0, 117)}...` : text
}

/** What send() takes, as a message; bad data throws naming `where`. */
export function messageOf(data: unknown, maxMessageBytes: number, where: string): Message {
  // the payload is written once, after a DATA header: the whole frame, ready for the socket
  let frame: Buffer
  let binary = true
  if (typeof data === 'string') {
    frame = frameBuffer(Buffer.byteLength(data, 'utf8') + 1)
    frame.write(data, 1, 'utf8')
    binary = false
  } else if (data instanceof ArrayBuffer) frame = framed(new Uint8Array(data))
  else if (ArrayBuffer.isView(data)) frame = framed(new Uint8Array(data.buffer, data.byteOffset, data.byteLength))
  else throw new TypeError(`${where}: data must be a string, ArrayBuffer or ArrayBufferView, got ${data === null ? 'null' : typeof data}`)
  if (frame.length - 1 > maxMessageBytes) throw new RangeError(`${where}: ${frame.length - 1} bytes is over maxMessageBytes (${maxMessageBytes})`)
  frame[0] = binary ? DATA_BINARY : 0
  return { payload: frame.subarray(1), binary, frame }
}

/** A copy of `bytes` after a byte for the DATA header. */
function framed(bytes: Uint8Array): Buffer {
  const frame = frameBuffer(bytes.length + 1)
  frame.set(bytes, 1)
  return frame
}

/** Frames from poolSize / 2 (where Buffer.allocUnsafe stops pooling) up to a quarter of this share slabs. */
const SLAB = 64 * 1024
let slab = Buffer.alloc(0)
let slabUsed = 0

/**
 * Room for a frame of `size` bytes, to be written whole by the caller. Node pools small Buffers
 * itself; from 4 KiB, one allocation per message (and its garbage) cost the server more than
 * writing it, so those are carved from slabs, never handed out twice.
 */
function frameBuffer(size: number): Buffer {
  if (size < Buffer.poolSize >>> 1 || size > SLAB / 4) return Buffer.allocUnsafe(size)
  if (slabUsed + size > slab.length) {
    slab = Buffer.allocUnsafeSlow(SLAB)
    slabUsed = 0
  }
  return slab.subarray(slabUsed, (slabUsed += size))
}

function toData(message: Message): SessionData {
  const bytes = Buffer.from(message.payload.buffer, message.payload.byteOffset, message.payload.length)
  return message.binary ? bytes : bytes.toString('utf8')
}

export class ServerSession implements Session {
  readonly out = new Outbound()
  readonly in: Inbound
  private ws: WebSocket | undefined
  private clientWindow = 0
  private ended: SessionEndReason | undefined
  private readonly listeners: { [E in keyof SessionEvents]: Set<SessionEvents[E]> } = {
    message: new Set(),
    close: new Set(),
    resume: new Set(),
    disconnect: new Set(),
  }
  private ackTimer: ReturnType<typeof setTimeout> | undefined
  private expiryTimer: ReturnType<typeof setTimeout> | undefined
  private heartbeatTimer: ReturnType<typeof setTimeout> | undefined
  private heard = false
  private pumpWaiting = false
  /** The socket is corked until the end of this tick. */
  private corked = false
  /** Set while this session's state is in the shared store: every step is written there. */
  durable: SharedSessionStore | undefined
  /** Inbound messages up to this one may have been handed to a handler on a node that died. */
  private redeliverUpTo = 0
  /** Inbound messages waiting for their `started` write before the handlers run. */
  private waiting: Array<{ data: SessionData; seq: number }> = []
  private startedWrite = false
  private handledWrite = false
  private ackedStored = 0
  private ackedWrite = false
  /** This session object's appends: its writer id in the store (one per node and claim) and how many it issued. */
  private readonly writer: string
  private appends = 0
  /** Outbound fetches and appends, applied in sequence order. */
  private outChain: Promise<void> = Promise.resolve()
  /** Inbound messages handed to the handlers and not yet settled. */
  private handling = 0
  /** Set while a release waits for the handlers: called once they are done. */
  private onIdle: (() => void) | undefined

  constructor(
    readonly id: string,
    readonly secret: Buffer,
    readonly protocol: string,
    private readonly hub: Hub,
  ) {
    this.in = new Inbound(hub.options.maxUnacked, hub.options.maxMessageBytes)
    this.writer = `${hub.owner}.${randomBytes(6).toString('base64url')}`
  }

  get connected(): boolean {
    return this.ws !== undefined
  }

  get bufferedBytes(): number {
    return this.out.bufferedBytes
  }

  get endReason(): SessionEndReason | undefined {
    return this.ended
  }

  on<E extends keyof SessionEvents>(event: E, listener: SessionEvents[E]): () => void {
    const set = this.listeners[event] as Set<SessionEvents[E]> | undefined
    if (!set) throw new TypeError(`session.on(): unknown event ${JSON.stringify(event)}; one of "message", "close", "resume", "disconnect"`)
    if (typeof listener !== 'function') throw new TypeError(`session.on("${event}", listener): listener must be a function, got ${typeof listener}`)
    set.add(listener)
    return () => void set.delete(listener)
  }

  send(data: string | ArrayBuffer | ArrayBufferView): Promise<void> {
    if (this.ended) throw new Error(`session.send(): session ${this.id} has ended (${this.ended})`)
    return this.sendMessage(messageOf(data, this.hub.options.maxMessageBytes, 'session.send(data)'))
  }

  /** send() of a message already checked (sessions.send() of a session held here). */
  sendMessage(message: Message): Promise<void> {
    const store = this.durable
    if (store) {
      // numbered per writer, so retrying an append whose outcome is unknown (Redis restarting)
      // stores it once; 0: an earlier try had stored it (read back from the list)
      const writer = { id: this.writer, n: ++this.appends }
      const stored = this.persist(() => store.append(this.id, message, this.hub.options.resumeWindow, false, writer))
      stored.then(
        (seq) => this.arrived(seq === 0 ? Infinity : seq, message),
        (error: unknown) => (error instanceof SessionMovedError ? this.storeFailed(error) : this.arrived(Infinity)),
      )
      return stored.then(() => undefined)
    }
    this.accept(message)
    return Promise.resolve()
  }

  /** Another node posted to this session: read what is new from the store. */
  posted(): void {
    this.arrived(Infinity)
  }

  /** Outbound message `seq` is stored: buffer it (after any it skipped, read from the store). */
  private arrived(seq: number, message?: Message): void {
    const store = this.durable
    if (!store) return
    this.outChain = this.outChain.then(async () => {
      if (this.ended || seq <= this.out.last) return
      if (message && seq === this.out.last + 1) return this.accept(message)
      const missing = await this.persist(() => store.fetch(this.id, this.out.last + 1))
      if (this.ended) return
      for (const m of missing) this.accept(m)
    }).catch((error: unknown) => this.storeFailed(error))
  }

  private accept(message: Message): void {
    if (this.ended) return
    this.out.push(message)
    if (this.out.bufferedBytes > this.hub.options.maxBufferedBytes) {
      this.end('overflow', CLOSE.bufferFull, `session ended: over ${this.hub.options.maxBufferedBytes} unacknowledged bytes`)
      return
    }
    this.pump()
  }

  close(): void {
    this.end('server', CLOSE.ended, 'session ended by the server')
  }

  /** A connection said HELLO for this session. A resume point it cannot have throws a ProtocolError. */
  attach(ws: WebSocket, received: number, window: number, resumed: boolean): void {
    this.out.resume(received)
    const previous = this.ws
    if (previous) {
      this.detach()
      previous.close(CLOSE.replaced, 'session resumed on a newer connection')
    }
    clearTimeout(this.expiryTimer)
    this.ws = ws
    this.clientWindow = window
    const o = this.hub.options
    ws.send(
      encodeWelcome({
        resumed,
        received: this.in.received,
        window: o.maxUnacked,
        maxMessage: o.maxMessageBytes,
        heartbeatInterval: o.heartbeatInterval,
        heartbeatTimeout: o.heartbeatTimeout,
        resumeWindow: o.resumeWindow,
        ackDelay: o.ackDelay,
        token: Buffer.concat([Buffer.from(this.id, 'base64url'), this.secret]),
        protocol: this.protocol,
      }),
    )
    ws.on('message', (data, isBinary) => this.frame(ws, data as Buffer, isBinary))
    ws.on('close', () => {
      if (ws === this.ws) this.lost()
    })
    this.sendAck()
    this.heartbeat(o.heartbeatInterval)
    this.pump()
    if (resumed) this.emit('resume')
  }

  /** Tell the client to move to a new connection within `delay` ms. */
  drain(delay: number): WebSocket | undefined {
    this.ws?.send(encodeDrain(delay))
    return this.ws
  }

  /** The resume state, for the store. */
  record(): SessionRecord {
    const { written, unwritten } = this.out.unacked()
    return {
      id: this.id,
      secret: this.secret,
      protocol: this.protocol,
      owner: this.hub.owner,
      outbound: { acked: this.out.acked, written: this.out.written, messages: [...written, ...unwritten] },
      inbound: { handled: this.in.handled },
    }
  }

  /** A session claimed from a shared store: every stored message may have been written. */
  restoreShared(record: SharedRecord, store: SharedSessionStore): void {
    this.durable = store
    this.out.acked = record.acked
    this.ackedStored = record.acked
    for (const message of record.messages) this.out.push(message)
    this.out.written = this.out.last
    Object.assign(this.in, { received: record.handled, handled: record.handled, acked: record.handled })
    // the old node's last ACK may not have left it: acknowledge again on the first connection
    this.in.cut()
    this.redeliverUpTo = record.started
  }

  /**
   * Another node wants the session: stop, store how far the handlers got, give it up (the store
   * applies this node's writes in order), and forget it here.
   */
  release(code: number = CLOSE.replaced, reason = 'session resumed on another server'): void {
    const store = this.durable
    if (!store || this.ended || this.onIdle) return
    this.ws?.close(code, reason)
    this.detach()
    // off the hub's books now: a resume meanwhile claims it from the store once it is let go
    this.hub.ended(this, 'moved')
    // a handler already running finishes here first, so the next node does not run it again
    const letGo = (): void => {
      clearTimeout(timer)
      this.onIdle = undefined
      if (this.ended) return
      const handled = this.in.handled
      // in this order: the next node must read how far the handlers got once it can claim
      void this.persist(() => store.progress(this.id, this.hub.owner, 'handled', handled, this.hub.options.resumeWindow), false)
        .catch(() => {})
        .then(() => this.persist(() => store.release(this.id, this.hub.owner), false))
        .catch(() => {})
      this.end('moved')
    }
    const timer = setTimeout(letGo, RELEASE_WAIT)
    this.onIdle = letGo
    this.idleCheck()
  }

  /** A release waiting for the handlers (and a `started` write about to hand them more) goes on once they are done. */
  private idleCheck(): void {
    if (this.onIdle && this.handling === 0 && !this.startedWrite) this.onIdle()
  }

  /**
   * Run an idempotent store operation (a progress write, a touch, a read), again after a failure
   * other than being fenced off (Redis restarting: node-redis queues it until it reconnects), for up
   * to STORE_RETRY_FOR ms. Riding a short outage out keeps the session here: giving it up at the
   * first failure would make the next node run again, flagged, handlers whose receipt was not stored.
   */
  private persist<T>(operation: () => Promise<T>, whileLive = true): Promise<T> {
    const deadline = Date.now() + STORE_RETRY_FOR
    const attempt = (delay: number): Promise<T> =>
      operation().catch((error: unknown) => {
        if (error instanceof SessionMovedError || (whileLive && this.ended) || Date.now() + delay > deadline) throw error
        return new Promise<void>((resolve) => setTimeout(resolve, delay)).then(() => attempt(Math.min(delay * 2, 500)))
      })
    return attempt(50)
  }

  /**
   * The shared store fenced this node off: forget the session here. Or a write failed (Redis
   * restarting): its outcome is unknown, so this node stops and gives the session up as on a
   * release (how far the handlers got, then the owner cleared; node-redis sends both once Redis is
   * back), and the client's resume claims it afresh from what the store really holds. Without the
   * release the store would still name this live node as the holder, and every resume would wait on it.
   */
  private storeFailed(error: unknown): void {
    if (this.ended) return
    if (error instanceof SessionMovedError) return this.end('moved', CLOSE.restart, 'session moved to another server')
    this.hub.error(error, this)
    this.release(CLOSE.restart, 'session store unavailable: reconnect')
  }

  /** A session from a record another server wrote: received = handled, everything before acknowledged. */
  restore(record: SessionRecord): void {
    const { acked, written, messages } = record.outbound
    this.out.acked = acked
    for (const message of messages) this.out.push(message)
    this.out.written = written
    const handled = record.inbound.handled
    Object.assign(this.in, { received: handled, handled, acked: handled })
    // the old server's last ACK may not have left it: acknowledge again on the first connection, or a
    // client whose window those messages fill could write nothing more, and no ACK would ever come
    this.in.cut()
  }

  /** End the session for good; the client's connection (if any) is closed with `code`. */
  end(reason: SessionEndReason, code: number = CLOSE.ended, text = 'session ended'): void {
    if (this.ended) return
    this.ended = reason
    const ws = this.ws
    this.detach()
    clearTimeout(this.expiryTimer)
    ws?.close(code, reasonText(text))
    const { written, unwritten } = this.out.unacked()
    this.hub.ended(this, reason)
    this.emit('close', reason, [...written, ...unwritten].map(toData))
  }

  private frame(ws: WebSocket, data: Buffer, isBinary: boolean): void {
    if (ws !== this.ws) return
    this.heard = true
    try {
      if (!isBinary) throw new ProtocolError(CLOSE.protocol, 'text frame: lifeline.v1 frames are binary')
      const frame = decodeFrame(data)
      switch (frame.type) {
        case 'data': {
          const message = this.in.receive(frame.binary, frame.more, frame.payload)
          if (!message) break
          // text is checked here, on arrival: with a shared store the handlers run later, from a
          // promise, where a 1007 would be an unhandled rejection instead of a close
          const data = message.binary ? toData(message) : decodeText(message.payload)
          if (this.durable) {
            this.waiting.push({ data, seq: this.in.received })
            this.start()
          } else this.deliver(data, this.in.received)
          break
        }
        case 'ack':
          this.out.ack(frame.count)
          this.storeAcked()
          this.pump()
          break
        case 'pong':
          break
        case 'end':
          this.end('client', 1000, 'session ended by the client')
          break
        default:
          throw new ProtocolError(CLOSE.protocol, `unexpected ${frame.type} frame from a client in a session`)
      }
    } catch (error) {
      if (error instanceof ProtocolError) this.end('protocol', error.code, error.message)
      else this.hub.error(error, this)
    }
  }

  /** Store how far the handlers are about to get, then run them. */
  private start(): void {
    const store = this.durable!
    if (this.startedWrite || this.waiting.length === 0) return
    this.startedWrite = true
    const upTo = this.waiting[this.waiting.length - 1]!.seq
    this.persist(() => store.progress(this.id, this.hub.owner, 'started', upTo, this.hub.options.resumeWindow)).then(
      () => {
        this.startedWrite = false
        if (this.ended) return
        while (this.waiting.length > 0 && this.waiting[0]!.seq <= upTo) {
          const { data, seq } = this.waiting.shift()!
          this.deliver(data, seq)
        }
        if (this.onIdle) return this.idleCheck()
        this.start()
      },
      (error: unknown) => this.storeFailed(error),
    )
  }

  /** The client's ACK, stored lazily (one write in flight): losing it only replays what the client skips. */
  private storeAcked(): void {
    const store = this.durable
    if (!store || this.ackedWrite || this.out.acked <= this.ackedStored) return
    this.ackedWrite = true
    const count = this.out.acked
    this.persist(() => store.progress(this.id, this.hub.owner, 'acked', count, this.hub.options.resumeWindow)).then(
      () => {
        this.ackedWrite = false
        this.ackedStored = count
        this.storeAcked()
      },
      (error: unknown) => this.storeFailed(error),
    )
  }

  /** Keep a connected session's stored state alive past the resume window. */
  private touch(): void {
    const store = this.durable
    if (!store) return
    // the touch also says how many outbound messages are stored: a post from another node whose
    // notification was lost (pub/sub is fire-and-forget) is picked up here, within a heartbeat
    void this.persist(() => store.touch(this.id, this.hub.owner, this.hub.options.resumeWindow)).then(
      (last) => void (last > this.out.last && this.arrived(Infinity)),
      (error: unknown) => this.storeFailed(error),
    )
  }

  private deliver(data: SessionData, seq: number): void {
    const info: MessageInfo = { redelivered: seq <= this.redeliverUpTo }
    const pending: PromiseLike<unknown>[] = []
    for (const listener of this.listeners.message) {
      try {
        const result = listener(data, info)
        if (result !== null && typeof result === 'object' && typeof (result as PromiseLike<unknown>).then === 'function') pending.push(result as PromiseLike<unknown>)
      } catch (error) {
        this.hub.error(error, this)
      }
    }
    if (pending.length === 0) return this.settle(seq)
    this.handling++
    void Promise.allSettled(pending).then((results) => {
      for (const r of results) if (r.status === 'rejected') this.hub.error(r.reason, this)
      this.handling--
      this.settle(seq)
      this.idleCheck()
    })
  }

  private settle(seq: number): void {
    if (this.ended) return
    this.in.settle(seq)
    if (!this.ws) return
    this.settleAck()
  }

  private sendAck(): void {
    clearTimeout(this.ackTimer)
    this.ackTimer = undefined
    const count = this.in.ackDue()
    if (count === undefined || !this.ws) return
    const store = this.durable
    if (!store) {
      this.ws.send(encodeAck(count))
      this.in.acknowledged(count)
      return
    }
    // nothing is acknowledged that is not stored
    if (this.handledWrite) return
    this.handledWrite = true
    const ws = this.ws
    this.persist(() => store.progress(this.id, this.hub.owner, 'handled', count, this.hub.options.resumeWindow)).then(
      () => {
        this.handledWrite = false
        if (this.ended || ws !== this.ws) return
        ws.send(encodeAck(count))
        this.in.acknowledged(count)
        if (this.in.ackDue() !== undefined) this.settleAck()
      },
      (error: unknown) => this.storeFailed(error),
    )
  }

  private settleAck(): void {
    if (this.in.ackUrgent()) this.sendAck()
    else this.ackTimer ??= setTimeout(() => this.sendAck(), this.hub.options.ackDelay)
  }

  /** Write DATA frames while the window and the socket's buffer allow. */
  private pump(): void {
    const ws = this.ws
    if (!ws || this.pumpWaiting) return
    for (;;) {
      const frame = this.out.nextFrame(this.clientWindow, this.hub.options.chunkSize)
      if (!frame) return
      this.cork(ws)
      if (ws.bufferedAmount + frame.length < HIGH_WATER) {
        ws.send(frame)
        continue
      }
      // wait for this one to reach the kernel: heartbeats and acks meanwhile go out between chunks
      this.pumpWaiting = true
      ws.send(frame, () => {
        this.pumpWaiting = false
        if (ws === this.ws) this.pump()
      })
      return
    }
  }

  /**
   * Hold this tick's writes until its end: session.send() in a loop then costs one system call,
   * as ws.send() in a loop does once the kernel's buffer pushes back. Without it, a window that
   * fits in the kernel's buffer never pushes back, and each message went out in a write of its own.
   */
  private cork(ws: WebSocket): void {
    if (this.corked) return
    const socket = socketOf(ws)
    if (!socket) return
    this.corked = true
    socket.cork()
    process.nextTick(() => {
      this.corked = false
      socket.uncork()
    })
  }

  /** PING every interval; a connection silent for `timeout` after one is dropped. */
  private heartbeat(delay: number): void {
    const ws = this.ws!
    const { heartbeatInterval, heartbeatTimeout } = this.hub.options
    this.heartbeatTimer = setTimeout(() => {
      this.heard = false
      ws.send(encodePing())
      this.touch()
      this.heartbeatTimer = setTimeout(() => {
        if (this.heard) this.heartbeat(heartbeatInterval - heartbeatTimeout)
        else ws.terminate()
      }, heartbeatTimeout)
    }, delay)
  }

  /** The connection is gone; wait for the client to resume. */
  private lost(): void {
    this.detach()
    if (this.ended) return
    this.hub.away(this)
    this.expiryTimer = setTimeout(() => this.hub.expired(this), this.hub.options.resumeWindow)
    this.emit('disconnect')
  }

  private detach(): void {
    clearTimeout(this.heartbeatTimer)
    clearTimeout(this.ackTimer)
    this.ackTimer = undefined
    this.ws = undefined
    this.pumpWaiting = false
    this.in.cut()
  }

  private emit<E extends keyof SessionEvents>(event: E, ...args: Parameters<SessionEvents[E]>): void {
    for (const listener of [...this.listeners[event]]) {
      try {
        ;(listener as (...a: unknown[]) => unknown)(...args)
      } catch (error) {
        this.hub.error(error, this)
      }
    }
  }
}
