/**
 * The bounded outbound queue used while the socket is not open: limited by count and bytes, with an
 * overflow rule and an optional time to live. A plain data structure: no timers, no I/O. The caller
 * reports what it returns (evicted or expired messages) as `'drop'` events.
 */
import { byteSize, copyOf, type Data } from './data.js'

export type { Data }
export { byteSize }

export type Overflow = 'reject' | 'drop-oldest'

export interface QueuePolicy {
  readonly maxMessages: number
  readonly maxBytes: number
  readonly overflow: Overflow
  /** ms a message may wait; undefined: forever. */
  readonly ttl: number | undefined
}

/**
 * Why a message was not sent, or not known to have arrived (what the caller reports): 'unconfirmed'
 * is a message written to a socket that died before it was confirmed (delivery: 'report').
 */
export type DropReason = 'overflow' | 'ttl' | 'closed' | 'error' | 'unconfirmed' | 'suspended'

export interface Entry {
  readonly data: Data
  readonly bytes: number
  readonly expires: number
  /** Told the message's fate: undefined when it was written, else why it was dropped. */
  readonly settle: ((dropped?: DropReason) => void) | undefined
}

/** Nothing held beside the queue: one object for every queue. */
const NOTHING_BESIDE = Object.freeze({ length: 0, bytes: 0 })

export class OutboundQueue {
  /** Oldest first from `head`; slots before it are cleared, so a message left is no longer held. */
  private entries: (Entry | undefined)[] = []
  private head = 0
  /** Bytes currently queued. */
  bytes = 0
  /** The most messages ever queued at once. */
  highWater = 0

  /** `beside`: what else counts against the same limits (messages written and not yet confirmed). */
  constructor(
    readonly policy: QueuePolicy,
    public beside: { readonly length: number; readonly bytes: number } = NOTHING_BESIDE,
  ) {}

  get length(): number {
    return this.entries.length - this.head
  }

  /**
   * Queue a copy of `data` (the caller may reuse its buffer). Returns the messages that must be
   * reported as dropped for overflow: the new one itself when the policy rejects, or the oldest
   * ones evicted to make room.
   */
  push(
    data: Data,
    now: number,
    bytes = byteSize(data),
    settle?: Entry['settle'],
  ): { accepted: boolean; evicted: Entry[] } {
    const { maxMessages, maxBytes, overflow, ttl } = this.policy
    const evicted: Entry[] = []
    // `!(bytes <= maxBytes)` also refuses NaN, which no eviction could make fit
    if (maxMessages === 0 || !(bytes <= maxBytes)) return { accepted: false, evicted }
    if (!this.fits(bytes)) {
      // what is held beside the queue cannot be evicted: when that alone leaves no room, refuse
      if (overflow === 'reject' || !this.fits(bytes, true)) return { accepted: false, evicted }
      while (!this.fits(bytes)) evicted.push(this.shift()!)
    }
    // copied only once it is sure to be kept: refusing a huge view must not cost a copy of it
    this.entries.push({ data: copyOf(data), bytes, expires: ttl === undefined ? Infinity : now + ttl, settle })
    this.bytes += bytes
    if (this.length > this.highWater) this.highWater = this.length
    return { accepted: true, evicted }
  }

  /** Room for `bytes` more beside what is held (and what is queued, unless `alone`). */
  private fits(bytes: number, alone?: boolean): boolean {
    const { beside } = this
    return (alone ? 0 : this.length) + beside.length < this.policy.maxMessages && (alone ? 0 : this.bytes) + beside.bytes + bytes <= this.policy.maxBytes
  }

  shift(): Entry | undefined {
    const entry = this.entries[this.head]
    if (!entry) return undefined
    // release the slot at once: the queue's limits must bound the memory it holds
    this.entries[this.head] = undefined
    this.head++
    this.bytes -= entry.bytes
    // compact now and then so a long-lived queue does not keep a growing array of holes
    if (this.head > 64 && this.head * 2 > this.entries.length) {
      this.entries = this.entries.slice(this.head)
      this.head = 0
    }
    if (this.length === 0) {
      this.entries = []
      this.head = 0
    }
    return entry
  }

  /** Remove and return messages whose ttl has passed. One ttl for all, so they are a prefix. */
  expire(now: number): Entry[] {
    const expired: Entry[] = []
    while (this.length > 0 && this.entries[this.head]!.expires <= now) expired.push(this.shift()!)
    return expired
  }

  /** When the oldest message expires, or undefined if nothing can expire. */
  nextExpiry(): number | undefined {
    const entry = this.entries[this.head]
    return entry && entry.expires !== Infinity ? entry.expires : undefined
  }

  /** Empty the queue, returning everything that was in it, oldest first. */
  drain(): Entry[] {
    const all = this.entries.slice(this.head) as Entry[]
    this.entries = []
    this.head = 0
    this.bytes = 0
    return all
  }
}
