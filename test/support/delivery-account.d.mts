/** Types for delivery-account.mjs (the delivery account of numbered messages, client vs server). */

/** What the client says happened to messages 0 … sent − 1 (plain data: it can cross IPC). */
export interface ClientRecord {
  /** Messages 0 … sent − 1 were passed to send(). */
  sent: number
  /** Confirmed (sendAsync() resolved). */
  confirmed: Iterable<number>
  /** Reported dropped: [seq, reason]. */
  dropped: Iterable<readonly [number, string]>
  /** Written more than once, when the client can tell (omit when it cannot). */
  resent?: Iterable<number>
}

/** What the server read, per connection in the order they were accepted, each in read order. */
export interface ServerRecord {
  connections: readonly { readonly id: string; readonly seqs: readonly number[] }[]
}

export interface Duplicate {
  seq: number
  /** The connections that read it, in order. */
  connections: string[]
  /** On the later connection, it sits in the leading run of messages read on earlier ones. */
  inResendPrefix: boolean
  /** Whether the client names it as resent; undefined when the client named none. */
  resent: boolean | undefined
}

export interface Account {
  sent: number
  /** Distinct messages read. */
  read: number
  /** Sent, never read, not reported dropped. */
  lost: number[]
  /** Lost, yet confirmed by the client. */
  falselyConfirmed: number[]
  duplicates: Duplicate[]
  outOfOrder: { connection: string; seq: number; after: number }[]
  droppedBy: Record<string, number>
  /** Reported dropped for a reason that means never written ('unconfirmed' excepted), yet read. */
  droppedButRead: { seq: number; reason: string }[]
  /** Read, but not a number that was sent. */
  phantom: { connection: string; seq: number }[]
  /** Neither confirmed nor dropped. */
  unsettled: number[]
  confirmedAndDropped: number[]
}

export declare function account(client: ClientRecord, server: ServerRecord): Account

/** What the account shows that `mode` does not allow, one line each (empty: all good). */
export declare function violations(result: Account, mode: 'report' | 'resend'): string[]

/** The number a message carries: the text up to its first space; undefined when not a whole number. */
export declare function seqOf(text: string): number | undefined

/** A ServerRecord from reads logged elsewhere (connection, text), in read order. */
export declare function recordOf(reads: Iterable<{ connection: string; text: string }>): ServerRecord
