/**
 * Runs the `handshake` option on a socket that just opened (the core's `handshake` command): the
 * user's function gets a small socket to send and receive on, the attempt number and an
 * AbortSignal, and its outcome goes back to the core as `handshake-done` or `handshake-failed`.
 * Messages arriving meanwhile wait for `receive()`; those it did not take are delivered as
 * 'message' events right after 'open', so none is lost.
 */
import type { Data } from '../core/queue.js'
import type { HandshakeFailure } from '../core/state.js'
import { checkData } from '../options/validate.js'
import type { HandshakeOption, HandshakeSocket, WebSocketLike } from '../ports.js'
import { errorText } from './errors.js'


/** Who a handshake reports to (the driver). */
export interface HandshakeHost {
  handshakeSettled(run: HandshakeRun, failure?: HandshakeFailure, message?: string): void
}

export class HandshakeRun implements HandshakeSocket {
  readonly #ws: WebSocketLike
  readonly #abort = new AbortController()
  #inbox: unknown[] = []
  #waiting: { resolve: (data: unknown) => void; reject: (reason: unknown) => void }[] = []
  #over = false

  constructor(ws: WebSocketLike, readonly id: number) {
    this.#ws = ws
  }

  get protocol(): string {
    return this.#ws.protocol ?? ''
  }

  send(data: Data): void {
    // after the handshake this object is no longer the way to write: refuse loudly, never lose it
    if (this.#over) throw new Error('handshake socket.send(): the handshake is over; use the lifeline socket')
    checkData('handshake socket.send(data): data', data)
    this.#ws.send(data)
  }

  receive(): Promise<unknown> {
    if (this.#inbox.length > 0) return Promise.resolve(this.#inbox.shift())
    if (this.#abort.signal.aborted) return Promise.reject(this.#abort.signal.reason)
    return new Promise((resolve, reject) => this.#waiting.push({ resolve, reject }))
  }

  /** An inbound message while the handshake runs. */
  deliver(data: unknown): void {
    const waiter = this.#waiting.shift()
    if (waiter) waiter.resolve(data)
    else this.#inbox.push(data)
  }

  /** The handshake succeeded: the messages it did not take, in order. */
  finish(): unknown[] {
    this.#over = true
    return this.#inbox
  }

  /** The attempt was abandoned: the signal aborts, a pending receive() rejects. */
  abort(why: string): void {
    if (this.#over) return
    this.#over = true
    this.#inbox = []
    this.#abort.abort(new Error(`handshake abandoned: ${why}`))
    for (const waiter of this.#waiting.splice(0)) waiter.reject(this.#abort.signal.reason)
  }

  /** Call the user's handshake; whatever it returns or throws is reported once. */
  start(handshake: HandshakeOption, attempt: number, host: HandshakeHost, redactParams: readonly string[]): void {
    const failed = (error: unknown): void => host.handshakeSettled(this, failureOf(error), errorText(error, redactParams))
    try {
      Promise.resolve(handshake({ socket: this, attempt, signal: this.#abort.signal })).then(() => host.handshakeSettled(this), failed)
    } catch (error) {
      failed(error)
    }
  }
}

/** The rejection's own `kind`, when it is one the core treats apart; a getter that throws is 'error'. */
function failureOf(error: unknown): HandshakeFailure {
  try {
    const kind = error !== null && typeof error === 'object' && Object.prototype.hasOwnProperty.call(error, 'kind') ? (error as { kind: unknown }).kind : undefined
    return kind === 'auth' || kind === 'fatal' ? kind : 'error'
  } catch {
    return 'error'
  }
}
