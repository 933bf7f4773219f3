// Figures from before issue 13 (the redesign), for its "nothing else gets slower or bigger" targets:
// the last full run published in README.md, 2026-11-24, build 8404f41fe5a4 (bench/results.json at
// commit ee75724), 5 rounds, Node v20.20.2, 2 cores. Fixed here, since bench/results.json is
// overwritten by every run. Parts compare their lifeline-ws figure with these and say so.
export const BEFORE_ISSUE_13 = {
  source: 'the full run of 2026-11-24 (build 8404f41fe5a4) published in README.md, before issue 13',
  /** cpu: µs per connection per heartbeat, 10,000 idle connections, 5 s interval; raw ws + setInterval ping beside it. */
  cpu: { lifeline: 20.6, floor: 14.2, ratio: 206 / 142 },
  /** flap: attempts per client in 30 s (median of 5 trials). */
  flap: { attemptsIn30s: 10 },
  /** herd (simulateHerd, 100,000 clients, seed 1): the default 'spread' schedule, per outage in ms. */
  herd: {
    clients: 100_000,
    spread: {
      1000: { peakAttempts: 10_086, peakArrivals: 10_086, timeTo99: 2_801 },
      5000: { peakAttempts: 10_086, peakArrivals: 3_333, timeTo99: 4_356 },
      60000: { peakAttempts: 10_086, peakArrivals: 2_788, timeTo99: 4_559 },
    },
  },
}
