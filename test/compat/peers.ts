/**
 * The same behaviour checks run against a peer (reconnecting-websocket 4.4 or partysocket 1.x, given
 * Node's `ws` as their WebSocket) and against lifeline-ws's drop-in, so each expectation is shown
 * to be the peer's real behaviour. Every socket made here is closed in `closeAll()`.
 */
import WS from 'ws'
import { ReconnectingWebSocket } from '../../src/index.node.js'
import { waitFor } from '../support/wait.js'

/** What the tests use of each class: the WHATWG surface the three share. */
export interface Compatible {
  readyState: number
  readonly url: string
  readonly extensions: string
  binaryType: string
  readonly retryCount: number
  onopen: ((event: any) => void) | null
  onmessage: ((event: any) => void) | null
  onclose: ((event: any) => void) | null
  onerror: ((event: any) => void) | null
  addEventListener(type: string, listener: (event: any) => void): void
  send(data: any): unknown
  close(code?: number, reason?: string): void
  reconnect(code?: number, reason?: string): void
}

export interface Subject {
  name: string
  make(url: any, protocols?: any, options?: Record<string, unknown>): Compatible
}

const made = new Set<Compatible>()

/** Fast retries so that the peers' defaults (1–5 s) do not slow the tests down. */
export const FAST = { minReconnectionDelay: 10, maxReconnectionDelay: 20, connectionTimeout: 2_000 }

export function subject(name: string, Class: new (url: any, protocols?: any, options?: any) => unknown, extra: Record<string, unknown> = {}): Subject {
  return {
    name,
    make(url, protocols, options = {}) {
      const ws = new Class(url, protocols, { ...extra, ...options }) as Compatible
      made.add(ws)
      return ws
    },
  }
}

/** lifeline-ws's drop-in on Node (ws underneath, protocol pings off so only the app's traffic flows). */
export const lifeline = subject('lifeline-ws', ReconnectingWebSocket, { heartbeat: false })

/**
 * Node's ws, as the peers' READMEs tell Node users to pass it, with one error listener of its own:
 * the peers detach theirs before closing a socket that is still connecting (a timeout), and ws then
 * throws the 'error' it emits for it, a crash of the peer's that is not what these tests look at.
 */
class NodeWebSocket extends WS {
  constructor(...args: ConstructorParameters<typeof WS>) {
    super(...args)
    this.on('error', () => {})
  }
}

/** A peer class given Node's ws as its WebSocket. */
export function peer(name: string, Class: new (url: any, protocols?: any, options?: any) => unknown): Subject {
  return subject(name, Class, { WebSocket: NodeWebSocket })
}

/** Record events from the class's own listeners. */
export function events(ws: Compatible, types = ['open', 'message', 'close', 'error']): { type: string; event: any }[] {
  const log: { type: string; event: any }[] = []
  for (const type of types) ws.addEventListener(type, (event) => log.push({ type, event }))
  return log
}

export function until(predicate: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  return waitFor(predicate, timeoutMs, what)
}

export async function closeAll(): Promise<void> {
  for (const ws of made) {
    ws.onclose = ws.onerror = ws.onmessage = ws.onopen = null
    try {
      ws.close()
    } catch {
      // already closed
    }
  }
  made.clear()
}
