import { defaultShouldReconnect } from '../../src/core/close-codes.js'
import type { Policy } from '../../src/core/policy.js'
import { INITIAL_STATE, type State } from '../../src/core/state.js'

export const POLICY: Policy = Object.freeze({
  connectTimeout: 10_000,
  backoff: Object.freeze({ initialDelay: 1_000, maxDelay: 5_000, factor: 2, jitter: 'spread' as const, maxRetries: Infinity, resetAfter: 5_000 }),
  heartbeat: Object.freeze({ interval: 25_000, timeout: 10_000, mode: 'protocol' as const }),
  idleTimeout: undefined,
  maxLifetime: undefined,
  shouldReconnect: defaultShouldReconnect,
  closeTimeout: 10_000,
})

export const AT = 100_000

/** One representative state per phase; socket 1 is the live one where there is one. */
export const STATES: Record<State['phase'], State> = {
  idle: INITIAL_STATE,
  connecting: { ...INITIAL_STATE, phase: 'connecting', socket: 1, lastSocket: 1 },
  open: { ...INITIAL_STATE, phase: 'open', socket: 1, lastSocket: 1 },
  backoff: { ...INITIAL_STATE, phase: 'backoff', socket: 0, lastSocket: 1, attempt: 1, prevDelay: 1_000, retryAt: AT + 600 },
  closed: { ...INITIAL_STATE, phase: 'closed', socket: 0, lastSocket: 1 },
}
