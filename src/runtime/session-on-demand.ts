/**
 * `session: true` and `session: { … }`: the session code (what `session()` from
 * 'lifeline-ws/session' brings) is loaded with a dynamic import() when the socket first connects,
 * so a bundler puts it in a chunk of its own and an app that never asks for a session carries only
 * this file. validate.ts checks the options; socket.ts makes the port from them. The first attempt waits for the load (attempt.ts: nothing connects before it); a load
 * that fails fails the attempt (`SESSION_LOAD`), and the next attempt, after the backoff, imports again.
 * Closures rather than a class: this is on every createSocket bundle, and they minify smaller.
 */
import type { SessionOption, SessionOptions, SessionPort, WebSocketConstructor } from '../ports.js'

export function sessionOnDemand(options: Required<SessionOptions>): SessionOption {
  return (host) => {
    let port: SessionPort | undefined
    let loading: Promise<void> | undefined
    return {
      // called only once ready() has nothing left to wait for (attempt.ts)
      WebSocket: function SessionWebSocket(url: string, protocols?: string | string[], wsOptions?: unknown) {
        return new port!.WebSocket(url, protocols, wsOptions)
      } as unknown as WebSocketConstructor,
      get resumed() {
        return port?.resumed ?? false
      },
      get active() {
        return port?.active ?? false
      },
      // before the load nothing was written: nothing to end
      end: () => port?.end(),
      ready: () =>
        port
          ? undefined
          : (loading ??= import('../session/option.js').then(
              ({ session }) => {
                port = session(options)(host)
              },
              (error: unknown) => {
                // the next attempt imports again (where the runtime does not remember the failure)
                loading = undefined
                throw error
              },
            )),
    }
  }
}
