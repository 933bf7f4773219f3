/** Every (phase, input) pair: where it leads. Focused behaviour lives in transition.behaviour.test.ts. */
import { describe, expect, it } from 'vitest'
import type { Cause, Input, Phase } from '../../src/core/state.js'
import { LEGAL_EDGES } from '../../src/core/state.js'
import { routeSend, transition } from '../../src/core/transition.js'
import { AT, POLICY, STATES } from '../helpers/policy.js'

const r = 0.5
const INPUTS: Record<string, Input> = {
  start: { type: 'start', at: AT },
  connect: { type: 'connect', at: AT },
  queued: { type: 'queued', at: AT, expires: AT + 500 },
  'queued(no ttl)': { type: 'queued', at: AT, expires: Infinity },
  dequeued: { type: 'dequeued', at: AT, expires: AT + 500 },
  'dequeued(none)': { type: 'dequeued', at: AT, expires: Infinity },
  reconnect: { type: 'reconnect', at: AT },
  close: { type: 'close', at: AT, code: 1000, reason: '' },
  'open(1)': { type: 'socket-open', id: 1, at: AT, random: r },
  'open(9)': { type: 'socket-open', id: 9, at: AT, random: r },
  'close(1,1006)': { type: 'socket-close', id: 1, at: AT, random: r, close: { code: 1006, reason: '', wasClean: false } },
  'close(1,1008)': { type: 'socket-close', id: 1, at: AT, random: r, close: { code: 1008, reason: 'policy', wasClean: true } },
  'close(9,1006)': { type: 'socket-close', id: 9, at: AT, random: r, close: { code: 1006, reason: '', wasClean: false } },
  'error(1)': { type: 'socket-error', id: 1, at: AT, message: 'boom' },
  'failed(1)': { type: 'attempt-failed', id: 1, at: AT, random: r, code: 'URL_PROVIDER', message: 'nope' },
  'pong(1)': { type: 'pong', id: 1, at: AT },
  'timer:start': { type: 'timer', name: 'start', at: AT, late: 0, random: r, buffered: 0, received: 0, lastInbound: AT - 100, lastMessage: AT - 100 },
  'timer:connect': { type: 'timer', name: 'connect', at: AT, late: 0, random: r, buffered: 0, received: 0, lastInbound: AT - 100, lastMessage: AT - 100 },
  'timer:retry': { type: 'timer', name: 'retry', at: AT, late: 0, random: r, buffered: 0, received: 0, lastInbound: AT - 100, lastMessage: AT - 100 },
  'timer:stable': { type: 'timer', name: 'stable', at: AT, late: 0, random: r, buffered: 0, received: 0, lastInbound: AT - 100, lastMessage: AT - 100 },
  'timer:heartbeat': { type: 'timer', name: 'heartbeat', at: AT, late: 0, random: r, buffered: 0, received: 0, lastInbound: AT - 100, lastMessage: AT - 100 },
  'timer:idle': { type: 'timer', name: 'idle', at: AT, late: 0, random: r, buffered: 0, received: 0, lastInbound: AT - 100, lastMessage: AT - 100 },
  'timer:lifetime': { type: 'timer', name: 'lifetime', at: AT, late: 0, random: r, buffered: 0, received: 0, lastInbound: AT - 100, lastMessage: AT - 100 },
  'timer:ttl': { type: 'timer', name: 'ttl', at: AT, late: 0, random: r, buffered: 0, received: 0, lastInbound: AT - 100, lastMessage: AT - 100 },
  'timer:closing': { type: 'timer', name: 'closing', at: AT, late: 0, random: r, buffered: 0, received: 0, lastInbound: AT - 100, lastMessage: AT - 100 },
  offline: { type: 'signal', signal: 'offline', at: AT, random: r },
  online: { type: 'signal', signal: 'online', at: AT, random: r },
  visible: { type: 'signal', signal: 'visible', at: AT, random: r },
  hidden: { type: 'signal', signal: 'hidden', at: AT, random: r },
}

// Where each input leads from each phase. Anything not listed stays in the same phase.
const MOVES: Record<Phase, Record<string, Phase>> = {
  idle: { connect: 'connecting', queued: 'connecting', 'queued(no ttl)': 'connecting', 'timer:start': 'connecting', reconnect: 'connecting', close: 'closed' },
  connecting: {
    reconnect: 'connecting',
    close: 'closed',
    'open(1)': 'open',
    'close(1,1006)': 'backoff',
    'close(1,1008)': 'closed',
    'failed(1)': 'backoff',
    'timer:connect': 'backoff',
    offline: 'backoff',
  },
  open: {
    reconnect: 'connecting',
    close: 'closed',
    'close(1,1006)': 'backoff',
    'close(1,1008)': 'closed',
    'timer:lifetime': 'connecting',
    offline: 'backoff',
  },
  backoff: { reconnect: 'connecting', close: 'closed', 'timer:retry': 'connecting' },
  closed: {},
}

// The cause code each input's phase change carries (the state event's 4th argument).
const CAUSES: Record<string, Cause> = {
  connect: 'connect',
  queued: 'send',
  'queued(no ttl)': 'send',
  'timer:start': 'start',
  reconnect: 'reconnect',
  close: 'user-close',
  'open(1)': 'open',
  'close(1,1006)': 'socket-close',
  'close(1,1008)': 'socket-close',
  'failed(1)': 'attempt-failed',
  'timer:connect': 'connect-timeout',
  'timer:lifetime': 'lifetime',
  'timer:retry': 'retry',
  offline: 'offline',
}

describe('transition: every (phase, input) pair', () => {
  for (const phase of Object.keys(STATES) as Phase[]) {
    for (const [label, input] of Object.entries(INPUTS)) {
      const expected = MOVES[phase][label] ?? phase
      it(`${phase} + ${label} → ${expected}`, () => {
        const [next, commands] = transition(STATES[phase], input, POLICY)
        expect(next.phase).toBe(expected)
        if (expected !== phase) expect(LEGAL_EDGES[phase]).toContain(expected)
        // effects always precede emits
        const firstEmit = commands.findIndex((c) => c.type === 'emit')
        if (firstEmit >= 0) expect(commands.slice(firstEmit).every((c) => c.type === 'emit')).toBe(true)
        // a phase change is always announced exactly once, last among state events
        const stateEvents = commands.filter((c) => c.type === 'emit' && c.event === 'state')
        if (expected !== phase || (label === 'reconnect' && phase !== 'closed')) {
          expect(stateEvents).toHaveLength(1)
          expect(stateEvents[0]).toMatchObject({ cause: CAUSES[label] })
        } else expect(stateEvents).toHaveLength(0)
        // nothing happens at all in 'closed' except reporting the closing socket's real close
        if (phase === 'closed') expect(commands).toEqual([])
        // a stale socket's events never do anything
        if (label.includes('(9')) expect(commands).toEqual([])
      })
    }
  }
})

// What the queue's inputs ask of the driver, per phase: the ttl timer follows the oldest message,
// an idle socket connects, an open one writes the queue out (what expired leaves first).
describe('transition: the queue', () => {
  const ttl = { type: 'set-timer', name: 'ttl', ms: 500 }
  const noTtl = { type: 'clear-timer', name: 'ttl' }
  const flush = [{ type: 'expire-queue' }, { type: 'flush', id: 1 }]
  const effects = (phase: Phase, label: string) => transition(STATES[phase], INPUTS[label]!, POLICY)[1].filter((c) => c.type !== 'emit')

  it('queued: idle connects, open flushes, connecting and backoff wait; the ttl timer is armed, or cleared when nothing expires', () => {
    expect(effects('idle', 'queued')).toEqual([ttl, { type: 'clear-timer', name: 'start' }, { type: 'set-timer', name: 'connect', ms: POLICY.connectTimeout }, { type: 'open-socket', id: 1 }])
    expect(effects('open', 'queued')).toEqual([ttl, ...flush])
    expect(effects('open', 'queued(no ttl)')).toEqual([noTtl, ...flush])
    expect(effects('connecting', 'queued')).toEqual([ttl])
    expect(effects('backoff', 'queued')).toEqual([ttl])
    expect(effects('closed', 'queued')).toEqual([])
  })

  it('send() by phase: written at once only when open with nothing queued, dropped once closed, else queued', () => {
    expect(routeSend('open', 0)).toBe('write')
    expect(routeSend('open', 1)).toBe('queue') // behind what waits: order is kept
    for (const phase of ['idle', 'connecting', 'backoff'] as const) for (const queued of [0, 3]) expect(routeSend(phase, queued)).toBe('queue')
    expect(routeSend('closed', 0)).toBe('drop')
    expect(routeSend('closed', 2)).toBe('drop')
  })

  it('dequeued: the ttl timer follows the oldest message left', () => {
    for (const phase of ['idle', 'connecting', 'open', 'backoff'] as const) {
      expect(effects(phase, 'dequeued')).toEqual([ttl])
      expect(effects(phase, 'dequeued(none)')).toEqual([noTtl])
    }
    expect(effects('closed', 'dequeued')).toEqual([])
  })

  it("the ttl timer expires what is due, in any phase but 'closed'", () => {
    for (const phase of ['idle', 'connecting', 'open', 'backoff'] as const) expect(effects(phase, 'timer:ttl')).toEqual([{ type: 'expire-queue' }])
  })

  it('opening writes the queue out; closing for good drops it and clears its timer', () => {
    expect(effects('connecting', 'open(1)').slice(-2)).toEqual(flush)
    for (const [phase, label] of [['open', 'close'], ['connecting', 'close'], ['open', 'close(1,1008)']] as const) {
      const commands = effects(phase, label)
      expect(commands).toContainEqual(noTtl)
      expect(commands).toContainEqual({ type: 'drop-queue' })
    }
  })
})

// Every graceful close is one mechanism: the socket stays listened to, a 'closing' timer bounds the
// wait, and at most one socket is in it.
describe('transition: graceful closes', () => {
  const closingAt = (phase: Phase, reported: boolean) => ({ ...STATES[phase], closing: 7, closingReported: reported })

  it('reconnect() and maxLifetime hand the open socket over: a close frame, its close reported now, its end awaited', () => {
    for (const label of ['reconnect', 'timer:lifetime']) {
      const [next, commands] = transition(STATES.open, INPUTS[label]!, POLICY)
      const reason = label === 'reconnect' ? 'reconnect' : 'max lifetime'
      expect(commands).toContainEqual({ type: 'close-socket', id: 1, code: 1000, reason, hard: false, keepListening: true })
      expect(commands).toContainEqual({ type: 'set-timer', name: 'closing', ms: POLICY.closeTimeout })
      expect(commands).toContainEqual({ type: 'emit', event: 'close', close: { code: 1000, reason, wasClean: false } })
      expect(next).toMatchObject({ phase: 'connecting', socket: 2, closing: 1, closingReported: true })
    }
  })

  it('close() waits for the real close; a closing socket from before is terminated first', () => {
    const [next, commands] = transition(closingAt('open', true), INPUTS.close!, POLICY)
    expect(commands.filter((c) => c.type === 'close-socket')).toEqual([
      { type: 'close-socket', id: 7, code: 1000, reason: 'superseded', hard: true, keepListening: false },
      { type: 'close-socket', id: 1, code: 1000, reason: '', hard: false, keepListening: true },
    ])
    expect(commands.filter((c) => c.type === 'emit' && c.event === 'close')).toEqual([])
    expect(next).toMatchObject({ phase: 'closed', closing: 1, closingReported: false })
  })

  it('the closing socket ends: reported unless it was already; on time out it is terminated', () => {
    const end = { type: 'socket-close', id: 7, at: AT, random: r, close: { code: 1000, reason: 'bye', wasClean: true } } as const
    const timeout = { ...(INPUTS['timer:closing'] as Extract<Input, { type: 'timer' }>) }
    for (const phase of ['connecting', 'open', 'backoff', 'closed'] as const) {
      expect(transition(closingAt(phase, true), end, POLICY)).toEqual([{ ...closingAt(phase, true), closing: 0, closingReported: false }, [{ type: 'clear-timer', name: 'closing' }]])
      expect(transition(closingAt(phase, false), end, POLICY)[1]).toEqual([{ type: 'clear-timer', name: 'closing' }, { type: 'emit', event: 'close', close: end.close }])
      const [next, commands] = transition(closingAt(phase, true), timeout, POLICY)
      expect(next.closing).toBe(0)
      expect(commands).toEqual([{ type: 'close-socket', id: 7, code: 1000, reason: 'close timeout', hard: true, keepListening: false }])
      expect(transition(closingAt(phase, false), timeout, POLICY)[1]).toContainEqual({ type: 'emit', event: 'close', close: { code: 1006, reason: 'close timeout', wasClean: false } })
    }
  })
})
