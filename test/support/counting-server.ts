/**
 * A `ws` server that counts numbered messages per connection, for delivery accounting: each text
 * message `<seq>` or `<seq> <anything>` (seqOf) is recorded on its connection, in read order. Optionally
 * it answers an app-level heartbeat in order (`answer`), like a server that answers pings as it
 * reads them; answered messages are not counted. Built on startWsServer, so closeAllServers()
 * cleans it up and kill/restart work the same.
 */
import type { WebSocket } from 'ws'
import { seqOf, type ServerRecord } from './delivery-account.mjs'
import { startWsServer, type Received, type TestWsServer, type WsServerOptions } from './servers.js'
import { waitFor } from './wait.js'

export interface CountingServerOptions {
  /** Listen on this port (0: a free one). @default 0 */
  port?: number
  /**
   * The reply to a message that is not numbered (an app-level ping), sent at once, in read order;
   * undefined: no reply. @default no replies
   */
  answer?: (text: string) => string | undefined
  /** Passed to ws's WebSocketServer. */
  wsOptions?: WsServerOptions['wsOptions']
}

export interface CountingServer {
  /** The underlying test server: url, killConnections(), stop(), restart()… */
  readonly server: TestWsServer
  readonly url: string
  /** Per connection, in the order accepted: every numbered message read on it, in read order. */
  record(): ServerRecord
  /** Distinct numbered messages read so far. */
  readonly distinct: number
  /** Wait until message `seq` has been read (on any connection). */
  waitForSeq(seq: number, timeoutMs: number): Promise<void>
}

export async function startCountingServer(options: CountingServerOptions = {}): Promise<CountingServer> {
  const connections: { id: string; seqs: number[] }[] = []
  const byWs = new WeakMap<WebSocket, number[]>()
  const distinct = new Set<number>()
  const { answer } = options
  const onMessage = (ws: WebSocket, data: Received): void => {
    const text = typeof data === 'string' ? data : data.toString('utf8')
    const seq = seqOf(text)
    if (seq === undefined) {
      const reply = answer?.(text)
      if (reply !== undefined) ws.send(reply)
      return
    }
    byWs.get(ws)!.push(seq)
    distinct.add(seq)
  }
  const server = await startWsServer({
    port: options.port ?? 0,
    wsOptions: options.wsOptions,
    onMessage,
    keepReceived: false,
    onConnection: (ws) => {
      const seqs: number[] = []
      connections.push({ id: String(connections.length + 1), seqs })
      byWs.set(ws, seqs)
    },
  })
  return {
    server,
    get url() {
      return server.url
    },
    record: () => ({ connections: connections.map(({ id, seqs }) => ({ id, seqs: [...seqs] })) }),
    get distinct() {
      return distinct.size
    },
    waitForSeq(seq, timeoutMs) {
      return waitFor(() => distinct.has(seq), timeoutMs, `message ${seq} read by the server`, {
        describe: () => `read ${distinct.size} distinct, on ${connections.length} connection(s)`,
      })
    },
  }
}
