/** Helpers to assert what a socket went through. */
import type { Phase } from '../core/state.js'
import type { LifelineSocket } from '../runtime/socket.js'

/** Record every phase the socket enters; `path` starts with its current phase. */
export function recordStates(socket: Pick<LifelineSocket, 'on' | 'state'>): { readonly path: Phase[]; stop(): void } {
  const path: Phase[] = [socket.state]
  const stop = socket.on('state', (next) => {
    path.push(next)
  })
  return { path, stop }
}
