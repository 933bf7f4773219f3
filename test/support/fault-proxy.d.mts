/** Types for fault-proxy.mjs (a userspace TCP fault proxy on 127.0.0.1 for tests, demos and soak runs). */
import { EventEmitter } from 'node:events'
import type { Socket } from 'node:net'

export interface ProxyTarget {
  /** Only '127.0.0.1' (or 'localhost', which means it) is accepted. @default '127.0.0.1' */
  host?: string
  port: number
}

export interface SlowOptions {
  /** One-way delay added to every chunk, per direction (ms). @default 0 */
  latencyMs?: number
  /** Rate limit per direction; 0 for none. @default 0 */
  bytesPerSecond?: number
}

export type ProxyMode = 'forward' | 'silence' | 'slow'

export interface DirectionStats {
  /** Bytes written on towards the other side. */
  forwarded: number
  /** Bytes dropped: arrived during silence, or queued when silence began. */
  discarded: number
}

export interface ProxyStats {
  /** client → target */
  up: DirectionStats
  /** target → client */
  down: DirectionStats
  /** Client connections accepted (including refused ones). */
  accepted: number
  /** Client connections reset on arrival because of refuse(). */
  refused: number
}

/** One client connection and its upstream connection. */
export interface ProxyPair {
  readonly client: Socket
  readonly upstream: Socket
  /** Both sockets are gone. */
  readonly gone: boolean
  /** Resolves once both sockets are gone. */
  readonly closed: Promise<void>
}

export declare class FaultProxy extends EventEmitter {
  constructor(options: { target: ProxyTarget; listenPort?: number })
  readonly target: Required<ProxyTarget>
  /** The port it listens on (0 before start()). */
  readonly port: number
  readonly mode: ProxyMode
  readonly refusing: boolean
  readonly stats: ProxyStats
  /** Client connections not yet fully closed (a silence can leave one side open until heal()). */
  readonly connections: number
  /** Listen on 127.0.0.1; resolves to the port. */
  start(): Promise<number>
  /** Forward normally (flushes anything a slow link still held, in order). */
  forward(): this
  /** Half-open link: keep both sockets open, forward nothing either way, discard what arrives. */
  silence(): this
  /** One-way loss: bytes going `direction` ('up': client → target, 'down': target → client) are discarded; heal() ends it. */
  drop(direction: 'up' | 'down'): this
  /**
   * Forward again, for data arriving from now on. A connection one side of which ended or closed
   * during the silence is reset (RST) on its other side, as a real peer's kernel would answer.
   */
  heal(): this
  /** Delay and rate-limit every chunk, per direction. */
  slow(options?: SlowOptions): this
  /** Destroy every current connection with a TCP RST on both sockets. */
  reset(): this
  /** While on, new connections are reset as soon as they are accepted. */
  refuse(on?: boolean): this
  /** Destroy every socket, clear every timer, close the listener. Idempotent. */
  close(): Promise<void>
  on(event: 'connection' | 'connection-closed', listener: (pair: ProxyPair) => void): this
  once(event: 'connection' | 'connection-closed', listener: (pair: ProxyPair) => void): this
  off(event: 'connection' | 'connection-closed', listener: (pair: ProxyPair) => void): this
}

export declare function createFaultProxy(options: { target: ProxyTarget; listenPort?: number }): FaultProxy
