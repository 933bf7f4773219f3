/**
 * One direction of a lifeline.v1 session, on each side: the sender's buffer of unacknowledged
 * messages ({@link Outbound}) and the receiver's counters and chunk reassembly ({@link Inbound}).
 * Pure: no timers, no sockets. The caller writes what `nextFrame()` returns, feeds DATA frames to
 * `receive()`, and decides when to send the ACK that `ackDue()` offers.
 *
 * Sequence numbers are implicit: message n is the n-th DATA message of its direction in the
 * session. A connection carries one direction's messages in order from the position the handshake
 * fixed (the receiver's `received`), so a frame needs no number, and no duplicate can arrive: the
 * sender never replays below what the receiver said it holds.
 */
import { CLOSE, encodeData, ProtocolError } from './codec.js'

export interface Message {
  payload: Uint8Array
  binary: boolean
  /**
   * The whole message as one DATA frame (header byte, then `payload`, which is its view), when the
   * sender made it so: written as it is when it goes unchunked, instead of copied into a new frame.
   */
  frame?: Uint8Array | undefined
  /** The client's: told the message's fate (no argument: acknowledged; else why it was dropped). */
  settle?: ((dropped?: 'closed' | 'error' | 'unconfirmed') => void) | undefined
}

/** The sender's side of one direction. */
export class Outbound {
  private messages: Message[] = []
  private head = 0
  /** Messages the peer has acknowledged (cumulative). */
  acked = 0
  /** Messages written whole on the current connection, counting from the start of the session. */
  written = 0
  /** Bytes of message `written + 1` already written as chunks. */
  private offset = 0
  /** Bytes of every unacknowledged message, written or not. */
  bufferedBytes = 0
  /** Bytes of the messages written (or begun) and not yet acknowledged: what the window bounds. */
  inflightBytes = 0

  /** The number of the last message pushed. */
  get last(): number {
    return this.acked + this.messages.length - this.head
  }

  /** Append a message; returns its sequence number. */
  push(message: Message): number {
    this.messages.push(message)
    this.bufferedBytes += message.payload.length
    return this.last
  }

  /**
   * The next DATA frame to write, at most `chunkSize` bytes of payload, or undefined when there is
   * nothing to write or the window is full. A message bigger than the window goes alone.
   */
  nextFrame(window: number, chunkSize: number): Uint8Array | undefined {
    const message = this.messages[this.head + this.written - this.acked]
    if (!message) return undefined
    const size = message.payload.length
    if (this.offset === 0) {
      if (this.inflightBytes > 0 && this.inflightBytes + size > window) return undefined
      this.inflightBytes += size
    }
    const end = Math.min(size, this.offset + chunkSize)
    const more = end < size
    if (this.offset === 0 && !more && message.frame) {
      this.written++
      return message.frame
    }
    const frame = encodeData(message.payload.subarray(this.offset, end), message.binary, more)
    if (more) this.offset = end
    else {
      this.offset = 0
      this.written++
    }
    return frame
  }

  /** A cumulative ACK. More than was written, or less than before, is a forged number. */
  ack(count: number): void {
    if (count > this.written) throw new ProtocolError(CLOSE.protocol, `ack ${count} beyond the ${this.written} messages sent`)
    if (count < this.acked) throw new ProtocolError(CLOSE.protocol, `ack ${count} below the earlier ack ${this.acked}`)
    while (this.acked < count) {
      const message = this.messages[this.head++]!
      const size = message.payload.length
      message.settle?.()
      this.bufferedBytes -= size
      this.inflightBytes -= size
      this.acked++
    }
    if (this.head > 64 && this.head * 2 > this.messages.length) {
      this.messages = this.messages.slice(this.head)
      this.head = 0
    }
  }

  /**
   * A new connection: the peer holds `received` messages; write again from the one after. What it
   * cannot have (more than was ever written whole) or what it already acknowledged having lost
   * (less than acked) is a forged number.
   */
  resume(received: number): void {
    if (received > this.written || received < this.acked) {
      throw new ProtocolError(CLOSE.protocol, `resume from ${received}: outside ${this.acked}..${this.written} (acknowledged..sent)`)
    }
    this.written = received
    this.offset = 0
    this.inflightBytes = 0
    for (let seq = this.acked + 1; seq <= received; seq++) this.inflightBytes += this.messages[this.head + seq - this.acked - 1]!.payload.length
  }

  /** Messages never acknowledged, oldest first, split into those written and those never written. */
  unacked(): { written: Message[]; unwritten: Message[] } {
    const all = this.messages.slice(this.head)
    return { written: all.slice(0, this.written - this.acked), unwritten: all.slice(this.written - this.acked) }
  }
}

/** The receiver's side of one direction. */
export class Inbound {
  /** Complete messages received in this session. */
  received = 0
  /** Messages the application has finished with, in order: what may be acknowledged. */
  handled = 0
  /** The count carried by the last ACK sent. */
  acked = 0
  /** Bytes received and not yet acknowledged: never more than the window (one message excepted). */
  unackedBytes = 0
  /** Bytes handled and not yet acknowledged. */
  handledBytes = 0
  private sizes: number[] = []
  private settledOutOfOrder = new Set<number>()
  private chunks: Uint8Array[] = []
  private partialBytes = 0
  /** The last ACK may have been lost with its connection: send the count again. */
  private reack = false

  constructor(
    /** Unacknowledged bytes this side accepts. */
    readonly window: number,
    /** Largest message (reassembled) this side accepts. */
    readonly maxMessage: number,
  ) {}

  /** A DATA frame: the message it completes, or undefined while chunks are still coming. */
  receive(binary: boolean, more: boolean, payload: Uint8Array): Message | undefined {
    const size = this.partialBytes + payload.length
    if (size > this.maxMessage) throw new ProtocolError(CLOSE.messageTooBig, `message of more than ${this.maxMessage} bytes`)
    if (more) {
      this.chunks.push(payload)
      this.partialBytes = size
      return undefined
    }
    if (this.unackedBytes > 0 && this.unackedBytes + size > this.window) {
      throw new ProtocolError(CLOSE.policy, `window exceeded: ${this.unackedBytes + size} unacknowledged bytes, window ${this.window}`)
    }
    let whole = payload
    if (this.chunks.length > 0) {
      whole = new Uint8Array(size)
      let at = 0
      for (const chunk of this.chunks) {
        whole.set(chunk, at)
        at += chunk.length
      }
      whole.set(payload, at)
      this.chunks = []
      this.partialBytes = 0
    }
    this.received++
    this.unackedBytes += size
    this.sizes.push(size)
    return { payload: whole, binary }
  }

  /** The application finished with message `seq` (in any order); handled advances over the contiguous run. */
  settle(seq: number): void {
    if (seq !== this.handled + 1) {
      this.settledOutOfOrder.add(seq)
      return
    }
    do {
      this.handled++
      this.handledBytes += this.sizes[this.handled - this.acked - 1]!
    } while (this.settledOutOfOrder.delete(this.handled + 1))
  }

  /** The count to acknowledge now, if it moved since the last ACK. */
  ackDue(): number | undefined {
    return this.handled > this.acked || (this.reack && this.handled > 0) ? this.handled : undefined
  }

  /** Half the window is handled and unacknowledged: acknowledge without waiting. */
  ackUrgent(): boolean {
    return this.handledBytes * 2 >= this.window
  }

  /** Record that an ACK of `count` (from ackDue) was written. */
  acknowledged(count: number): void {
    const released = this.sizes.splice(0, count - this.acked)
    for (const size of released) this.unackedBytes -= size
    this.handledBytes = 0
    for (let i = 0; i < this.handled - count; i++) this.handledBytes += this.sizes[i]!
    this.acked = count
    this.reack = false
  }

  /**
   * A connection ended: chunks of an unfinished message are dropped (the sender writes it again
   * whole), and the next connection repeats the last ACK, which may not have arrived.
   */
  cut(): void {
    this.chunks = []
    this.partialBytes = 0
    this.reack = true
  }
}
