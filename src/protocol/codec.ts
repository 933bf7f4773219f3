/**
 * The lifeline.v1 wire format (docs/PROTOCOL.md): every frame is one binary WebSocket message whose
 * first byte says what it is. DATA frames carry the payload after that one byte, untouched (text is
 * its UTF-8 bytes, binary as is: no base64). Integers are unsigned LEB128 varints up to 2^53 − 1.
 * Pure and client-safe: no Node imports.
 */

/** The subprotocol token a client offers and a session server picks. */
export const SUBPROTOCOL = 'lifeline.v1'

/** DATA kinds are 0x00–0x03: bit 0 binary (else UTF-8 text), bit 1 more chunks of this message follow. */
export const DATA_BINARY = 0x01
export const DATA_MORE = 0x02
export const ACK = 0x10
export const PING = 0x11
export const PONG = 0x12
export const HELLO = 0x20
export const WELCOME = 0x21
export const DRAIN = 0x30
export const END = 0x31

export type Frame =
  | { type: 'data'; binary: boolean; more: boolean; payload: Uint8Array }
  | { type: 'ack'; count: number }
  | { type: 'ping' }
  | { type: 'pong' }
  | { type: 'hello'; received: number; window: number; token: Uint8Array }
  | ({ type: 'welcome' } & Welcome)
  | { type: 'drain'; delay: number }
  | { type: 'end' }

/** What the server states when a connection joins a session. Durations in ms, sizes in bytes. */
export interface Welcome {
  resumed: boolean
  /** Messages the server has received from the client in this session (the client replays after it). */
  received: number
  /** Unacknowledged bytes the server accepts from the client. */
  window: number
  /** Largest message (reassembled) the server accepts. */
  maxMessage: number
  heartbeatInterval: number
  heartbeatTimeout: number
  resumeWindow: number
  /** Longest the server waits before acknowledging what it has handled. */
  ackDelay: number
  /** Opaque, ≤ 255 bytes: the client sends it back in HELLO to resume. */
  token: Uint8Array
  /** The application subprotocol the server chose among the client's others ('' for none). */
  protocol: string
}

/** A frame that breaks the protocol; `code` is the close code to end the connection with. */
export class ProtocolError extends Error {
  override readonly name = 'ProtocolError'
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message)
  }
}

export const CLOSE = Object.freeze({
  /** Malformed or unexpected frame, or a sequence number the peer could not have. */
  protocol: 1002,
  /** A text message that is not UTF-8. */
  invalidText: 1007,
  /** Resume token rejected, or the peer wrote beyond the window. */
  policy: 1008,
  messageTooBig: 1009,
  /** drain: the deadline passed with the client still here. */
  restart: 1012,
  /** Too many sessions: retry later. */
  tryLater: 1013,
  /** Another connection resumed this session. */
  replaced: 4409,
  /** The server ended the session (session.close()). */
  ended: 4410,
  /** The session ended: the peer left too many messages unacknowledged. */
  bufferFull: 4413,
})

const MAX_VARINT_BYTES = 8

function varintLength(value: number): number {
  let n = 1
  while (value >= 0x80) {
    value = Math.floor(value / 128)
    n++
  }
  return n
}

function writeVarint(out: Uint8Array, at: number, value: number): number {
  while (value >= 0x80) {
    out[at++] = (value % 128) | 0x80
    value = Math.floor(value / 128)
  }
  out[at++] = value
  return at
}

/** A cursor over a frame being decoded; every read past the end is a ProtocolError. */
class Reader {
  at = 1
  constructor(private readonly bytes: Uint8Array) {}

  varint(field: string): number {
    let value = 0
    let scale = 1
    for (let i = 0; i < MAX_VARINT_BYTES; i++) {
      const byte = this.bytes[this.at++]
      if (byte === undefined) throw malformed(`${field} is cut short`)
      value += (byte & 0x7f) * scale
      if (byte < 0x80) {
        if (value > Number.MAX_SAFE_INTEGER) break
        return value
      }
      scale *= 128
    }
    throw malformed(`${field} is not a varint below 2^53`)
  }

  bytesOf(length: number, field: string): Uint8Array {
    if (this.at + length > this.bytes.length) throw malformed(`${field} is cut short`)
    return this.bytes.subarray(this.at, (this.at += length))
  }

  rest(): Uint8Array {
    return this.bytes.subarray(this.at)
  }

  end(kind: string): void {
    if (this.at !== this.bytes.length) throw malformed(`${kind} has ${this.bytes.length - this.at} trailing bytes`)
  }
}

function malformed(why: string): ProtocolError {
  return new ProtocolError(CLOSE.protocol, `malformed frame: ${why}`)
}

const utf8 = /* @__PURE__ */ new TextEncoder()
const strictUtf8 = /* @__PURE__ */ new TextDecoder('utf-8', { fatal: true })

/** UTF-8 bytes → string; a ProtocolError (1007) when they are not UTF-8. */
export function decodeText(bytes: Uint8Array): string {
  try {
    return strictUtf8.decode(bytes)
  } catch {
    throw new ProtocolError(CLOSE.invalidText, 'text message is not valid UTF-8')
  }
}

export function encodeText(text: string): Uint8Array {
  return utf8.encode(text)
}

/** Text frames up to a quarter of this are carved from shared slabs: one ArrayBuffer per slab, not two per message. */
const SLAB = 64 << 10
let slab = new Uint8Array(0)
let slabUsed = 0

/**
 * A text message as its whole DATA frame (kind 0x00, then its UTF-8), encoded straight into a slab
 * that is never written twice (a frame is held until acknowledged); undefined for a long text.
 */
export function encodeTextFrame(text: string): Uint8Array | undefined {
  const room = text.length * 3 + 1
  if (room > SLAB / 4) return
  if (slabUsed + room > slab.length) slab = new Uint8Array(SLAB), (slabUsed = 0)
  // the kind byte is the slab's 0
  return slab.subarray(slabUsed, (slabUsed += 1 + utf8.encodeInto(text, slab.subarray(slabUsed + 1)).written))
}

/** One DATA frame: a byte of kind and the (chunk of the) payload. */
export function encodeData(payload: Uint8Array, binary: boolean, more: boolean): Uint8Array {
  const out = new Uint8Array(payload.length + 1)
  out[0] = (binary ? DATA_BINARY : 0) | (more ? DATA_MORE : 0)
  out.set(payload, 1)
  return out
}

function withVarints(kind: number, values: number[], tail?: Uint8Array): Uint8Array {
  let length = 1 + (tail ? tail.length : 0)
  for (const v of values) length += varintLength(v)
  const out = new Uint8Array(length)
  out[0] = kind
  let at = 1
  for (const v of values) at = writeVarint(out, at, v)
  if (tail) out.set(tail, at)
  return out
}

export function encodeAck(count: number): Uint8Array {
  return withVarints(ACK, [count])
}

export const encodePing = (): Uint8Array => Uint8Array.of(PING)
export const encodePong = (): Uint8Array => Uint8Array.of(PONG)
export const encodeEnd = (): Uint8Array => Uint8Array.of(END)

export function encodeDrain(delay: number): Uint8Array {
  return withVarints(DRAIN, [delay])
}

/** HELLO: the client's received count, its inbound window, and the token (empty for a new session). */
export function encodeHello(received: number, window: number, token: Uint8Array): Uint8Array {
  return withVarints(HELLO, [received, window], token)
}

export function encodeWelcome(w: Welcome): Uint8Array {
  if (w.token.length > 255) throw new RangeError(`welcome token is ${w.token.length} bytes; at most 255`)
  const protocol = utf8.encode(w.protocol)
  const tail = new Uint8Array(1 + w.token.length + protocol.length)
  tail[0] = w.token.length
  tail.set(w.token, 1)
  tail.set(protocol, 1 + w.token.length)
  const numbers = [w.received, w.window, w.maxMessage, w.heartbeatInterval, w.heartbeatTimeout, w.resumeWindow, w.ackDelay]
  const out = withVarints(WELCOME, [w.resumed ? 1 : 0, ...numbers], tail)
  return out
}

/** Decode one frame; a ProtocolError for anything that is not exactly a lifeline.v1 frame. */
export function decodeFrame(bytes: Uint8Array): Frame {
  const kind = bytes[0]
  if (kind === undefined) throw malformed('empty frame')
  if (kind <= 0x03) return { type: 'data', binary: (kind & DATA_BINARY) !== 0, more: (kind & DATA_MORE) !== 0, payload: bytes.subarray(1) }
  const r = new Reader(bytes)
  let frame: Frame
  switch (kind) {
    case ACK:
      frame = { type: 'ack', count: r.varint('ack count') }
      break
    case PING:
      frame = { type: 'ping' }
      break
    case PONG:
      frame = { type: 'pong' }
      break
    case END:
      frame = { type: 'end' }
      break
    case DRAIN:
      frame = { type: 'drain', delay: r.varint('drain delay') }
      break
    case HELLO: {
      const received = r.varint('hello received')
      const window = r.varint('hello window')
      const token = r.rest()
      if (token.length > 255) throw malformed(`hello token is ${token.length} bytes; at most 255`)
      return { type: 'hello', received, window, token }
    }
    case WELCOME: {
      const flags = r.varint('welcome flags')
      if (flags > 1) throw malformed(`welcome flags ${flags} unknown`)
      const [received, window, maxMessage, heartbeatInterval, heartbeatTimeout, resumeWindow, ackDelay] = [
        'received', 'window', 'maxMessage', 'heartbeatInterval', 'heartbeatTimeout', 'resumeWindow', 'ackDelay',
      ].map((field) => r.varint(`welcome ${field}`)) as [number, number, number, number, number, number, number]
      const token = r.bytesOf(r.bytesOf(1, 'welcome token length')[0]!, 'welcome token')
      const protocol = decodeText(r.rest())
      return { type: 'welcome', resumed: flags === 1, received, window, maxMessage, heartbeatInterval, heartbeatTimeout, resumeWindow, ackDelay, token, protocol }
    }
    default:
      throw malformed(`unknown frame kind 0x${kind.toString(16).padStart(2, '0')}`)
  }
  r.end(frame.type)
  return frame
}
