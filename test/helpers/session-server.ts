/**
 * A scripted lifeline.v1 server on the fake WebSocket and the virtual clock, for the session
 * client's tests: one session at a time, built on the same pure protocol modules as the real
 * server. `step()` accepts new connections and reads what the client wrote on live ones; frames
 * written on a socket that died before a step are lost, as they would be on the wire.
 */
import { decodeFrame, decodeText, encodeAck, encodeDrain, encodePing, encodeText, encodeWelcome, SUBPROTOCOL } from '../../src/protocol/codec.js'
import { Inbound, Outbound } from '../../src/protocol/session-state.js'
import { createFakeServer, type FakeServer, type FakeSocket, type VirtualClock } from '../../src/index.testing.js'

export interface SessionServerOptions {
  interval?: number
  timeout?: number
  ackDelay?: number
  window?: number
  chunkSize?: number
  /** Pick lifeline.v1 when offered. @default true */
  sessions?: boolean
  /** The application protocol stated in WELCOME. @default '' */
  protocol?: string
}

interface ServerSession {
  token: Uint8Array
  outbound: Outbound
  inbound: Inbound
  socket: FakeSocket | undefined
}

export class FakeSessionServer {
  readonly fake: FakeServer
  /** What the application got from the client, in order, over every session. */
  readonly got: unknown[] = []
  /** `resumed` of every WELCOME sent. */
  readonly welcomes: boolean[] = []
  session: ServerSession | undefined = undefined
  private readonly read = new WeakMap<FakeSocket, number>()
  private readonly options: Required<SessionServerOptions>
  private lastPing: number
  private tokens = 0

  constructor(
    readonly clock: VirtualClock,
    options: SessionServerOptions = {},
  ) {
    this.fake = createFakeServer({ clock })
    this.options = { interval: 1_000, timeout: 500, ackDelay: 0, window: 1 << 20, chunkSize: 16 << 10, sessions: true, protocol: '', ...options }
    this.lastPing = clock.now()
  }

  get WebSocket() {
    return this.fake.WebSocket
  }

  /** Accept connections, read the client's frames, ping on schedule. */
  step(): void {
    for (const socket of this.fake.sockets) {
      if (socket.readyState === 0) {
        const offered = ([] as string[]).concat(socket.protocols ?? [])
        socket.accept(this.options.sessions && offered.includes(SUBPROTOCOL) ? SUBPROTOCOL : (offered.find((p) => p !== SUBPROTOCOL) ?? ''))
        this.read.set(socket, 0)
      }
      // a client closing its socket still delivers what it wrote before; a dropped one does not
      if (socket.readyState === 3) continue
      let at = this.read.get(socket) ?? 0
      while (at < socket.sent.length) this.frame(socket, socket.sent[at++] as Uint8Array)
      this.read.set(socket, at)
    }
    if (this.clock.now() - this.lastPing >= this.options.interval) {
      this.lastPing = this.clock.now()
      const socket = this.session?.socket
      if (socket?.readyState === 1) socket.deliver(encodePing())
    }
  }

  /** Advance the clock in small steps, stepping the server between them. */
  run(ms: number, stride = 10): void {
    for (let t = 0; t < ms; t += stride) {
      this.clock.advance(Math.min(stride, ms - t))
      this.step()
    }
  }

  send(text: string): void {
    if (!this.session) throw new Error('no session')
    this.session.outbound.push({ payload: encodeText(text), binary: false })
    this.pump()
  }

  drain(delay: number): void {
    this.session?.socket?.deliver(encodeDrain(delay))
  }

  /** The resume window passed: the session is gone. */
  forget(): void {
    this.session = undefined
  }

  private frame(socket: FakeSocket, bytes: Uint8Array): void {
    const frame = decodeFrame(bytes)
    if (frame.type === 'hello') {
      const known = this.session && frame.token.length > 0 && String(frame.token) === String(this.session.token)
      if (!known) {
        this.session = { token: Uint8Array.of(++this.tokens, 7, 7), outbound: new Outbound(), inbound: new Inbound(this.options.window, 1 << 20), socket }
      } else {
        this.session!.outbound.resume(frame.received)
        this.session!.inbound.cut()
      }
      const session = this.session!
      const previous = session.socket
      session.socket = socket
      if (previous && previous !== socket && previous.readyState === 1) previous.serverClose(4409, 'resumed elsewhere')
      this.welcomes.push(Boolean(known))
      socket.deliver(
        encodeWelcome({
          resumed: Boolean(known),
          received: known ? session.inbound.received : 0,
          window: this.options.window,
          maxMessage: 1 << 20,
          heartbeatInterval: this.options.interval,
          heartbeatTimeout: this.options.timeout,
          resumeWindow: 60_000,
          ackDelay: this.options.ackDelay,
          token: session.token,
          protocol: this.options.protocol,
        }),
      )
      this.ack()
      this.pump()
      return
    }
    const session = this.session
    if (!session || session.socket !== socket) return
    switch (frame.type) {
      case 'data': {
        const message = session.inbound.receive(frame.binary, frame.more, frame.payload)
        if (!message) return
        this.got.push(message.binary ? Array.from(message.payload) : decodeText(message.payload))
        session.inbound.settle(session.inbound.received)
        this.ack()
        return
      }
      case 'ack':
        session.outbound.ack(frame.count)
        return this.pump()
      case 'end':
        this.session = undefined
        return
      case 'pong':
        return
      default:
        throw new Error(`unexpected ${frame.type} from the client`)
    }
  }

  private ack(): void {
    const session = this.session
    const count = session?.inbound.ackDue()
    if (!session || count === undefined || session.socket?.readyState !== 1) return
    session.socket.deliver(encodeAck(count))
    session.inbound.acknowledged(count)
  }

  private pump(): void {
    const session = this.session
    const socket = session?.socket
    if (!session || socket?.readyState !== 1) return
    for (let frame; (frame = session.outbound.nextFrame(1 << 20, this.options.chunkSize)); ) socket.deliver(frame)
  }
}
