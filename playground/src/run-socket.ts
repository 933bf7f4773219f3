/**
 * One playground socket and what the page shows of it, the same code in the page and in the
 * worker (socket.worker.ts): `createSocket` from 'lifeline-ws' is the browser build in the page and
 * the worker build in a worker (Vite resolves the package's "exports" per bundle), `monitor()` counts
 * it, and every event goes out as plain data a worker can post.
 */
import { createSocket, type Disconnect, type EnvSignal, type LifelineSocket, type Phase, type SocketOptions, type Stats } from 'lifeline-ws'
import { monitor, type SocketMonitor } from 'lifeline-ws/monitor'
import { session } from 'lifeline-ws/session'

/** What starts a socket: the editor's options (JSON, url included) and whether to open a lifeline.v1 session. */
export interface SocketSpec {
  options: Record<string, unknown>
  session: boolean
}

/** The result of one send(): accepted or refused, the drops reported inside it, and whether it was written at once. */
export interface SendResult {
  n: number
  text: string
  ok: boolean
  wasOpen: boolean
  /** Drop reasons of this same text reported during the call (a refusal, or an older copy evicted). */
  drops: string[]
}

/** Every event of the socket, as data (errors as code and message: a LifelineError cannot be posted). */
export type SocketEvent =
  | { name: 'state'; to: Phase; from: Phase; reason: string }
  | { name: 'open'; protocol: string; resumed: boolean; session: boolean }
  | { name: 'message'; data: string | ArrayBuffer }
  | { name: 'close'; code: number; reason: string; wasClean: boolean }
  | { name: 'error'; code: string; message: string }
  | { name: 'reconnecting'; attempt: number; delay: number }
  | { name: 'drop'; data: string | ArrayBuffer; reason: string }
  | { name: 'giveup'; reason: string; attempt: number }
  | { name: 'heartbeat'; kind: 'ping' | 'pong' }
  | { name: 'sent'; result: SendResult }
  | { name: 'failed'; kind: string; message: string }

/** What the page reads of a socket, wherever it runs. */
export interface Snapshot {
  state: Phase
  queued: number
  rtt: number | undefined
  stats: Stats
  history: Disconnect[]
}

export class SocketRun {
  readonly socket: LifelineSocket | undefined
  readonly #watch: SocketMonitor | undefined
  /** The send() under way: drops of this same text reported inside it. */
  #sending: { text: string; drops: string[] } | undefined

  constructor(spec: SocketSpec, readonly emit: (event: SocketEvent) => void) {
    const debug = (_line: string, fields: Record<string, unknown>): void => {
      if (fields.kind === 'effect' && fields.type === 'ping') emit({ name: 'heartbeat', kind: 'ping' })
      else if (fields.kind === 'transition' && fields.type === 'pong') emit({ name: 'heartbeat', kind: 'pong' })
    }
    let s: LifelineSocket
    try {
      s = createSocket({ ...(spec.options as unknown as SocketOptions), debug, ...(spec.session ? { session: session() } : {}) })
    } catch (error) {
      // resolveOptions accepted these options a moment ago, so this is not expected; show it anyway
      emit({ name: 'failed', kind: (error as Error).name, message: (error as Error).message })
      return
    }
    this.socket = s
    // in the tick that created it: the monitor sees everything from the first attempt
    this.#watch = monitor(s)
    s.on('state', (to, from, reason) => emit({ name: 'state', to, from, reason }))
    s.on('open', ({ protocol, resumed, session: carried }) => emit({ name: 'open', protocol, resumed, session: carried }))
    s.on('message', (data) => {
      if (typeof data === 'string' || data instanceof ArrayBuffer) emit({ name: 'message', data })
    })
    s.on('close', ({ code, reason, wasClean }) => emit({ name: 'close', code, reason, wasClean }))
    s.on('error', (error) => emit({ name: 'error', code: error.code, message: error.message }))
    s.on('reconnecting', ({ attempt, delay }) => emit({ name: 'reconnecting', attempt, delay }))
    s.on('drop', ({ data, reason }) => {
      if (this.#sending && this.#sending.text === data) this.#sending.drops.push(reason)
      else emit({ name: 'drop', data: typeof data === 'string' || data instanceof ArrayBuffer ? data : '[binary]', reason })
    })
    s.on('giveup', ({ reason, attempt }) => emit({ name: 'giveup', reason, attempt }))
  }

  /** Send, and report the result as a 'sent' event (at once: the caller reads it in the same tick). */
  send(text: string, n: number): void {
    const s = this.socket
    if (!s) return
    const wasOpen = s.state === 'open'
    this.#sending = { text, drops: [] }
    const ok = s.send(text)
    const { drops } = this.#sending
    this.#sending = undefined
    this.emit({ name: 'sent', result: { n, text, ok, wasOpen, drops } })
  }

  reconnect(): void {
    this.socket?.reconnect()
  }

  close(code?: number, reason?: string): void {
    this.socket?.close(code, reason)
  }

  signal(name: EnvSignal): void {
    this.socket?.signal(name)
  }

  snapshot(): Snapshot | undefined {
    if (!this.socket || !this.#watch) return undefined
    return { state: this.socket.state, queued: this.socket.queued, rtt: this.socket.rtt, stats: this.#watch.stats(), history: this.#watch.history() }
  }
}
