/**
 * Endpoints (issue 18): `url` may list several. Attempts rotate through them with the backoff: a
 * failure moves on to the next one, and an endpoint that works is kept (sticky) until it fails.
 * Handovers (reconnect(), maxLifetime) and offline are no failure of the endpoint: it is kept.
 */
import type { Policy } from './policy.js'
import type { State } from './state.js'

/** The endpoint the attempt after a failure uses. */
export function nextEndpoint(state: State, policy: Policy): number {
  const count = policy.endpoints ?? 1
  return count > 1 ? (state.endpoint + 1) % count : 0
}
