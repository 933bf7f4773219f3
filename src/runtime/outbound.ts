/**
 * The send path. The core's routeSend() says where a message goes: written at once (an open
 * socket, nothing queued: no transition, no allocation), dropped (closed), or into the bounded
 * queue, and then the core is told (`queued`) and decides what follows (connect, flush, the ttl
 * timer); this carries out its queue commands. Every message's fate is told once: written, or dropped and why.
 */
import { kindOf } from '../core/data.js'
import { byteSize, OutboundQueue, type Data, type DropReason, type Entry } from '../core/queue.js'
import { routeSend } from '../core/transition.js'
import type { Resolved } from '../options/validate.js'
import { errorText } from './errors.js'
import { Mailbox, type EventSink } from './mailbox.js'
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
}

export abstract class Outbound extends Mailbox {
  readonly queue: OutboundQueue
  /** The one observer of the traffic (lifeline-ws/monitor's), or undefined for none. */
  observer: Observer | undefined = undefined
  /** Writes handed to the socket whose outcome its callback has yet to tell (see #writeAndWait). */
  #awaitingWrites = 0

  constructor(options: Resolved, sink: EventSink) {
    super(options, sink)
    this.queue = new OutboundQueue(options.queue)
  }

  /** The live socket, if there is one. */
  protected abstract live(): WebSocketLike | undefined

  /** Socket `id`, if it is still the live one. */
  protected abstract socketOf(id: number): WebSocketLike | undefined

  /** `settle` (optional) is told the message's fate: written, or dropped and why. */
  send(data: Data, settle?: Entry['settle']): boolean {
    const route = routeSend(this.state.phase, this.queue.length)
    if (route === 'write') {
      // the hot path: straight to an open socket, no allocation
      const ws = this.live()
      if (ws && ws.readyState === OPEN) return this.#write(ws, data, settle)
    } else if (route === 'drop') {
      this.raise({ type: 'emit', event: 'drop', data, reason: 'closed' })
      settle?.('closed')
      return false
    }
    this.hold()
    try {
      return this.#enqueue(data, settle)
    } finally {
      this.release()
    }
  }

  #enqueue(data: Data, settle: Entry['settle']): boolean {
    const queue = this.queue
    const now = this.options.timer.now()
    // a message past its ttl is gone before a new one is counted against the limits
    for (const old of queue.expire(now)) this.#drop(old, 'ttl')
    // the queue keeps a copy of binary data, made only once it is sure to keep it
    const { accepted, evicted } = queue.push(data, now, byteSize(data), settle)
    for (const old of evicted) this.#drop(old, 'overflow')
    if (!accepted) {
      this.raise({ type: 'emit', event: 'drop', data, reason: 'overflow' })
      settle?.('overflow')
      return false
    }
    this.dispatch({ type: 'queued', expires: queue.nextExpiry() ?? Infinity })
    return true
  }

  /** The core's `flush`: write the queue out, in order, while the socket takes it. */
  protected flush(id: number): void {
    const ws = this.socketOf(id)
    const queue = this.queue
    const before = queue.length
    while (ws && queue.length > 0 && ws.readyState === OPEN) {
      const entry = queue.shift()!
      this.#write(ws, entry.data, entry.settle)
    }
    this.#dequeued(before)
  }

  /** The core's `expire-queue`. */
  protected expire(): void {
    const before = this.queue.length
    for (const old of this.queue.expire(this.options.timer.now())) this.#drop(old, 'ttl')
    this.#dequeued(before)
  }

  /** The core's `drop-queue`. */
  protected dropAll(): void {
    for (const entry of this.queue.drain()) this.#drop(entry, 'closed')
  }

  /** Tell the core when messages left the queue: its ttl timer follows the oldest one left. */
  #dequeued(before: number): void {
    if (this.queue.length !== before) this.dispatch({ type: 'dequeued', expires: this.queue.nextExpiry() ?? Infinity })
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
    this.observer?.written(data)
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
        this.observer?.written(data)
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
    this.raise({ type: 'emit', event: 'error', code: 'SEND_FAILED', message: `send failed: ${errorText(error, this.options.redactParams)}` })
    this.raise({ type: 'emit', event: 'drop', data, reason: 'error' })
    settle?.('error')
  }

  #drop(entry: Entry, reason: DropReason): void {
    this.raise({ type: 'emit', event: 'drop', data: entry.data, reason })
    entry.settle?.(reason)
  }
}
