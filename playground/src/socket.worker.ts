/**
 * Worker mode: the page's socket in a module Web Worker, built from the package's worker entry
 * (Vite resolves 'lifeline-ws' with the "worker" condition here). The page posts commands (start,
 * send, reconnect, close, and the online/offline signals it sees: a dedicated worker does not get
 * the window's events) and gets back every event, and a snapshot of state, stats() and history()
 * after each event and four times a second, which feed the same panels as a socket in the page.
 */
import type { EnvSignal } from 'lifeline-ws'
import { SocketRun, type SocketEvent, type SocketSpec, type Snapshot } from './run-socket.js'

export type WorkerCommand =
  | { t: 'start'; spec: SocketSpec }
  | { t: 'send'; text: string; n: number }
  | { t: 'reconnect' }
  | { t: 'close'; code?: number; reason?: string }
  | { t: 'signal'; name: EnvSignal }

export type WorkerReport = { t: 'event'; event: SocketEvent; snapshot: Snapshot | undefined } | { t: 'snapshot'; snapshot: Snapshot }

const scope = globalThis as unknown as {
  onmessage: ((event: MessageEvent<WorkerCommand>) => void) | null
  postMessage(message: WorkerReport): void
}

let run: SocketRun | undefined
const SNAPSHOT_EVERY = 250

scope.onmessage = ({ data: command }) => {
  switch (command.t) {
    case 'start':
      // one socket per worker: the page starts a new worker for a new socket
      if (run) return
      run = new SocketRun(command.spec, (event) => scope.postMessage({ t: 'event', event, snapshot: run?.snapshot() }))
      setInterval(() => {
        const snapshot = run?.snapshot()
        if (snapshot) scope.postMessage({ t: 'snapshot', snapshot })
      }, SNAPSHOT_EVERY)
      break
    case 'send':
      run?.send(command.text, command.n)
      break
    case 'reconnect':
      run?.reconnect()
      break
    case 'close':
      run?.close(command.code, command.reason)
      break
    case 'signal':
      run?.signal(command.name)
      break
  }
}
