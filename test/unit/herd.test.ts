/** The herd simulator drives the real transition; the default policy's claims hold. */
import { describe, expect, it } from 'vitest'
import { resolveOptions, simulateHerd } from '../../src/index.core.js'
import { createFakeServer, createVirtualClock } from '../../src/index.testing.js'

const clock = createVirtualClock()
const ports = { url: 'ws://x.test', WebSocket: createFakeServer({ clock }).WebSocket, timer: clock, random: Math.random }
const policyOf = (backoff = {}) => resolveOptions({ ...ports, backoff }).policy

describe('simulateHerd', () => {
  it('is deterministic for a seed and accounts for every client', () => {
    const a = simulateHerd({ clients: 2_000, policy: policyOf(), outage: 5_000, seed: 7 })
    const b = simulateHerd({ clients: 2_000, policy: policyOf(), outage: 5_000, seed: 7 })
    expect(a).toEqual(b)
    expect(a.arrivals.reduce((x, y) => x + y, 0)).toBe(2_000)
    expect(a.gaveUp).toBe(0)
    expect(a.attempts.slice(0, 50).reduce((x, y) => x + y, 0)).toBeGreaterThanOrEqual(2_000) // everyone retried during the outage
  })

  it('the default policy: after a 5 s outage 99 % are back within ~4.5 s and no 100 ms window sees over ~10 %', () => {
    const clients = 50_000
    const r = simulateHerd({ clients, policy: policyOf(), outage: 5_000, seed: 1 })
    console.log(`[herd] defaults, 50k clients, 5 s outage: 99 % back after ${r.timeTo99.toFixed(0)} ms; peak attempts/100 ms ${r.peakAttempts} (${((100 * r.peakAttempts) / clients).toFixed(1)} %); peak arrivals/100 ms ${r.peakArrivals}`)
    expect(r.timeTo99).toBeLessThanOrEqual(5_000)
    expect(r.peakAttempts / clients).toBeLessThanOrEqual(0.11)
    expect(r.peakArrivals / clients).toBeLessThanOrEqual(0.11)
  })

  it('no jitter is a stampede: every client retries in the same 100 ms', () => {
    const r = simulateHerd({ clients: 5_000, policy: policyOf({ jitter: 'none' }), outage: 5_000, seed: 1 })
    expect(r.peakAttempts).toBe(5_000)
  })

  it('maxRetries: clients give up during a long outage', () => {
    const r = simulateHerd({ clients: 1_000, policy: policyOf({ maxRetries: 2 }), outage: 60_000, seed: 1, horizon: 10_000 })
    expect(r.gaveUp).toBe(1_000)
    expect(r.timeTo99).toBe(Infinity)
  })
})
