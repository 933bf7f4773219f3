/**
 * The thundering herd, simulated on the real state machine: `clients` sockets are open when the
 * server goes away; each notices within `noticeWithin` ms, and the server is back after `outage`
 * ms. Every client is driven by `transition` itself in virtual time, so what is measured is what
 * the shipped code does. Attempts before the server returns fail at once (connection refused).
 */
import { backoffDelay } from '../core/backoff.js'
import type { Policy } from '../core/policy.js'
import { INITIAL_STATE, type Command, type Input, type State, type TimerName } from '../core/state.js'
import { transition } from '../core/transition.js'

export interface HerdOptions {
  /** How many clients. */
  clients: number
  /** The policy every client runs (backoff is what matters; heartbeat etc. are ignored). */
  policy: Policy
  /** ms until the server accepts again. */
  outage: number
  /** Each client notices the loss at a uniformly random time in [0, noticeWithin). @default 100 */
  noticeWithin?: number
  /** Histogram bucket in ms. @default 100 */
  bucket?: number
  /** Stop simulating this long after the server is back. @default 120_000 */
  horizon?: number
  /** Seed of the deterministic random numbers. @default 1 */
  seed?: number
}

export interface HerdResult {
  /** Connection attempts started per bucket, from the loss (t = 0). */
  attempts: number[]
  /** Successful opens per bucket. */
  arrivals: number[]
  bucket: number
  /** The largest number of attempts in one bucket at any time (the first-retry stampede). */
  peakAttempts: number
  /** The largest number of opens in one bucket after the server is back. */
  peakArrivals: number
  /** peakArrivals / mean arrivals per bucket over the recovery window (return → 99 % back). */
  peakToMean: number
  /** ms after the server returned until 99 % of clients were open again (Infinity if never). */
  timeTo99: number
  /** Attempts per client made while the server was down. */
  attemptsPerClientDuringOutage: number
  /** Clients that gave up (maxRetries). */
  gaveUp: number
}

/** A tiny seeded generator (mulberry32): the same seed gives the same herd. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

interface Event {
  at: number
  client: number
  /** a timer that fires, or the outcome of an attempt */
  kind: TimerName | 'refused' | 'accepted' | 'lost'
  /** timer generation, so a replaced or cleared timer is ignored */
  generation: number
}

/** A binary min-heap of events by time. */
class Queue {
  private heap: Event[] = []
  get size(): number {
    return this.heap.length
  }
  push(event: Event): void {
    const h = this.heap
    h.push(event)
    for (let i = h.length - 1; i > 0; ) {
      const parent = (i - 1) >> 1
      if (h[parent]!.at <= h[i]!.at) break
      ;[h[parent], h[i]] = [h[i]!, h[parent]!]
      i = parent
    }
  }
  pop(): Event | undefined {
    const h = this.heap
    const top = h[0]
    const last = h.pop()
    if (h.length > 0 && last) {
      h[0] = last
      for (let i = 0; ; ) {
        const l = 2 * i + 1
        const r = l + 1
        let m = i
        if (l < h.length && h[l]!.at < h[m]!.at) m = l
        if (r < h.length && h[r]!.at < h[m]!.at) m = r
        if (m === i) break
        ;[h[m], h[i]] = [h[i]!, h[m]!]
        i = m
      }
    }
    return top
  }
}

export function simulateHerd(options: HerdOptions): HerdResult {
  const { clients, outage, noticeWithin = 100, bucket = 100, horizon = 120_000, seed = 1 } = options
  // only the reconnect behaviour matters here: no heartbeat, watchdog or lifetime timers
  const policy: Policy = { ...options.policy, heartbeat: undefined, idleTimeout: undefined, maxLifetime: undefined }
  const random = seededRandom(seed)
  const end = outage + horizon
  const buckets = Math.ceil(end / bucket) + 1
  const attempts = new Array<number>(buckets).fill(0)
  const arrivals = new Array<number>(buckets).fill(0)
  const states: State[] = new Array(clients)
  const generations: Record<string, number>[] = new Array(clients)
  const queue = new Queue()
  let attemptsDuringOutage = 0
  let backCount = 0
  let gaveUp = 0
  let time99 = Infinity
  const target = Math.ceil(clients * 0.99)

  const run = (client: number, input: Input): void => {
    const [next, commands] = transition(states[client]!, input, policy)
    states[client] = next
    for (const command of commands) apply(client, input.at, command)
  }

  const apply = (client: number, at: number, command: Command): void => {
    const gens = generations[client]!
    switch (command.type) {
      case 'set-timer': {
        const generation = (gens[command.name] ?? 0) + 1
        gens[command.name] = generation
        queue.push({ at: at + command.ms, client, kind: command.name, generation })
        return
      }
      case 'clear-timer':
        gens[command.name] = (gens[command.name] ?? 0) + 1
        return
      case 'open-socket': {
        const index = Math.floor(at / bucket)
        if (index < buckets) attempts[index]!++
        if (at < outage) attemptsDuringOutage++
        queue.push({ at, client, kind: at < outage ? 'refused' : 'accepted', generation: states[client]!.socket })
        return
      }
      case 'emit':
        if (command.event === 'giveup') gaveUp++
        return
      default:
        return
    }
  }

  for (let client = 0; client < clients; client++) {
    // every client starts open on socket 1, and loses it at a random moment in [0, noticeWithin)
    states[client] = { ...INITIAL_STATE, phase: 'open', socket: 1, lastSocket: 1 }
    generations[client] = {}
    queue.push({ at: random() * noticeWithin, client, kind: 'lost', generation: 1 })
  }

  while (queue.size > 0) {
    const event = queue.pop()!
    if (event.at > end) break
    const { client, at } = event
    const state = states[client]!
    switch (event.kind) {
      case 'lost':
      case 'refused':
        if (state.socket !== event.generation) break
        run(client, { type: 'socket-close', id: state.socket, at, random: random(), close: { code: 1006, reason: '', wasClean: false } })
        break
      case 'accepted':
        if (state.socket !== event.generation) break
        run(client, { type: 'socket-open', id: state.socket, at, random: random() })
        if (states[client]!.phase === 'open') {
          const index = Math.floor(at / bucket)
          if (index < buckets) arrivals[index]!++
          backCount++
          if (backCount === target) time99 = at - outage
        }
        break
      default:
        if (generations[client]![event.kind] !== event.generation) break
        run(client, { type: 'timer', name: event.kind, at, late: 0, random: random(), buffered: 0, received: 0, lastInbound: at, lastMessage: at })
    }
  }

  const firstBack = Math.floor(outage / bucket)
  const lastBack = Number.isFinite(time99) ? Math.floor((outage + time99) / bucket) : buckets - 1
  const window = arrivals.slice(firstBack, lastBack + 1)
  const peakArrivals = Math.max(0, ...arrivals.slice(firstBack))
  const mean = window.reduce((a, b) => a + b, 0) / Math.max(1, window.length)
  return {
    attempts,
    arrivals,
    bucket,
    peakAttempts: Math.max(0, ...attempts),
    peakArrivals,
    peakToMean: mean > 0 ? peakArrivals / mean : 0,
    timeTo99: time99,
    attemptsPerClientDuringOutage: attemptsDuringOutage / clients,
    gaveUp,
  }
}

/** The delays a policy gives for retries 0…n−1, sampled `samples` times each (for plots). */
export function sampleDelays(policy: Policy, retries: number, samples: number, seed = 1): number[][] {
  const random = seededRandom(seed)
  const rows: number[][] = []
  for (let s = 0; s < samples; s++) {
    let previous = 0
    const row: number[] = []
    for (let n = 0; n < retries; n++) {
      previous = backoffDelay(n, policy.backoff, random(), previous)
      row.push(previous)
    }
    rows.push(row)
  }
  return rows
}
