/**
 * Where the page's socket runs: in the page itself, or in a Web Worker (worker mode). Either way
 * the page gets the same events and reads the same snapshot, so every panel works unchanged.
 */
import type { Disconnect, EnvSignal, Phase, Stats } from 'lifeline-ws'
import { SocketRun, type SocketEvent, type SocketSpec, type Snapshot } from './run-socket.js'
import type { WorkerCommand, WorkerReport } from './socket.worker.js'

export type Where = 'page' | 'worker'

export interface SocketHost {
  readonly where: Where
  readonly state: Phase
  readonly queued: number
  readonly rtt: number | undefined
  /** stats() and history() of monitor(socket); from a worker, as of its last report (at most 250 ms old). */
  stats(): Stats | undefined
  history(): Disconnect[]
  /** The result comes as a 'sent' event: at once in the page, after a round trip from a worker. */
  send(text: string, n: number): void
  reconnect(): void
  close(code?: number, reason?: string): void
  signal(name: EnvSignal): void
  /** Stop listening (the page) or end the worker; no event arrives after it. */
  dispose(): void
}

export function startHost(where: Where, spec: SocketSpec, emit: (event: SocketEvent) => void): SocketHost {
  return where === 'worker' ? new WorkerHost(spec, emit) : new PageHost(spec, emit)
}

class PageHost implements SocketHost {
  readonly where = 'page'
  readonly #run: SocketRun
  #live = true

  constructor(spec: SocketSpec, emit: (event: SocketEvent) => void) {
    this.#run = new SocketRun(spec, (event) => {
      if (this.#live) emit(event)
    })
  }
  get state(): Phase {
    return this.#run.socket?.state ?? 'idle'
  }
  get queued(): number {
    return this.#run.socket?.queued ?? 0
  }
  get rtt(): number | undefined {
    return this.#run.socket?.rtt
  }
  stats(): Stats | undefined {
    return this.#run.snapshot()?.stats
  }
  history(): Disconnect[] {
    return this.#run.snapshot()?.history ?? []
  }
  send(text: string, n: number): void {
    this.#run.send(text, n)
  }
  reconnect(): void {
    this.#run.reconnect()
  }
  close(code?: number, reason?: string): void {
    this.#run.close(code, reason)
  }
  signal(name: EnvSignal): void {
    this.#run.signal(name)
  }
  dispose(): void {
    this.#live = false
  }
}

class WorkerHost implements SocketHost {
  readonly where = 'worker'
  readonly #worker: Worker
  #snapshot: Snapshot | undefined
  /** Commands are posted in order, so the worker's 'state' events are the truth; this mirrors them at once. */
  #state: Phase = 'idle'

  constructor(spec: SocketSpec, emit: (event: SocketEvent) => void) {
    this.#worker = new Worker(new URL('./socket.worker.ts', import.meta.url), { type: 'module', name: 'lifeline-ws socket' })
    this.#worker.onmessage = ({ data }: MessageEvent<WorkerReport>) => {
      if (data.snapshot) {
        this.#snapshot = data.snapshot
        this.#state = data.snapshot.state
      }
      if (data.t === 'event') {
        if (data.event.name === 'state') this.#state = data.event.to
        emit(data.event)
      }
    }
    this.#worker.onerror = (event) => emit({ name: 'failed', kind: 'Worker', message: `the socket worker failed: ${event.message}` })
    this.#post({ t: 'start', spec })
  }
  #post(command: WorkerCommand): void {
    this.#worker.postMessage(command)
  }
  get state(): Phase {
    return this.#state
  }
  get queued(): number {
    return this.#snapshot?.queued ?? 0
  }
  get rtt(): number | undefined {
    return this.#snapshot?.rtt
  }
  stats(): Stats | undefined {
    return this.#snapshot ? { ...this.#snapshot.stats, state: this.#state } : undefined
  }
  history(): Disconnect[] {
    return this.#snapshot?.history ?? []
  }
  send(text: string, n: number): void {
    this.#post({ t: 'send', text, n })
  }
  reconnect(): void {
    this.#post({ t: 'reconnect' })
  }
  close(code?: number, reason?: string): void {
    this.#post({ t: 'close', code, reason })
  }
  signal(name: EnvSignal): void {
    this.#post({ t: 'signal', name })
  }
  dispose(): void {
    this.#worker.onmessage = null
    this.#worker.onerror = null
    // a close() posted just before still runs: the socket says goodbye with its close frame
    const worker = this.#worker
    setTimeout(() => worker.terminate(), 1000)
  }
}
