/** Types for server.mjs: the playground's app server, fault proxy, control API and web server. */
import type { FaultProxy } from '../test/support/fault-proxy.mjs'

export declare const PLAYGROUND_DIR: string
export declare const PACKAGE_ROOT: string

export interface PlaygroundOptions {
  /** Where the web server listens. @default '127.0.0.1' */
  host?: string
  /** Web server port; 0 for a free one. @default 5173 */
  port?: number
  /** Fail instead of trying the next port when `port` is taken. @default false */
  strictPort?: boolean
  /** Serve this static build (playground/dist) instead of starting the Vite dev server. */
  staticDir?: string
  /** Vite's log level. @default 'info' */
  logLevel?: 'info' | 'warn' | 'error' | 'silent'
}

/**
 * accepted: connections ever; received: text messages (not 'ping'); pings answered; pushed; binary
 * echoed; sessions: messages received on lifeline.v1 sessions (counted in received/binary too).
 */
export interface AppCounts {
  accepted: number
  received: number
  pings: number
  pushed: number
  binary: number
  sessions: number
}

/** What the app server received from one client (the `client` query parameter of its URL). */
export interface ClientCounts {
  /** Messages received (text, not the heartbeat 'ping'; on a session: every message, each once). */
  received: number
  /** It connected with a lifeline.v1 session at least once. */
  session: boolean
}

/** One open connection as the app server sees it (times are Date.now() ms). */
export interface ServerConnection {
  id: number
  openedAt: number
  /** When anything (a message, a ping or pong frame) last arrived on it. */
  lastSeen: number
  /** The peer's port: the fault proxy's side of the connection. */
  remotePort: number
  /** Messages received and sent on it. */
  in: number
  out: number
  /** The `client` query parameter of the URL it connected to ('' without one). */
  client: string
  /** A lifeline.v1 session connection (attachSessions), not a plain socket. */
  session: boolean
}

/** One frame the app server received or sent. */
export interface ServerFrame {
  seq: number
  at: number
  conn: number
  dir: 'in' | 'out'
  kind: 'text' | 'binary' | 'ping' | 'pong' | 'close'
  /** Payload bytes (for a close: the reason's). */
  size: number
  /** The payload as UTF-8 (text, ping/pong data, close reason); '' for binary. */
  text: string
  /** Binary payload as hex, the first 4 KB. */
  hex?: string
  truncated?: boolean
  /** Close code. */
  code?: number
  note?: string
}

export interface ControlState {
  now: number
  app: AppCounts & {
    listening: boolean
    connections: number
    list: ServerConnection[]
    /** By client tag, the last 100 clients. */
    clients: Record<string, ClientCounts>
    /** Sessions alive on the session server (connected or within their resume window). */
    liveSessions: number
  }
  proxy: { mode: 'forward' | 'silence' | 'slow'; refusing: boolean; connections: number; accepted: number; refused: number }
  slow: { latencyMs: number; bytesPerSecond: number } | null
  until: { silence: number | null; stop: number | null }
  tick: { every: number } | null
}

export interface Playground {
  /** The page: http://host:port/ */
  readonly url: string
  /** What the page connects to: the fault proxy, ws://127.0.0.1:port/ */
  readonly wsUrl: string
  readonly proxy: FaultProxy
  readonly app: {
    readonly port: number
    /** Open WebSocket connections on the app server. */
    readonly connections: number
    readonly counts: AppCounts
  }
  /** Text messages the app server received (not the heartbeat 'ping'; sessions' too), oldest first, the last 10,000. */
  received(): string[]
  /** What GET /api/state answers. */
  state(): ControlState
  /** Stop every server, timer and socket; resolves when all are gone. */
  close(): Promise<void>
}

export declare function startPlayground(options?: PlaygroundOptions): Promise<Playground>
