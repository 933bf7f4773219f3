/**
 * The handshake gate and expired credentials (issue 18): when the `handshake` option runs, and
 * whether the one immediate retry with fresh credentials is due. The transitions that use these
 * are in transition.ts ("the handshake gate").
 */
import type { Policy } from './policy.js'
import type { CloseInfo, Command, State } from './state.js'

/**
 * The socket opened: the phase stays 'connecting' (send() keeps queueing, nothing is flushed, no
 * 'open' yet) while the handshake runs, bounded by its own deadline on the 'connect' timer.
 */
export function startHandshake(state: State, timeout: number): readonly [State, readonly Command[]] {
  return [
    { ...state, handshaking: true },
    [
      { type: 'set-timer', name: 'connect', ms: timeout },
      { type: 'handshake', id: state.socket },
    ],
  ]
}

/**
 * Whether to refresh the credentials and retry at once: once per failure streak, within
 * maxRetries, for a handshake's 'auth' rejection (`close` undefined) or a close code in
 * `authCloseCodes` (which is empty when there is no provider to refresh).
 */
export function refreshDue(state: State, close: CloseInfo | undefined, policy: Policy): boolean {
  if (state.authRetried || state.attempt >= policy.backoff.maxRetries) return false
  return close === undefined || (policy.authCloseCodes?.includes(close.code) ?? false)
}
