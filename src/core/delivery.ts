/**
 * Messages written to a socket but not yet confirmed. WebSocket frames are ordered: a pong answers a
 * ping only once the peer's stack has read every frame written before that ping, so an answered
 * ping confirms every write before it (a cumulative acknowledgement, with any RFC 6455 server), and
 * so does a clean close (both close frames). A plain data structure like the queue: no timers, no
 * I/O; the caller passes the time and reports what it returns.
 *
 * Positions: the n-th message written on the current socket has position n; a ping records the
 * position of the last write before it. Positions start again at 0 on each socket.
 */
import { byteSize, type Data, type Entry } from './queue.js'

/** What happens to unconfirmed messages when their socket is abandoned. */
export type Delivery = 'report' | 'resend'

/** A written message waiting for confirmation. */
export interface Written {
  readonly data: Data
  readonly bytes: number
  readonly settle: Entry['settle']
  /**
   * When it was written (ms on the injected clock): confirmation latency runs from here. NaN when
   * it was not timed (nothing observed latency when it was written: the clock is not read per write).
   */
  readonly at: number
}

/** Told of a message leaving the delivery window, without an object for it (this runs for every message written). */
export type EachWritten = (settle: Entry['settle'], at: number, data: Data, bytes: number) => void

type Limits = { readonly maxMessages: number; readonly maxBytes: number }

/** What holds messages against the queue's limits: its own length and bytes. */
export interface Held {
  readonly length: number
  readonly bytes: number
}

/**
 * Whether one more message of `bytes` fits beside what the queue and the delivery record holds
 * together (`heldBytes`: the record's bytes, or at most as many: see DeliveryWindow.bytesAtMost).
 */
export function fitsBeside(limits: Limits, queued: Held, held: Held, bytes: number, heldBytes = held.bytes): boolean {
  return queued.length + held.length < limits.maxMessages && queued.bytes + heldBytes + bytes <= limits.maxBytes
}

/**
 * When the confirmation ping should go out, from plain readings (the core can call this): `delay`
 * after the first write no ping covers yet, and only while no ping is outstanding (its answer
 * confirms something already, and the next ping then covers the whole burst). Undefined: no ping
 * needed, so an idle link costs nothing.
 */
export function confirmationDue(unpingedSince: number | undefined, outstanding: number, delay: number): number | undefined {
  return unpingedSince === undefined || outstanding > 0 ? undefined : unpingedSince + delay
}

/** The ring's first size: 16 messages (4 slots each). */
const MIN_SLOTS = 64
/** No ring yet: shared, never written to (the first write grows a ring of its own). */
const NO_SLOTS: unknown[] = []

export class DeliveryWindow {
  /**
   * Unconfirmed writes on this socket, a ring of 4 slots a message: data, bytes, settle, at, the
   * oldest from slot `head`. Its length is a power of two (or 0: nothing written yet), so a slot
   * wraps with a mask; it doubles when full. No object per write and nothing moved per
   * confirmation: recording and confirming are a few stores each. Slots of confirmed messages are
   * cleared. The bytes of a string not counted yet are ~(its UTF-16 length), a negative number (see `bytes`).
   */
  private held: unknown[] = NO_SLOTS
  private head = 0
  /** Position of the last confirmed write (0: none yet): the message at `head` has position base + 1. */
  private base = 0
  /**
   * Positions of the pings sent and not yet answered, oldest first; when each was sent; and when the
   * first write it covers was made (NaN: it covers none). The writes need no time of their own.
   */
  private pings: number[] = []
  private pingTimes: number[] = []
  private pingCovers: number[] = []
  /** Messages of abandoned sockets to write first on the next one ('resend'), oldest first. */
  private resend: (Written | undefined)[] = []
  private resendHead = 0
  /** Unconfirmed writes of the socket in a graceful close (handed over), settled when its end is known. */
  private parked: Written[] = []
  /** Position of the last write on this socket (0: none yet). */
  written = 0
  /**
   * At most this many bytes held: exact but for the strings not counted yet, at 3 bytes a UTF-16 unit
   * (UTF-8's most). Most strings are confirmed before anything reads the bytes held, and counting
   * each one's UTF-8 size was most of what a write cost.
   */
  bytesAtMost = 0
  /** Strings held and not counted yet. */
  private uncounted = 0
  /** When the oldest write that no ping covers was made; undefined when every write is covered. */
  unpingedSince: number | undefined = undefined
  /** Totals for stats(): confirmed, still unconfirmed when their socket was abandoned, written again. */
  confirmed = 0
  abandoned = 0
  resent = 0

  /** Bytes held: unconfirmed and waiting to be resent (the strings not counted yet are counted now). */
  get bytes(): number {
    if (this.uncounted > 0) this.countAll()
    return this.bytesAtMost
  }

  /** Messages held: unconfirmed on this socket plus those waiting to be resent. */
  get length(): number {
    return this.written - this.base + this.resend.length - this.resendHead + this.parked.length
  }

  /** Messages waiting to be written again. */
  get waiting(): number {
    return this.resend.length - this.resendHead
  }

  /** Pings sent on this socket and not yet answered. */
  get outstanding(): number {
    return this.pings.length
  }

  /**
   * A message was written to the socket at `at`: undefined when not timed (a number kept per write
   * would be a heap allocation each), but the first write no ping covers (unpingedSince undefined)
   * must be timed: the confirmation ping is due from it. `bytes` NaN: not counted yet (a string is
   * counted only when the bytes held are read, anything else now).
   */
  record(data: Data, bytes: number, settle: Entry['settle'], at: number | undefined): void {
    const count = this.written - this.base
    const held = count * 4 === this.held.length ? this.grow() : this.held
    const slot = (this.head + count * 4) & (held.length - 1)
    held[slot] = data
    if (bytes !== bytes) bytes = typeof data === 'string' ? ~data.length : byteSize(data)
    if (bytes < 0) this.uncounted++
    this.bytesAtMost += bytes < 0 ? 3 * ~bytes : bytes
    held[slot + 1] = bytes
    held[slot + 2] = settle
    held[slot + 3] = at
    this.written++
    this.unpingedSince ??= at
  }

  /**
   * When writes on this socket began to wait for a ping's answer: the later of the oldest
   * unanswered ping and the oldest unconfirmed write. Undefined when no write waits on a ping
   * (the core times the answer from here: inbound data does not stand in for it).
   */
  get awaitingSince(): number | undefined {
    if (this.pings.length === 0 || this.written === this.base) return undefined
    // the oldest unconfirmed write is the first one an outstanding ping covers, else one no ping covers yet
    const covers = this.pingCovers.find((at) => at === at) ?? this.unpingedSince!
    return Math.max(this.pingTimes[0]!, covers)
  }

  /** When the oldest unanswered ping was sent (the next pong answers it); undefined when none is. */
  get pingedAt(): number | undefined {
    return this.pingTimes[0]
  }

  /** A ping was written at `now`, after everything recorded so far. Returns its position (a pong may echo it). */
  ping(now: number): number {
    this.pings.push(this.written)
    this.pingTimes.push(now)
    this.pingCovers.push(this.unpingedSince ?? NaN)
    this.unpingedSince = undefined
    return this.written
  }

  /**
   * A pong arrived. Pongs answer pings in order, so it answers the oldest outstanding one; where the
   * pong echoes the position its ping carried, that ping (a peer may answer only the latest of
   * several, RFC 6455 5.5.3). An echo of no outstanding ping, or a pong with none outstanding,
   * confirms nothing. Calls `each` with the confirmed messages, oldest first (`all` false: only
   * those with a settle callback; nothing else needs telling one by one).
   */
  pong(position: number | undefined, each: EachWritten, all = true): void {
    const pings = this.pings
    const index = position === undefined ? (pings.length > 0 ? 0 : -1) : pings.indexOf(position)
    if (index < 0) return
    const upTo = pings[index]!
    // the usual case, the oldest answered: shift, which makes no array of what it removes
    if (index === 0) {
      pings.shift()
      this.pingTimes.shift()
      this.pingCovers.shift()
    } else {
      pings.splice(0, index + 1)
      this.pingTimes.splice(0, index + 1)
      this.pingCovers.splice(0, index + 1)
    }
    if (upTo === this.base) {
      // nothing written since the last ping: an idle link lets go of its ring (a burst's may be long)
      if (upTo === this.written) this.held = NO_SLOTS
      return
    }
    this.confirmed += upTo - this.base
    this.bytesAtMost -= this.retire(upTo, each, all)
  }

  /** Both close frames went through: every write on this socket was read. */
  closedCleanly(): Written[] {
    const confirmed = this.take()
    this.confirmed += confirmed.length
    for (const entry of confirmed) this.bytesAtMost -= entry.bytes
    this.reset()
    return confirmed
  }

  /**
   * The socket is abandoned (dead, replaced, closed without a handshake). Returns what must be
   * reported now ('report': every unconfirmed message); 'resend' keeps them, ahead of any still
   * waiting, to go out first on the next socket.
   */
  abandon(delivery: Delivery): Written[] {
    const lost = this.take()
    this.abandoned += lost.length
    this.reset()
    if (delivery === 'report') {
      for (const entry of lost) this.bytesAtMost -= entry.bytes
      return lost
    }
    this.resend = [...lost, ...this.resend.slice(this.resendHead)]
    this.resendHead = 0
    return []
  }

  /**
   * The live socket goes into a graceful close (a handover, or close()): its unconfirmed writes wait
   * for its end (see settleParked), and positions start again for the next socket.
   */
  park(): void {
    this.parked = this.parked.length === 0 ? this.take() : [...this.parked, ...this.take()]
    this.reset()
  }

  /**
   * The socket ended: its writes ('parked': the one in a graceful close, else the live one) are
   * confirmed (a clean close), reported, or kept to resend. Returns those to confirm or report.
   */
  settle(parked: boolean, outcome: Delivery | 'confirm'): Written[] {
    if (!parked) return outcome === 'confirm' ? this.closedCleanly() : this.abandon(outcome)
    const entries = this.parked
    this.parked = []
    if (outcome === 'resend') {
      this.abandoned += entries.length
      this.resend = [...entries, ...this.resend.slice(this.resendHead)]
      this.resendHead = 0
      return []
    }
    if (outcome === 'confirm') this.confirmed += entries.length
    else this.abandoned += entries.length
    for (const entry of entries) this.bytesAtMost -= entry.bytes
    return entries
  }

  /**
   * A message found written only late (a write callback that came after its socket was replaced:
   * it was never recorded there). `parked`: to the socket in a graceful close, so it waits with its
   * writes; else that socket was abandoned, and it is kept to write again, after what it left to resend.
   */
  late(entry: Written, parked: boolean): void {
    ;(parked ? this.parked : this.resend).push(entry)
    this.bytesAtMost += entry.bytes
    if (!parked) this.abandoned++
  }

  /** The next message to write again, oldest first; write it, then record() it like any other. */
  nextResend(): Written | undefined {
    const entry = this.resend[this.resendHead]
    if (!entry) return undefined
    this.resend[this.resendHead++] = undefined
    if (this.resendHead === this.resend.length) {
      this.resend = []
      this.resendHead = 0
    }
    this.bytesAtMost -= entry.bytes
    this.resent++
    return entry
  }

  /** The messages waiting to be written again, removed, oldest first (closed for good: they never will be). */
  takeWaiting(): Written[] {
    const all = this.resend.slice(this.resendHead) as Written[]
    this.resend = []
    this.resendHead = 0
    for (const entry of all) this.bytesAtMost -= entry.bytes
    return all
  }

  /** Everything held, oldest first, for a socket closed for good: unconfirmed, then waiting to be resent. */
  drain(): Written[] {
    const all = [...this.parked, ...this.take(), ...(this.resend.slice(this.resendHead) as Written[])]
    this.parked = []
    this.resend = []
    this.resendHead = 0
    this.reset()
    this.bytesAtMost = 0
    return all
  }

  /** Every unconfirmed write on this socket, oldest first, removed (bytes still counted; the caller resets). */
  private take(): Written[] {
    if (this.uncounted > 0) this.countAll()
    const all: Written[] = []
    this.retire(this.written, (settle, at, data, bytes) => all.push({ data, bytes, settle, at }), true)
    return all
  }

  /** Count the strings not counted yet. */
  private countAll(): void {
    const held = this.held
    const mask = held.length - 1
    for (let n = this.written - this.base, slot = this.head; n > 0; n--, slot = (slot + 4) & mask) {
      const size = held[slot + 1] as number
      if (size < 0) this.bytesAtMost += (held[slot + 1] = byteSize(held[slot] as Data)) - 3 * ~size
    }
    this.uncounted = 0
  }

  /**
   * Remove the writes up to position `upTo`, oldest first, handing each to `each` (`all` false:
   * only those with a settle callback). Returns their bytes at most (see bytesAtMost). The ring
   * moves on before `each` is called, and each slot is cleared before its message is handed over.
   */
  private retire(upTo: number, each: EachWritten, all: boolean): number {
    const held = this.held
    const mask = held.length - 1
    const count = upTo - this.base
    let slot = this.head
    this.head = (slot + count * 4) & mask
    this.base = upTo
    let bytes = 0
    for (let n = count; n > 0; n--, slot = (slot + 4) & mask) {
      const data = held[slot] as Data
      const size = held[slot + 1] as number
      const settle = held[slot + 2] as Entry['settle']
      held[slot] = held[slot + 2] = undefined
      if (size < 0) this.uncounted--
      bytes += size < 0 ? 3 * ~size : size
      if (all || settle !== undefined) each(settle, (held[slot + 3] as number | undefined) ?? NaN, data, size >= 0 ? size : byteSize(data))
    }
    return bytes
  }

  /** Double the ring (from nothing: MIN_SLOTS), its messages unwrapped to start at slot 0. */
  private grow(): unknown[] {
    const { held, head } = this
    const grown = held.slice(head).concat(held.slice(0, head))
    grown.length = held.length * 2 || MIN_SLOTS
    this.head = 0
    return (this.held = grown)
  }

  /** A new socket: positions start again. */
  private reset(): void {
    this.held = NO_SLOTS
    this.head = 0
    this.base = 0
    this.written = 0
    this.pings = []
    this.pingTimes = []
    this.pingCovers = []
    this.unpingedSince = undefined
  }
}
