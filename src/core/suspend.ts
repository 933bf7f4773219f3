/**
 * Long outages (issue 18): after `suspendAfter` of failing to connect, the socket is suspended,
 * and retries slow to `suspendedDelay` (so a client does not make ~720 attempts an hour against a
 * dead service). `online`, `visible` and `reconnect()` end it (transition.ts); so does an open.
 */
import type { SuspendPolicy } from './policy.js'
import type { State } from './state.js'

/** Whether a failure at `at` finds the socket down long enough to be (or stay) suspended. */
export function isSuspended(state: State, at: number, suspend: SuspendPolicy | undefined): boolean {
  return suspend !== undefined && at - (state.downSince || at) >= suspend.after
}

/** A suspended retry's delay: suspendedDelay ±25 %, so a fleet suspended together spreads out. */
export function suspendedDelay(suspend: SuspendPolicy, random: number): number {
  return suspend.delay * (0.75 + random / 2)
}

/** The suspension ends at once (`online`, `visible`, `reconnect()`): a whole suspendAfter of normal backoff follows. */
export function resume(state: State, at: number): State {
  return state.suspended ? { ...state, suspended: false, downSince: at } : state
}
