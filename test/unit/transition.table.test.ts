/** Every (phase, input) pair: where it leads. Focused behaviour lives in transition.behaviour.test.ts. */
import { describe, expect, it } from 'vitest'
import type { Policy } from '../../src/core/policy.js'
import type { Cause, Command, EnvSignal, Input, Phase, State, TimerName } from '../../src/core/state.js'
import { LEGAL_EDGES, TIMER_NAMES } from '../../src/core/state.js'
import { routeSend, transition, unconfirmedOutcome } from '../../src/core/transition.js'
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
  'moved(1)': { type: 'socket-moved', id: 1, at: AT },
  'moved(9)': { type: 'socket-moved', id: 9, at: AT },
  'failed(1)': { type: 'attempt-failed', id: 1, at: AT, random: r, code: 'URL_PROVIDER', message: 'nope' },
  'failed(1,fatal)': { type: 'attempt-failed', id: 1, at: AT, random: r, code: 'URL_PROVIDER', message: 'nope', fatal: true },
  'handshake-done(1)': { type: 'handshake-done', id: 1, at: AT, random: r },
  'handshake-failed(1)': { type: 'handshake-failed', id: 1, at: AT, random: r, kind: 'error', message: 'nope' },
  'pong(1)': { type: 'pong', id: 1, at: AT },
  'written(1)': { type: 'written', id: 1, at: AT },
  'timer:confirm': { type: 'timer', name: 'confirm', at: AT, late: 0, random: r, buffered: 0, received: 0, lastInbound: AT - 100, lastMessage: AT - 100, unpingedSince: AT - 20, pingsOut: 0 },
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
  freeze: { type: 'signal', signal: 'freeze', at: AT, random: r },
  resume: { type: 'signal', signal: 'resume', at: AT, random: r },
  // no ping outstanding in these states: nothing is overdue (see 'the heartbeat judged late' below)
  overdue: { type: 'overdue', at: AT, random: r, buffered: 0, received: 0, lastInbound: AT - 100, lastMessage: AT - 100 },
  'overdue(silent)': { type: 'overdue', at: AT, random: r, buffered: 0, received: 0, lastInbound: AT - 20_000, lastMessage: AT - 20_000 },
}

// Every kind of input, every signal and every timer has its row above: the compiler lists the
// kinds (a new one added to Input fails to compile here until it is named), the test finds its row.
const INPUT_KINDS: Record<Input['type'], true> = {
  start: true, connect: true, queued: true, dequeued: true, reconnect: true, close: true,
  'socket-open': true, 'socket-close': true, 'socket-error': true, 'socket-moved': true, 'attempt-failed': true,
  pong: true, written: true, timer: true, overdue: true, signal: true, 'handshake-done': true, 'handshake-failed': true,
}
const SIGNALS: Record<EnvSignal, true> = { online: true, offline: true, visible: true, hidden: true, freeze: true, resume: true }

it('the table has a row for every kind of input, every signal and every timer', () => {
  const rows = Object.values(INPUTS)
  expect(Object.keys(INPUT_KINDS).filter((kind) => !rows.some((input) => input.type === kind))).toEqual([])
  expect(Object.keys(SIGNALS).filter((signal) => !rows.some((input) => input.type === 'signal' && input.signal === signal))).toEqual([])
  expect(TIMER_NAMES.filter((name) => !rows.some((input) => input.type === 'timer' && input.name === name))).toEqual([])
})

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
    'failed(1,fatal)': 'closed',
    'timer:connect': 'backoff',
    offline: 'backoff',
    freeze: 'backoff',
  },
  open: {
    reconnect: 'connecting',
    close: 'closed',
    'close(1,1006)': 'backoff',
    'close(1,1008)': 'closed',
    'timer:lifetime': 'connecting',
    'moved(1)': 'connecting',
    offline: 'backoff',
    freeze: 'backoff',
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
  'failed(1,fatal)': 'attempt-failed',
  freeze: 'freeze',
  'timer:connect': 'connect-timeout',
  'timer:lifetime': 'lifetime',
  'moved(1)': 'drain',
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

// Inputs whose effect depends on a sub-state the per-phase states above do not hold: a handshake
// under way (connecting), a ping outstanding (open), a frozen page (backoff).
describe('transition: inputs by sub-state', () => {
  const HANDSHAKING: State = { ...STATES.connecting, handshaking: true }
  const GATED: Policy = { ...POLICY, handshakeTimeout: 3_000 }
  const PINGING: State = { ...STATES.open, pingAt: AT - 10_000, pingDeadline: AT }
  const FROZEN: State = { ...STATES.backoff, frozen: true, retryAt: 0 }
  const stateEvent = (commands: readonly Command[]) => commands.find((c) => c.type === 'emit' && c.event === 'state')

  it.each([
    ['handshaking', 'handshake-done(1)', 'open', 'open'],
    ['handshaking', 'handshake-failed(1)', 'backoff', 'handshake-failed'],
    ['handshaking', 'timer:connect', 'backoff', 'handshake-timeout'],
    ['handshaking', 'open(1)', 'connecting', undefined],
    ['pinging', 'overdue(silent)', 'backoff', 'heartbeat-timeout'],
    ['pinging', 'overdue', 'open', undefined], // data came after the ping: alive
    ['frozen', 'resume', 'connecting', 'resume'],
    ['frozen', 'online', 'backoff', undefined],
    ['frozen', 'visible', 'backoff', undefined],
    ['frozen', 'freeze', 'backoff', undefined],
  ] as const)('%s + %s → %s (cause %s)', (sub, label, phase, cause) => {
    const state = sub === 'handshaking' ? HANDSHAKING : sub === 'pinging' ? PINGING : FROZEN
    const [next, commands] = transition(state, INPUTS[label]!, sub === 'handshaking' ? GATED : POLICY)
    expect(next.phase).toBe(phase)
    if (cause) expect(stateEvent(commands)).toMatchObject({ cause })
    else expect(stateEvent(commands)).toBeUndefined()
    // a frozen page arms no retry until 'resume'
    if (sub === 'frozen' && phase === 'backoff') expect(commands.some((c) => c.type === 'set-timer')).toBe(false)
  })

  it('freeze during a handshake ends it: the released socket is reported with its code (it opened), no handshake left in backoff', () => {
    const [next, commands] = transition(HANDSHAKING, INPUTS.freeze!, GATED)
    expect(next).toMatchObject({ phase: 'backoff', socket: 0, handshaking: false, frozen: true })
    expect(commands).toContainEqual({ type: 'emit', event: 'close', close: { code: 1000, reason: 'page frozen', wasClean: false } })
    // resume: a fresh attempt, with no handshake carried over
    expect(transition(next, INPUTS.resume!, GATED)[0]).toMatchObject({ phase: 'connecting', socket: 2, handshaking: false })
  })

  it("freeze in backoff clears the retry timer and announces nothing (the phase stays 'backoff')", () => {
    const [next, commands] = transition(STATES.backoff, INPUTS.freeze!, POLICY)
    expect(next).toMatchObject({ phase: 'backoff', frozen: true, retryAt: 0 })
    expect(commands).toEqual([{ type: 'clear-timer', name: 'retry' }])
  })
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

  it('a drain (socket-moved) hands the open socket over with 1000 and connects again at once: no backoff, no retry timer', () => {
    const [next, commands] = transition(STATES.open, INPUTS['moved(1)']!, POLICY)
    expect(next).toMatchObject({ phase: 'connecting', socket: 2, closing: 1, closingReported: true, attempt: STATES.open.attempt })
    expect(commands).toContainEqual({ type: 'close-socket', id: 1, code: 1000, reason: 'drain', hard: false, keepListening: true })
    expect(commands).toContainEqual({ type: 'open-socket', id: 2 })
    expect(commands).toContainEqual({ type: 'emit', event: 'close', close: { code: 1000, reason: 'drain', wasClean: false } })
    expect(commands.some((c) => c.type === 'set-timer' && c.name === 'retry')).toBe(false)
    expect(commands.some((c) => c.type === 'emit' && c.event === 'reconnecting')).toBe(false)
    // only the live, open socket can be moved
    for (const phase of ['connecting', 'backoff', 'idle', 'closed'] as const) expect(transition(STATES[phase], INPUTS['moved(1)']!, POLICY)[1]).toEqual([])
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

// Issue 14: which writes a pong confirms, when the confirmation ping goes out, and what becomes of
// a dead socket's unconfirmed writes. Decided here; the driver's window only executes.
describe('transition: delivery (every new state × input)', () => {
  const REPORT: Policy = { ...POLICY, delivery: { mode: 'report', confirmDelay: 20 } }
  const RESEND: Policy = { ...POLICY, delivery: { mode: 'resend', confirmDelay: 20 } }
  const timer = (name: TimerName, extra: Partial<Extract<Input, { type: 'timer' }>> = {}): Input => ({ ...(INPUTS['timer:heartbeat'] as Extract<Input, { type: 'timer' }>), name, ...extra })
  const ends = (commands: readonly Command[]) => commands.filter((c) => c.type === 'unconfirmed')

  it("written: the first write of a burst arms 'confirm' for confirmDelay, only on the open live socket with a delivery policy", () => {
    expect(transition(STATES.open, INPUTS['written(1)']!, REPORT)).toEqual([STATES.open, [{ type: 'set-timer', name: 'confirm', ms: 20 }]])
    expect(transition(STATES.open, { type: 'written', id: 9, at: AT }, REPORT)[1]).toEqual([])
    expect(transition(STATES.open, INPUTS['written(1)']!, POLICY)[1]).toEqual([])
    for (const phase of ['idle', 'connecting', 'backoff', 'closed'] as const) expect(transition(STATES[phase], INPUTS['written(1)']!, REPORT)[1]).toEqual([])
  })

  it("timer 'confirm': nothing unpinged or a ping outstanding → nothing; not yet due → re-armed; due → a heartbeat ping with its deadline", () => {
    expect(transition(STATES.open, timer('confirm', { unpingedSince: undefined, pingsOut: 0 }), REPORT)[1]).toEqual([])
    expect(transition(STATES.open, timer('confirm', { unpingedSince: AT - 50, pingsOut: 1 }), REPORT)[1]).toEqual([])
    expect(transition(STATES.open, timer('confirm', { unpingedSince: AT - 5, pingsOut: 0 }), REPORT)[1]).toEqual([{ type: 'set-timer', name: 'confirm', ms: 15 }])
    const [next, commands] = transition(STATES.open, timer('confirm', { unpingedSince: AT - 20, pingsOut: 0, buffered: 7 }), REPORT)
    expect(commands).toEqual([
      { type: 'ping', id: 1 },
      { type: 'set-timer', name: 'heartbeat', ms: POLICY.heartbeat!.timeout },
    ])
    expect(next).toMatchObject({ pingAt: AT, pingDeadline: AT + POLICY.heartbeat!.timeout, pingBuffered: 7 })
    // a heartbeat ping already outstanding keeps its deadline; the confirmation ping goes out beside it
    const pinging = { ...STATES.open, pingAt: AT - 100, pingDeadline: AT + 900 }
    expect(transition(pinging, timer('confirm', { unpingedSince: AT - 30, pingsOut: 0 }), REPORT)).toEqual([pinging, [{ type: 'ping', id: 1 }]])
    for (const phase of ['idle', 'connecting', 'backoff', 'closed'] as const) expect(transition(STATES[phase], timer('confirm'), REPORT)[1]).toEqual([])
    expect(transition(STATES.open, timer('confirm'), POLICY)[1]).toEqual([])
  })

  it('pong: confirms by the ping position it echoes (also with no heartbeat ping outstanding); writes since get their confirmation timer', () => {
    const pong = (extra: object): Input => ({ type: 'pong', id: 1, at: AT, ...extra })
    expect(transition(STATES.open, pong({ position: 4 }), REPORT)).toEqual([STATES.open, [{ type: 'confirm', position: 4 }]])
    expect(transition(STATES.open, pong({ position: undefined, unpingedSince: AT - 5 }), REPORT)[1]).toEqual([
      { type: 'confirm', position: undefined },
      { type: 'set-timer', name: 'confirm', ms: 15 },
    ])
    expect(transition(STATES.open, pong({ position: 2, unpingedSince: AT - 500 }), REPORT)[1]).toContainEqual({ type: 'set-timer', name: 'confirm', ms: 0 })
    const pinging = { ...STATES.open, pingAt: AT - 30, pingDeadline: AT + 900 }
    const [next, commands] = transition(pinging, pong({ position: 3 }), REPORT)
    expect(commands).toEqual([
      { type: 'confirm', position: 3 },
      { type: 'set-timer', name: 'heartbeat', ms: POLICY.heartbeat!.interval },
    ])
    expect(next).toMatchObject({ pingAt: 0, rtt: 30 })
    expect(transition(STATES.open, pong({ position: 3 }), POLICY)[1]).toEqual([])
    expect(transition(STATES.open, { type: 'pong', id: 9, at: AT, position: 3 }, REPORT)[1]).toEqual([])
    for (const phase of ['idle', 'connecting', 'backoff', 'closed'] as const) expect(transition(STATES[phase], pong({ position: 1 }), REPORT)[1]).toEqual([])
  })

  it('the open socket closes: clean confirms everything written, unclean reports or resends, before the backoff; a connecting one wrote nothing', () => {
    const clean = { type: 'socket-close', id: 1, at: AT, random: r, close: { code: 1001, reason: '', wasClean: true } } as const
    const dirty = { type: 'socket-close', id: 1, at: AT, random: r, close: { code: 1006, reason: '', wasClean: false } } as const
    expect(ends(transition(STATES.open, clean, REPORT)[1])).toEqual([{ type: 'unconfirmed', id: 1, outcome: 'confirm' }])
    expect(ends(transition(STATES.open, dirty, REPORT)[1])).toEqual([{ type: 'unconfirmed', id: 1, outcome: 'report' }])
    expect(ends(transition(STATES.open, dirty, RESEND)[1])).toEqual([{ type: 'unconfirmed', id: 1, outcome: 'resend' }])
    expect(ends(transition(STATES.connecting, dirty, REPORT)[1])).toEqual([])
    expect(ends(transition(STATES.open, dirty, POLICY)[1])).toEqual([])
    // given up: kept to resend, then reported with the queue (drop-queue), in send order
    const once: Policy = { ...RESEND, backoff: { ...RESEND.backoff, maxRetries: 0 } }
    const commands = transition(STATES.open, dirty, once)[1]
    const types = commands.map((c) => c.type)
    expect(types.indexOf('unconfirmed')).toBeLessThan(types.indexOf('drop-queue'))
  })

  it('the watchdogs, offline and reconnect() while connecting abandon the open socket: its unconfirmed writes before it is closed', () => {
    const dead = { ...STATES.open, pingAt: AT - 20_000, pingDeadline: AT - 10_000 }
    const cases: [State, Input][] = [
      [dead, timer('heartbeat', { lastInbound: AT - 30_000 })],
      [STATES.open, INPUTS.offline!],
    ]
    for (const [state, input] of cases) {
      for (const [policy, outcome] of [[REPORT, 'report'], [RESEND, 'resend']] as const) {
        const commands = transition(state, input, policy)[1]
        const at = commands.findIndex((c) => c.type === 'unconfirmed')
        expect(commands[at]).toEqual({ type: 'unconfirmed', id: 1, outcome })
        expect(at).toBeLessThan(commands.findIndex((c) => c.type === 'close-socket'))
      }
    }
    expect(ends(transition(STATES.connecting, INPUTS.reconnect!, REPORT)[1])).toEqual([])
  })

  it("a handover (reconnect(), maxLifetime): 'report' lets the close handshake decide; 'resend' resends before the next socket opens", () => {
    for (const label of ['reconnect', 'timer:lifetime']) {
      expect(ends(transition(STATES.open, INPUTS[label]!, REPORT)[1])).toEqual([])
      const commands = transition(STATES.open, INPUTS[label]!, RESEND)[1]
      const at = commands.findIndex((c) => c.type === 'unconfirmed')
      expect(commands[at]).toEqual({ type: 'unconfirmed', id: 1, outcome: 'resend' })
      expect(at).toBeLessThan(commands.findIndex((c) => c.type === 'open-socket'))
    }
  })

  it('the closing socket ends: a clean close confirms, else report or resend (report once closed for good); its timeout abandons', () => {
    const closingAt = (phase: Phase) => ({ ...STATES[phase], closing: 7, closingReported: true })
    const end = (wasClean: boolean): Input => ({ type: 'socket-close', id: 7, at: AT, random: r, close: { code: 1000, reason: '', wasClean } })
    for (const phase of ['connecting', 'open', 'backoff', 'closed'] as const) {
      expect(ends(transition(closingAt(phase), end(true), RESEND)[1])).toEqual([{ type: 'unconfirmed', id: 7, outcome: 'confirm' }])
      expect(ends(transition(closingAt(phase), end(false), REPORT)[1])).toEqual([{ type: 'unconfirmed', id: 7, outcome: 'report' }])
      const kept = phase === 'closed' ? 'report' : 'resend'
      expect(ends(transition(closingAt(phase), end(false), RESEND)[1])).toEqual([{ type: 'unconfirmed', id: 7, outcome: kept }])
      expect(ends(transition(closingAt(phase), timer('closing'), RESEND)[1])).toEqual([{ type: 'unconfirmed', id: 7, outcome: kept }])
    }
  })

  it('the outcome rule, also asked by the driver for a write its socket reported after it was replaced: clean confirms; resend only while not closed', () => {
    for (const phase of ['idle', 'connecting', 'open', 'backoff', 'closed'] as const) {
      expect(unconfirmedOutcome(true, 'resend', phase)).toBe('confirm')
      expect(unconfirmedOutcome(false, 'report', phase)).toBe('report')
      expect(unconfirmedOutcome(false, 'resend', phase)).toBe(phase === 'closed' ? 'report' : 'resend')
    }
  })

  it('close() while open: the close handshake decides (nothing settled yet); what waits to be resent is dropped with the queue', () => {
    const commands = transition(STATES.open, INPUTS.close!, RESEND)[1]
    expect(ends(commands)).toEqual([])
    expect(commands).toContainEqual({ type: 'drop-queue' })
  })
})

// 'online' (and 'visible' with the network up) end a backoff wait early, spread over up to 1 s so a
// fleet coming back online does not arrive at once, but never past the policy's maxDelay.
describe('transition: an early retry on a signal', () => {
  const waiting: State = { ...STATES.backoff, retryAt: AT + 60_000 }
  const retryOn = (signal: 'online' | 'visible', maxDelay: number, random: number) => {
    const policy: Policy = { ...POLICY, backoff: { ...POLICY.backoff, initialDelay: Math.min(maxDelay, 100), maxDelay } }
    return transition(waiting, { type: 'signal', signal, at: AT, random }, policy)[1].find((c) => c.type === 'set-timer' && c.name === 'retry')
  }

  it.each([
    ['online', 5_000, 0.5, 500],
    ['online', 5_000, 0.999, 999],
    ['online', 200, 0.999, 199.8],
    ['visible', 200, 0.5, 100],
    ['online', 0, 5e-324, 0],
  ] as const)('%s with maxDelay %d, random %d: the retry in %d ms', (signal, maxDelay, random, ms) => {
    expect(retryOn(signal, maxDelay, random)).toEqual({ type: 'set-timer', name: 'retry', ms })
  })
})
