/**
 * How long to wait before retry `n` (n = 0: the first retry after a drop). A pure function of the
 * retry index, the policy, one random number in [0, 1) and the previous delay (for decorrelated).
 */
import type { BackoffPolicy } from './policy.js'

export function backoffDelay(n: number, policy: BackoffPolicy, random: number, previous: number): number {
  const { initialDelay, maxDelay, factor, jitter } = policy
  if (jitter === 'decorrelated') {
    // AWS "decorrelated jitter": grows from the previous delay, not from n.
    const prev = previous > 0 ? previous : initialDelay
    return Math.min(maxDelay, initialDelay + random * Math.max(0, prev * 3 - initialDelay))
  }
  const v = Math.min(maxDelay, initialDelay * factor ** n)
  switch (jitter) {
    case 'spread':
      // Socket.IO's ±50 %, but at the cap it stays spread over [maxDelay/2, maxDelay) instead of
      // collapsing to maxDelay, which would re-synchronise a fleet that has been retrying long.
      return v >= maxDelay ? maxDelay * (0.5 + random / 2) : Math.min(maxDelay, v * (0.5 + random))
    case 'full':
      return random * v
    case 'equal':
      return v / 2 + (random * v) / 2
    case 'none':
      return v
  }
}

/** The bounds every delay of a policy lies in, for retry `n` (used by tests and the playground). */
export function delayBounds(n: number, policy: BackoffPolicy): { min: number; max: number } {
  const { initialDelay, maxDelay, factor, jitter } = policy
  const v = Math.min(maxDelay, initialDelay * factor ** n)
  switch (jitter) {
    case 'spread':
      return v >= maxDelay ? { min: maxDelay / 2, max: maxDelay } : { min: v / 2, max: Math.min(maxDelay, v * 1.5) }
    case 'full':
      return { min: 0, max: v }
    case 'equal':
      return { min: v / 2, max: v }
    case 'none':
      return { min: v, max: v }
    case 'decorrelated':
      return { min: Math.min(initialDelay, maxDelay), max: maxDelay }
  }
}
