/**
 * A minimal lifeline.v1 client for the server's tests, built on the pure protocol modules over a
 * raw `ws` client: HELLO/resume, send with the window and chunking, ACK what arrives, PONG every
 * PING, and on DRAIN move to a new connection after the delay the server chose. Each knob a
 * hostile test needs (never ack, never pong, raw frames) is an option. Not the product's client.
 */
import { EventEmitter } from 'node:events'
import { WebSocket } from 'ws'
import {
  decodeFrame,
  decodeText,
  encodeAck,
  encodeEnd,
  encodeHello,
  encodePong,
  encodeText,
  SUBPROTOCOL,
  type Welcome,
} from '../../src/protocol/codec.js'
import { Inbound, Outbound } from '../../src/protocol/session-state.js'
import { WaitTimeout } from './wait.js'

export interface SessionClientOptions {
  /** Acknowledge what arrives. @default true */
  ack?: boolean
  /** Answer PING. @default true */
  pong?: boolean
  /** On DRAIN, reconnect after the server's delay. @default true */
  followDrain?: boolean
  /** Subprotocols offered besides lifeline.v1. @default [] */
  protocols?: string[]
  window?: number
  chunkSize?: number
}

export type Received = string | Buffer

export class SessionClient extends EventEmitter {
  outbound = new Outbound()
  inbound: Inbound
  token: Uint8Array = new Uint8Array(0)
  welcome: Welcome | undefined
  ws: WebSocket | undefined
  /** Every message delivered to the "application", in order. */
  readonly received: Received[] = []
  /** `resumed` of each WELCOME. */
  readonly opens: boolean[] = []
  /** Close code and reason of each connection, in the order they closed. */
  readonly closes: Array<{ code: number; reason: string }> = []
  /** DATA frames received (chunks count one each). */
  dataFrames = 0
  /** PING frames received. */
  pings = 0
  private readonly options: Required<SessionClientOptions>

  constructor(
    /** Where to connect; a function, so a test can move the client (a proxy, another server). */
    public url: string,
    options: SessionClientOptions = {},
  ) {
    super()
    this.options = { ack: true, pong: true, followDrain: true, protocols: [], window: 1 << 20, chunkSize: 16 << 10, ...options }
    this.inbound = new Inbound(this.options.window, 64 << 20)
  }

  get connected(): boolean {
    return this.welcome !== undefined && this.ws?.readyState === WebSocket.OPEN
  }

  /** Open a connection and say HELLO (a resume when a token is held); resolves with the WELCOME. */
  connect(timeoutMs = 5_000): Promise<Welcome> {
    const ws = new WebSocket(this.url, [SUBPROTOCOL, ...this.options.protocols])
    ws.binaryType = 'nodebuffer'
    this.ws = ws
    this.welcome = undefined
    ws.on('error', () => {})
    ws.on('open', () => ws.send(encodeHello(this.inbound.received, this.options.window, this.token)))
    ws.on('message', (data, isBinary) => this.frame(ws, data as Buffer, isBinary))
    ws.on('close', (code, reason) => {
      this.closes.push({ code, reason: reason.toString() })
      if (ws !== this.ws) return
      this.welcome = undefined
      this.inbound.cut()
      this.emit('close', code, reason.toString())
    })
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        cleanup()
        reject(new WaitTimeout(`no WELCOME within ${timeoutMs} ms; closes: ${JSON.stringify(this.closes)}`))
      }, timeoutMs)
      const onWelcome = (w: Welcome): void => {
        cleanup()
        resolve(w)
      }
      const onClose = (code: number, reason: string): void => {
        cleanup()
        reject(new Error(`closed before WELCOME: ${code} ${reason}`))
      }
      const cleanup = (): void => {
        clearTimeout(timer)
        this.off('welcome', onWelcome)
        this.off('close', onClose)
      }
      this.on('welcome', onWelcome)
      this.on('close', onClose)
    })
  }

  send(data: string | Uint8Array): void {
    const binary = typeof data !== 'string'
    this.outbound.push({ payload: binary ? data : encodeText(data), binary })
    this.pump()
  }

  /** Write raw bytes (hostile tests). */
  raw(bytes: Uint8Array | string): void {
    this.ws!.send(bytes)
  }

  /** End the session (END, then close). */
  end(): void {
    this.ws?.send(encodeEnd())
    this.ws?.close(1000)
  }

  /** Drop the connection abruptly, as a dead link would. */
  kill(): void {
    this.ws?.terminate()
  }

  private pump(): void {
    if (!this.connected) return
    for (let frame; (frame = this.outbound.nextFrame(this.welcome!.window, this.options.chunkSize)); ) this.ws!.send(frame)
  }

  private frame(ws: WebSocket, data: Buffer, isBinary: boolean): void {
    if (ws !== this.ws) return
    const frame = decodeFrame(data)
    if (!isBinary) throw new Error('text frame from the server')
    switch (frame.type) {
      case 'welcome':
        this.welcome = frame
        if (!frame.resumed) {
          // a new session: what was never written goes on it; nothing else is carried over
          this.inbound = new Inbound(this.options.window, 64 << 20)
          const { unwritten } = this.outbound.unacked()
          this.outbound = new Outbound()
          for (const m of unwritten) this.outbound.push(m)
        } else this.outbound.resume(frame.received)
        this.token = frame.token.slice()
        this.opens.push(frame.resumed)
        this.emit('welcome', frame)
        this.ack() // repeats the last ACK, which may have been lost with the old connection
        this.pump()
        break
      case 'data': {
        this.dataFrames++
        const message = this.inbound.receive(frame.binary, frame.more, frame.payload)
        if (!message) break
        this.received.push(message.binary ? Buffer.from(message.payload) : decodeText(message.payload))
        this.inbound.settle(this.inbound.received)
        this.emit('message')
        if (this.options.ack) queueMicrotask(() => this.ack())
        break
      }
      case 'ack':
        this.outbound.ack(frame.count)
        this.pump()
        break
      case 'ping':
        this.pings++
        if (this.options.pong) ws.send(encodePong())
        break
      case 'drain':
        this.emit('drain', frame.delay)
        if (this.options.followDrain) {
          setTimeout(() => {
            ws.close(1000)
            this.connect().catch(() => {})
          }, frame.delay)
        }
        break
      default:
        throw new Error(`unexpected ${frame.type} from the server`)
    }
  }

  private ack(): void {
    const count = this.inbound.ackDue()
    if (count === undefined || !this.connected) return
    this.ws!.send(encodeAck(count))
    this.inbound.acknowledged(count)
  }
}
