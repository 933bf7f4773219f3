/**
 * The send path. The core's routeSend() says where a message goes: written at once (an open
 * socket, nothing queued: no transition, no allocation), dropped (closed), or into the bounded
 * queue, and then the core is told (`queued`) and decides what follows (connect, flush, the ttl
 * timer); this carries out its queue commands. Every message's fate is told once: written (or,
 * with a heartbeat, confirmed: see core/delivery.ts), or dropped and why.
 */
import { copyOf, kindOf } from '../core/data.js'
import { DeliveryWindow, fitsBeside, type EachWritten } from '../core/delivery.js'
import { byteSize, OutboundQueue, type Data, type DropReason, type Entry } from '../core/queue.js'
import { routeSend, unconfirmedOutcome } from '../core/transition.js'
import { errorText } from './errors.js'
import { Mailbox } from './mailbox.js'
import { OPEN, type WebSocketLike } from '../ports.js'

/**
 * Told about traffic without allocating per message: `monitor.ts` counts with it, attached after
 * creation through `observer` (none by default: then the hot paths do nothing more). `rtt` is
 * called with each answered heartbeat ping's round trip.
 */
export interface Observer {
  written(data: Data): void
  read(data: unknown): void
  rtt(ms: number): void
  /** A written message was confirmed, `ms` after its (last) write. */
  confirmed(ms: number): void
}

const ignore: EachWritten = () => {}

/** What an idle socket's queue reads as: it has none (see Outbound.queue). */
const NOTHING_QUEUED = Object.freeze({ length: 0, bytes: 0, highWater: 0 })

export abstract class Outbound extends Mailbox {
  /** The bounded queue, made when the first message waits in it: most sockets never queue one. */
  #queue: OutboundQueue | undefined = undefined
  /** The one observer of the traffic (lifeline-ws/monitor's), or undefined for none. */
  observer: Observer | undefined = undefined
  /** Writes handed to the socket whose outcome its callback has yet to tell (see writeAndWait). */
  #awaitingWrites = 0
  /**
   * Written messages not yet confirmed, and the pings that confirm them: made at the first write, or
   * at a ping while another is unanswered. Until then an idle socket has none: its one outstanding
   * ping is `#idlePingAt` (when it was sent; undefined: none), which the held takes over when made.
   */
  #held: DeliveryWindow | undefined = undefined
  #idlePingAt: number | undefined = undefined
  /** The socket in a graceful close whose writes the held holds parked (0: none). */
  #parkedSocket = 0

  /** What waits in the queue (nothing, in a socket that never queued a message). */
  get queue(): { readonly length: number; readonly bytes: number; readonly highWater: number } {
    return this.#queue ?? NOTHING_QUEUED
  }

  /** The held of unconfirmed messages, if messages are confirmed and any was written or pinged for. */
  get held(): DeliveryWindow | undefined {
    return this.#held
  }

  /** The held, made now if messages are confirmed; it counts against the queue's limits. */
  protected windowForWrites(): DeliveryWindow | undefined {
    if (!this.options.policy.delivery) return undefined
    if (!this.#held) {
      this.#held = new DeliveryWindow()
      if (this.#queue) this.#queue.beside = this.#held
      // the idle socket's outstanding ping, as the held would have recorded it (nothing written before it)
      if (this.#idlePingAt !== undefined) this.#held.ping(this.#idlePingAt)
      this.#idlePingAt = undefined
    }
    return this.#held
  }

  /**
   * Record a ping sent at `now` on the live socket (`held`: what `windowForPing` returned before
   * it was written, for its position). A socket that wrote nothing, with no other ping
   * unanswered, needs no held for it (the per-heartbeat cost of an idle socket).
   */
  protected pinged(held: DeliveryWindow | undefined, now: number): void {
    if (held) held.ping(now)
    else if (this.options.policy.delivery) this.#idlePingAt = now
  }

  /** The held a ping is recorded in: none yet while nothing was written and no other ping is unanswered. */
  protected windowForPing(): DeliveryWindow | undefined {
    return this.#held ?? (this.#idlePingAt !== undefined ? this.windowForWrites() : undefined)
  }

  /** Pings on the live socket not answered yet. */
  protected get pingsOut(): number {
    return this.#held ? this.#held.outstanding : this.#idlePingAt !== undefined ? 1 : 0
  }

  /** The live socket, if there is one. */
  protected abstract live(): WebSocketLike | undefined

  /** Socket `id`, if it is still the live one. */
  protected abstract socketOf(id: number): WebSocketLike | undefined

  /** The id of `ws` if it is the live socket or the one in a graceful close, else 0. */
  protected abstract idOf(ws: WebSocketLike): number

  /** Judge the link now if its ping's answer is overdue (see Driver). */
  protected abstract checkDeadline(inSend?: boolean): void

  /** `settle` (optional) is told the message's fate: written, or dropped and why. */
  send(data: Data, settle?: Entry['settle']): boolean {
    this.checkDeadline(true)
    const held = this.#held
    // messages waiting to be written again go before this one, like queued ones
    const queued = this.queue
    const route = routeSend(this.state.phase, held === undefined ? queued.length : queued.length + held.waiting)
    if (route === 'write') {
      // the hot path: straight to an open socket, no allocation (unconfirmed messages count
      // against the queue's limits: when they fill them, the queue decides, overflow included)
      const ws = this.live()
      if (ws && ws.readyState === OPEN) {
        if (held === undefined) return this.write(ws, data, settle, NaN, false)
        // a string that fits even at 3 bytes a UTF-16 unit (UTF-8's most), beside the strings held at as
        // much, is not counted now: most are confirmed before anything reads the bytes held
        if (typeof data === 'string' && fitsBeside(this.options.queue, queued, held, 3 * data.length, held.bytesAtMost)) {
          return this.write(ws, data, settle, NaN, false)
        }
        const bytes = byteSize(data)
        if (fitsBeside(this.options.queue, queued, held, bytes)) return this.write(ws, data, settle, bytes, false)
      }
    } else if (route === 'drop') {
      this.raise({ type: 'emit', event: 'drop', data, reason: 'closed' })
      settle?.('closed')
      return false
    }
    this.hold()
    try {
      return this.enqueue(data, settle)
    } finally {
      this.release()
    }
  }

  private enqueue(data: Data, settle: Entry['settle']): boolean {
    const queue = (this.#queue ??= new OutboundQueue(this.options.queue, this.#held))
    const now = this.options.timer.now()
    // a message past its ttl is gone before a new one is counted against the limits
    for (const old of queue.expire(now)) this.drop(old, 'ttl')
    // the queue keeps a copy of binary data, made only once it is sure to keep it
    const { accepted, evicted } = queue.push(data, now, byteSize(data), settle)
    for (const old of evicted) this.drop(old, 'overflow')
    if (!accepted) {
      this.raise({ type: 'emit', event: 'drop', data, reason: 'overflow' })
      settle?.('overflow')
      return false
    }
    this.dispatch({ type: 'queued', expires: queue.nextExpiry() ?? Infinity })
    return true
  }

  /** The core's `flush`: write out what waits to be written again, then the queue, in order, while the socket takes it. */
  protected flush(id: number): void {
    const ws = this.socketOf(id)
    const held = this.#held
    while (ws && held && held.waiting > 0 && ws.readyState === OPEN) {
      const again = held.nextResend()!
      this.write(ws, again.data, again.settle, again.bytes, true)
    }
    const queue = this.#queue
    if (!queue) return
    const before = queue.length
    while (ws && queue.length > 0 && ws.readyState === OPEN) {
      const entry = queue.shift()!
      this.write(ws, entry.data, entry.settle, entry.bytes, true)
    }
    this.dequeued(queue, before)
  }

  /** The core's `confirm`: a pong answered the ping at `position`; settle what it confirms. */
  protected confirm(position: number | undefined): void {
    // one by one only what someone is told of: a settle callback, or the observer's latency; an
    // idle socket's pong (nothing written) needs no callback made
    const held = this.#held
    // the idle ping is at position 0: an answer that echoes it (or an app-level one) answers it
    if (!held && (position === undefined || position === 0)) this.#idlePingAt = undefined
    held?.pong(position, held.written > 0 ? this.confirmed() : ignore, this.observer !== undefined)
  }

  /** The core's `unconfirmed`: socket `id` ended; its unconfirmed writes are confirmed, reported or kept to resend. */
  protected endWrites(id: number, outcome: 'confirm' | 'report' | 'resend'): void {
    this.#idlePingAt = undefined
    const held = this.#held
    if (!held) return
    const parked = id === this.#parkedSocket
    if (parked) this.#parkedSocket = 0
    const entries = held.settle(parked, outcome)
    const confirmed = outcome === 'confirm' && this.confirmed()
    for (const entry of entries) {
      if (confirmed) confirmed(entry.settle, entry.at, entry.data, entry.bytes)
      else this.drop(entry, 'unconfirmed')
    }
  }

  /** Socket `id` goes into a graceful close: its unconfirmed writes wait for its end. */
  protected parkWrites(id: number): void {
    // made now if need be: a write whose callback is still to come (a Blob) may be recorded there
    // later; an idle socket's outstanding ping moves into it, as it would have been recorded
    const held = this.windowForWrites()
    if (!held) return
    held.park()
    this.#parkedSocket = id
  }

  /**
   * Settles confirmed messages, and tells the observer how long each took (from now, read once; a
   * message written before it was attached was not timed).
   */
  private confirmed(): EachWritten {
    const now = this.options.timer.now()
    return (settle, at) => {
      if (at === at) this.observer?.confirmed(now - at)
      settle?.()
    }
  }

  /** Write `data` on socket `id` now, ahead of the queue (the intents); a throw is reported, as any write's. */
  protected writeNow(id: number, data: Data): void {
    const ws = this.socketOf(id)
    if (ws && ws.readyState === OPEN) this.write(ws, data, undefined, NaN, false)
    else this.raise({ type: 'emit', event: 'drop', data, reason: 'closed' })
  }

  /** The core's `expire-queue`. */
  protected expire(): void {
    const queue = this.#queue
    if (!queue) return
    const before = queue.length
    for (const old of queue.expire(this.options.timer.now())) this.drop(old, 'ttl')
    this.dequeued(queue, before)
  }

  /** The core's `drop-queue`: what waits to be written again (older), then the queue ('closed', or 'suspended'). */
  protected dropAll(reason: 'closed' | 'suspended' = 'closed'): void {
    if (this.#held) for (const entry of this.#held.takeWaiting()) this.drop(entry, 'unconfirmed')
    if (this.#queue) for (const entry of this.#queue.drain()) this.drop(entry, reason)
  }

  /** Tell the core when messages left the queue: its ttl timer follows the oldest one left. */
  private dequeued(queue: OutboundQueue, before: number): void {
    if (queue.length !== before) this.dispatch({ type: 'dequeued', expires: queue.nextExpiry() ?? Infinity })
  }

  /**
   * Hand one message to the socket. A throw is reported (error + drop), never lost silently.
   * `bytes`: its size when known (NaN: not yet), `owned`: a copy already (queued, or resent).
   */
  private write(ws: WebSocketLike, data: Data, settle: Entry['settle'], bytes: number, owned: boolean): boolean {
    if (ws.sendWithCallback && (this.#awaitingWrites > 0 || (typeof data !== 'string' && kindOf(data) === 'blob'))) {
      return this.writeAndWait(ws, ws.sendWithCallback, data, settle, bytes, owned)
    }
    // a session connection settles the message itself, when the server acknowledges it
    const settled = ws.sendSettled
    try {
      if (settled) settled.call(ws, data, settle)
      else ws.send(data)
    } catch (error) {
      this.sendFailed(data, settle, error)
      return false
    }
    this.observer?.written(data)
    if (settled) return true
    if (this.options.policy.delivery) this.record(data, settle, bytes, owned)
    else settle?.()
    return true
  }

  /**
   * A message was written to the live socket: it waits for confirmation. The first write of a
   * burst tells the core, which times the confirmation ping. 'resend' keeps a copy of a caller's
   * binary data (it may reuse the buffer); 'report' only hands it back in a drop event.
   */
  private record(data: Data, settle: Entry['settle'], bytes: number, owned: boolean): void {
    const held = this.windowForWrites()!
    const first = held.unpingedSince === undefined
    const kept = owned || this.options.policy.delivery!.mode === 'report' ? data : copyOf(data)
    // the clock is read for the burst's first write (the ping is due from it) and for the observer's
    // latency, not per write otherwise
    const at = first || this.observer !== undefined ? this.options.timer.now() : undefined
    // NaN: a string's size is counted when something reads the bytes held, else the window counts it
    held.record(kept, bytes, settle, at)
    if (first) this.dispatch({ type: 'written', id: this.state.socket })
  }

  /**
   * Node `ws` reads a Blob asynchronously, and a Blob that cannot be read (a file that changed)
   * fails it and every message queued behind it inside `ws`, with no trace but the callbacks. So a
   * Blob, and everything written while one is pending, goes out with a callback, and its fate is
   * reported when that tells it. `ws` keeps them in order.
   */
  private writeAndWait(
    ws: WebSocketLike,
    sendWithCallback: NonNullable<WebSocketLike['sendWithCallback']>,
    data: Data,
    settle: Entry['settle'],
    bytes: number,
    owned: boolean,
  ): boolean {
    let waiting = true
    this.#awaitingWrites++
    const done = (error?: unknown): void => {
      if (!waiting) return // `ws` calls each callback once; guard anyway, a fate is told once
      waiting = false
      this.#awaitingWrites--
      if (error) this.sendFailed(data, settle, error)
      else {
        this.observer?.written(data)
        if (!this.options.policy.delivery) settle?.()
        else if (ws === this.live()) this.record(data, settle, bytes, owned)
        else this.writtenTooLate(ws, data, settle, bytes, owned)
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

  /**
   * Written to a socket that is no longer the live one. The one in a graceful close keeps it with
   * its other writes (a clean close confirms them, else they are reported or resent). Else nothing
   * will confirm it there: 'resend' writes it again like the rest of that socket's unconfirmed
   * writes (first on the next socket, or at once on a live one); 'report', or a socket closed for
   * good, reports it.
   */
  private writtenTooLate(ws: WebSocketLike, data: Data, settle: Entry['settle'], bytes: number, owned: boolean): void {
    const parked = this.#parkedSocket !== 0 && this.idOf(ws) === this.#parkedSocket
    if (!parked && unconfirmedOutcome(false, this.options.policy.delivery!.mode, this.state.phase) === 'report') return this.drop({ data, settle }, 'unconfirmed')
    const kept = owned || this.options.policy.delivery!.mode === 'report' ? data : copyOf(data)
    this.windowForWrites()!.late({ data: kept, bytes: bytes === bytes ? bytes : byteSize(data), settle, at: this.options.timer.now() }, parked)
    // it waits like a queued message: the core writes it out if the socket is open
    if (!parked) this.dispatch({ type: 'queued', expires: this.#queue?.nextExpiry() ?? Infinity })
  }

  private sendFailed(data: Data, settle: Entry['settle'], error: unknown): void {
    this.raise({ type: 'emit', event: 'error', code: 'SEND_FAILED', message: `send failed: ${errorText(error, this.options.redactParams)}` })
    this.raise({ type: 'emit', event: 'drop', data, reason: 'error' })
    settle?.('error')
  }

  private drop(entry: Pick<Entry, 'data' | 'settle'>, reason: DropReason): void {
    this.raise({ type: 'emit', event: 'drop', data: entry.data, reason })
    entry.settle?.(reason)
  }
}
