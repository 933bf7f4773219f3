import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { backoffDelay, delayBounds } from '../../src/core/backoff.js'
import type { BackoffPolicy, Jitter } from '../../src/core/policy.js'

const base: BackoffPolicy = { initialDelay: 1000, maxDelay: 5000, factor: 2, jitter: 'spread', maxRetries: Infinity, resetAfter: 5000 }
const withJitter = (jitter: Jitter): BackoffPolicy => ({ ...base, jitter })

describe('backoffDelay', () => {
  it('spread: v·(0.5 + r) below the cap, maxDelay·(0.5 + r/2) at it', () => {
    const p = withJitter('spread')
    expect(backoffDelay(0, p, 0, 0)).toBe(500)
    expect(backoffDelay(0, p, 0.5, 0)).toBe(1000)
    expect(backoffDelay(1, p, 0.99, 0)).toBeCloseTo(2980)
    expect(backoffDelay(2, p, 0.5, 0)).toBe(4000) // v = 4000 < cap: 4000·1.0
    expect(backoffDelay(2, p, 0.9, 0)).toBe(5000) // v·1.4 = 5600 clipped to the cap
    expect(backoffDelay(3, p, 0, 0)).toBe(2500) // v reached the cap: [2500, 5000)
    expect(backoffDelay(3, p, 0.5, 0)).toBe(3750)
    expect(backoffDelay(30, p, 0.999, 0)).toBeCloseTo(4997.5)
  })

  it('full, equal and none follow their formulas', () => {
    expect(backoffDelay(1, withJitter('full'), 0.25, 0)).toBe(500)
    expect(backoffDelay(1, withJitter('equal'), 0.5, 0)).toBe(1500)
    expect(backoffDelay(0, withJitter('none'), 0.9, 0)).toBe(1000)
    expect(backoffDelay(1, withJitter('none'), 0.9, 0)).toBe(2000)
    expect(backoffDelay(9, withJitter('none'), 0.9, 0)).toBe(5000)
  })

  it('decorrelated grows from the previous delay and stays within [initialDelay, maxDelay]', () => {
    const p = withJitter('decorrelated')
    expect(backoffDelay(0, p, 0, 0)).toBe(1000)
    expect(backoffDelay(0, p, 0.5, 0)).toBe(2000) // 1000 + 0.5·(3000 − 1000)
    expect(backoffDelay(5, p, 0.5, 2000)).toBe(3500) // 1000 + 0.5·(6000 − 1000)
    expect(backoffDelay(5, p, 0.99, 4000)).toBe(5000)
  })

  it('every jitter mode stays inside delayBounds for any retry, random and policy', () => {
    fc.assert(
      fc.property(
        fc.constantFrom<Jitter>('spread', 'full', 'equal', 'none', 'decorrelated'),
        fc.integer({ min: 0, max: 10_000 }),
        fc.integer({ min: 0, max: 100_000 }),
        fc.double({ min: 1, max: 10, noNaN: true }),
        fc.nat(60),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        fc.integer({ min: 0, max: 200_000 }),
        (jitter, initialDelay, extra, factor, n, r, prev) => {
          const policy = { ...base, jitter, initialDelay, maxDelay: initialDelay + extra, factor }
          const d = backoffDelay(n, policy, r, prev)
          const { min, max } = delayBounds(n, policy)
          expect(Number.isFinite(d)).toBe(true)
          expect(d).toBeGreaterThanOrEqual(min - 1e-9)
          expect(d).toBeLessThanOrEqual(max + 1e-9)
          expect(d).toBeLessThanOrEqual(policy.maxDelay + 1e-9)
        },
      ),
    )
  })
})
