/**
 * transition(state, input, policy) → [next state, commands]. Pure: no timers, sockets, clocks or
 * randomness of its own; time and random numbers arrive inside the input. The driver runs the
 * commands. Every behaviour of the connection is decided here, so a question like "what happens
 * when the heartbeat times out?" is answered by reading one function below (`onHeartbeatTimer`).
 */
import { backoffDelay } from './backoff.js'
import { CLIENT_CLOSE, retryAfterMs, TRY_AGAIN_LATER } from './close-codes.js'
import { confirmationDue } from './delivery.js'
import { nextEndpoint } from './endpoints.js'
import { refreshDue, startHandshake } from './handshake.js'
import { isSuspended, resume, suspendedDelay } from './suspend.js'
import { ONLINE_JITTER, PROBE_TIMEOUT, SLEEP_THRESHOLD, type HeartbeatPolicy, type Policy } from './policy.js'
import { withPing, type Cause, type CloseInfo, type Command, type ErrorCode, type GiveUpReason, type Input, type Phase, type State, type TimerName } from './state.js'

export type Result = readonly [State, readonly Command[]]

const NOTHING: readonly Command[] = Object.freeze([])

/** Timers that may be alive in each phase; leaving the phase clears them ('ttl' belongs to the queue). */
const PHASE_TIMERS: Readonly<Record<Phase, readonly TimerName[]>> = {
  idle: ['start'],
  connecting: ['connect'],
  open: ['stable', 'heartbeat', 'idle', 'lifetime', 'confirm'],
  backoff: ['retry'],
  closed: [],
}
// Two timers cross phases: 'ttl' (the queue's) and 'closing' (a graceful close's: see closeGracefully).

export function transition(state: State, input: Input, policy: Policy): Result {
  switch (input.type) {
    case 'start':
      return state.phase === 'idle' ? [state, [{ type: 'set-timer', name: 'start', ms: 0 }]] : [state, NOTHING]
    case 'connect':
      return state.phase === 'idle' ? startAttempt(state, 'connect', 'connect', [], policy) : [state, NOTHING]
    case 'queued':
      return onQueued(state, input.at, input.expires, policy)
    case 'dequeued':
      return state.phase === 'closed' ? [state, NOTHING] : [state, [ttlTimer(input.at, input.expires)]]
    case 'reconnect':
      return onReconnect(resume(state, input.at), policy)
    case 'close':
      return onUserClose(state, input.code, input.reason, policy)
    case 'socket-open':
      if (input.id !== state.socket || state.phase !== 'connecting' || state.handshaking) return [state, NOTHING]
      return policy.handshakeTimeout === undefined ? onOpen(state, policy, input.random, input.resumed) : startHandshake(state, policy.handshakeTimeout)
    case 'handshake-done':
      return input.id === state.socket && state.handshaking ? onOpen({ ...state, handshaking: false }, policy, input.random, input.resumed) : [state, NOTHING]
    case 'handshake-failed':
      return input.id === state.socket && state.handshaking ? onHandshakeFailed(state, input, policy) : [state, NOTHING]
    case 'socket-close':
      return onSocketClose(state, input, policy)
    case 'socket-error':
      return input.id === state.socket && state.socket !== 0
        ? [state, [{ type: 'emit', event: 'error', code: 'SOCKET_ERROR', message: input.message }]]
        : [state, NOTHING]
    case 'socket-moved':
      return input.id === state.socket && state.phase === 'open' ? onMoved(state, policy) : [state, NOTHING]
    case 'attempt-failed': {
      if (input.id !== state.socket || state.phase !== 'connecting') return [state, NOTHING]
      const error: Command[] = [{ type: 'emit', event: 'error', code: input.code, message: input.message }]
      return input.fatal
        ? giveUp(state, 'config', undefined, input.code, 'attempt-failed', error)
        : fail(state, input.at, input.random, policy, undefined, input.code, 'attempt-failed', error)
    }
    case 'pong':
      return onPong(state, input, policy)
    case 'written':
      // the first write of a burst: its confirmation ping is due confirmDelay from now
      return policy.delivery && input.id === state.socket && state.phase === 'open'
        ? [state, [{ type: 'set-timer', name: 'confirm', ms: policy.delivery.confirmDelay }]]
        : [state, NOTHING]
    case 'timer':
      return onTimer(state, input, policy)
    case 'overdue':
      // its timer may be a minute late (throttled): judge now, rather than write into a dead link
      return state.phase === 'open' && pingOverdue(state, input.at)
        ? onHeartbeatTimer(state, { ...input, type: 'timer', name: 'heartbeat', late: 0 }, policy)
        : [state, NOTHING]
    case 'signal':
      return onSignal(state, input, policy)
  }
}

// ── entering phases ──────────────────────────────────────────────────────────────────────────────

function leave(phase: Phase): Command[] {
  return PHASE_TIMERS[phase].map((name) => ({ type: 'clear-timer', name }))
}

function stateEvent(next: Phase, prev: Phase, reason: string, cause: Cause): Command {
  return { type: 'emit', event: 'state', next, prev, reason, cause }
}

/**
 * Start a new attempt now. `before` holds the commands of what ends the previous socket (its
 * close, a synthesised 'close' event); effects always come before any emit.
 */
function startAttempt(state: State, reason: string, cause: Cause, before: Command[], policy: Policy): Result {
  const id = state.lastSocket + 1
  const effects = leave(state.phase)
  const next: State = {
    ...state,
    phase: 'connecting',
    socket: id,
    lastSocket: id,
    retryAt: 0,
    pingAt: 0,
    pingDeadline: 0, handshaking: false,
  }
  return [
    next,
    [
      ...effects,
      ...before.filter(isEffect),
      { type: 'set-timer', name: 'connect', ms: policy.connectTimeout },
      { type: 'open-socket', id },
      ...before.filter(isEmit),
      stateEvent('connecting', state.phase, reason, cause),
    ],
  ]
}

function isEmit(command: Command): boolean {
  return command.type === 'emit'
}
function isEffect(command: Command): boolean {
  return command.type !== 'emit'
}

/**
 * End the live socket at once and report its close now: it is ignored from here on. A socket
 * that never opened has no close frame of its own to report: it is 1006 (abnormal).
 */
function abandon(state: State, code: number, reason: string, policy: Policy): Command[] {
  // a socket in its handshake opened too: its close frame carries the code
  const reported = state.phase === 'open' || state.handshaking ? code : 1006
  return [
    // only an open socket was written to
    ...(state.phase === 'open' ? unconfirmed(state, state.socket, false, policy) : []),
    { type: 'close-socket', id: state.socket, code, reason, hard: true, keepListening: false },
    { type: 'emit', event: 'close', close: { code: reported, reason, wasClean: false } },
  ]
}

/**
 * What becomes of socket `id`'s written, unconfirmed messages now that it ended: a clean close
 * (both close frames) confirms them; any other end reports them, or keeps them to write again on
 * the next socket ('resend'; reported after all once closed for good: no next socket will come).
 */
function unconfirmed(state: State, id: number, clean: boolean, policy: Policy): Command[] {
  const delivery = policy.delivery
  if (!delivery || id === 0) return []
  return [{ type: 'unconfirmed', id, outcome: unconfirmedOutcome(clean, delivery.mode, state.phase) }]
}

/**
 * The rule behind `unconfirmed`, also for one write whose outcome its socket told only after that
 * socket was replaced (a Blob read late): the driver asks here rather than deciding itself.
 */
export function unconfirmedOutcome(clean: boolean, mode: 'report' | 'resend', phase: Phase): 'confirm' | 'report' | 'resend' {
  return clean ? 'confirm' : mode === 'resend' && phase !== 'closed' ? 'resend' : 'report'
}

/**
 * Close the open socket with a close frame, so that what was sent still goes out, but wait for its
 * end at most closeTimeout: a dead link never answers the frame. At most one socket is in a graceful
 * close: one still closing from before is terminated now. Its unconfirmed writes wait for its end
 * (a clean close confirms them), except in a 'resend' handover. `reported`: its close event is reported
 * now (a handover: reconnect(), maxLifetime; the next socket takes over at once); else its real
 * close is, when it comes (close()).
 */
function closeGracefully(state: State, code: number, reason: string, reported: boolean, policy: Policy): [State, Command[]] {
  const commands: Command[] = state.closing !== 0 ? endClosing(state, 'superseded', policy) : []
  // 'resend' across a handover: what is unconfirmed goes first on the next socket, in order, rather
  // than after what that socket writes meanwhile (the server may see it twice: resent messages may)
  if (reported && policy.delivery?.mode === 'resend') commands.push(...unconfirmed(state, state.socket, false, policy))
  commands.push(
    { type: 'close-socket', id: state.socket, code, reason, hard: false, keepListening: true },
    { type: 'set-timer', name: 'closing', ms: policy.closeTimeout },
  )
  if (reported) commands.push({ type: 'emit', event: 'close', close: { code, reason, wasClean: false } })
  return [{ ...state, closing: state.socket, closingReported: reported }, commands]
}

/** The socket in a graceful close took too long: terminate it (and report it, if not done yet). */
function endClosing(state: State, why: string, policy: Policy): Command[] {
  const commands: Command[] = [
    ...unconfirmed(state, state.closing, false, policy),
    { type: 'close-socket', id: state.closing, code: 1000, reason: why, hard: true, keepListening: false },
  ]
  if (!state.closingReported) commands.push({ type: 'emit', event: 'close', close: { code: 1006, reason: why, wasClean: false } })
  return commands
}

/**
 * The connection is open (after the handshake, if any): the intents go first, unless a session
 * resumed (the server still holds them), then the queue, then 'open'.
 */
function onOpen(state: State, policy: Policy, random: number, resumed = false): Result {
  const { backoff, heartbeat, idleTimeout, maxLifetime } = policy
  const settle = state.attempt > 0 || state.prevDelay > 0
  const resetNow = settle && backoff.resetAfter === 0
  const commands: Command[] = [{ type: 'clear-timer', name: 'connect' }]
  if (settle && !resetNow) commands.push({ type: 'set-timer', name: 'stable', ms: backoff.resetAfter })
  // the refresh retry is due again only after a connection that stays up: one the server closes at
  // once for expired credentials must not become a loop of immediate retries
  else if (state.authRetried) commands.push({ type: 'set-timer', name: 'stable', ms: Math.max(backoff.resetAfter, backoff.initialDelay) })
  if (heartbeat) commands.push({ type: 'set-timer', name: 'heartbeat', ms: heartbeat.interval })
  if (idleTimeout !== undefined) commands.push({ type: 'set-timer', name: 'idle', ms: idleTimeout })
  if (maxLifetime !== undefined) {
    // ±10 % so that a fleet connected at one moment does not rebuild at one moment
    commands.push({ type: 'set-timer', name: 'lifetime', ms: maxLifetime * (0.9 + 0.2 * random) })
  }
  if (!resumed) commands.push({ type: 'intents', id: state.socket })
  commands.push(...flush(state.socket), stateEvent('open', 'connecting', 'open', 'open'), {
    type: 'emit',
    event: 'open',
  })
  // built by withPing, as every heartbeat step builds it: an idle socket holds this state until its
  // first ping, and a spread's copy keeps most fields outside the object (~30 B more per socket)
  const open: State = { ...state, phase: 'open', downSince: 0, suspended: false, ...(resetNow ? { attempt: 0, prevDelay: 0 } : {}) }
  return [withPing(open, 0, 0, state.pingBuffered, state.pingReceived), commands]
}

/**
 * The live socket is gone (closed, failed, timed out). Decide between giving up and waiting, and
 * for how long. `close` is the server's close when there was one (the only case `shouldReconnect`
 * and the server's hints apply to). `before` holds the error/close emits of the failure itself.
 */
function fail(
  state: State,
  at: number,
  random: number,
  policy: Policy,
  close: CloseInfo | undefined,
  why: string,
  cause: Cause,
  before: Command[],
): Result {
  const { backoff } = policy
  const prev = state.phase
  const stop = close !== undefined && !policy.shouldReconnect(close)
  if (stop || state.attempt >= backoff.maxRetries) {
    return giveUp(state, stop ? 'close-code' : 'max-retries', close, why, cause, before)
  }
  const n = state.attempt
  let delay = backoffDelay(n, backoff, random, state.prevDelay)
  // Server hints can make the wait longer, never shorter than flap protection allows: a server
  // (or proxy) that closes every connection at once with a hint must not get a reconnect loop.
  // 1012 Service Restart needs no rule of its own: after a stable connection n is 0, and the
  // first retry is already the short jittered one.
  if (close) {
    if (close.code === TRY_AGAIN_LATER) delay = Math.max(delay, backoff.maxDelay / 4)
    const hinted = retryAfterMs(close.reason)
    if (hinted !== undefined) delay = Math.max(delay, Math.min(backoff.maxDelay, hinted))
  }
  // a long outage: retries slow down (the queue kept or dropped, per suspendedQueue)
  const downSince = state.downSince || at
  const suspended = isSuspended(state, at, policy.suspend)
  if (suspended) delay = Math.max(delay, suspendedDelay(policy.suspend!, random))
  const suspending: Command[] = []
  const announce: Command[] = []
  if (suspended && !state.suspended) {
    if (policy.suspend!.queue === 'drop') suspending.push(...dropQueue('suspended'))
    announce.push({ type: 'emit', event: 'suspended', since: downSince })
  }
  const nextAttempt = n + 1
  const next: State = {
    ...state,
    downSince,
    suspended,
    endpoint: nextEndpoint(state, policy),
    phase: 'backoff',
    socket: 0,
    attempt: nextAttempt,
    prevDelay: delay,
    retryAt: at + delay,
    pingAt: 0,
    pingDeadline: 0, handshaking: false,
  }
  return [
    next,
    [
      ...leave(prev),
      ...before.filter(isEffect),
      { type: 'set-timer', name: 'retry', ms: delay },
      ...suspending,
      ...before.filter(isEmit),
      stateEvent('backoff', prev, why, cause),
      ...announce,
      { type: 'emit', event: 'reconnecting', attempt: nextAttempt, delay },
    ],
  ]
}

function giveUp(
  state: State,
  reason: GiveUpReason,
  close: CloseInfo | undefined,
  why: string,
  cause: Cause,
  before: Command[],
): Result {
  const next: State = { ...state, phase: 'closed', socket: 0, retryAt: 0, pingAt: 0, pingDeadline: 0, handshaking: false }
  return [
    next,
    [
      ...leave(state.phase),
      ...before.filter(isEffect),
      ...dropQueue(),
      ...before.filter(isEmit),
      // giveup first: whoever waits on the socket learns why before it sees 'closed'
      { type: 'emit', event: 'giveup', reason, attempt: state.attempt, close },
      stateEvent('closed', state.phase, `${why}; giving up (${reason})`, cause),
    ],
  ]
}

// ── the handshake gate ───────────────────────────────────────────────────────────────────────────

/**
 * The handshake rejected. `kind: 'fatal'`: give up, with its message; `'auth'`: the providers are
 * asked again and one attempt is made at once (then the normal backoff); anything else: back off.
 * The socket is closed either way (it opened: a close frame says why).
 */
function onHandshakeFailed(state: State, input: Extract<Input, { type: 'handshake-failed' }>, policy: Policy): Result {
  const { kind, message, at, random } = input
  const before = [
    ...abandon(state, CLIENT_CLOSE.handshakeFailed, 'handshake failed', policy),
    errorEvent('HANDSHAKE_FAILED', `handshake failed: ${message}`),
  ]
  if (kind === 'fatal') return giveUp(state, 'handshake', undefined, 'handshake failed (fatal)', 'handshake-failed', before)
  if (kind === 'auth' && refreshDue(state, undefined, policy)) return refreshAndRetry(state, 'handshake failed (auth); refreshing credentials', before, policy)
  return fail(state, at, random, policy, undefined, 'handshake failed', 'handshake-failed', before)
}

/** The one immediate retry with fresh credentials: it counts as a failed attempt. */
function refreshAndRetry(state: State, reason: string, before: Command[], policy: Policy): Result {
  return startAttempt({ ...state, attempt: state.attempt + 1, authRetried: true }, reason, 'auth-refresh', before, policy)
}

// ── the outbound queue ───────────────────────────────────────────────────────────────────────────

/**
 * What send() does with a message, by phase: a closed socket drops it ('closed'); an open one with
 * nothing queued before it writes it at once, with no transition (the hot path); any other queues
 * it, and the core hears of it as `queued`.
 */
export function routeSend(phase: Phase, queued: number): 'write' | 'queue' | 'drop' {
  return phase === 'closed' ? 'drop' : phase === 'open' && queued === 0 ? 'write' : 'queue'
}

/**
 * A message waits in the queue. A socket never connected (lazy, or eager before its first tick)
 * connects now; an open one writes the queue out; any other waits for its open. The oldest
 * message's ttl is a timer: when it fires, what has expired is dropped ('ttl').
 */
function onQueued(state: State, at: number, expires: number, policy: Policy): Result {
  switch (state.phase) {
    case 'idle': {
      const [next, commands] = startAttempt(state, 'connect', 'send', [], policy)
      return [next, [ttlTimer(at, expires), ...commands]]
    }
    case 'open':
      return [state, [ttlTimer(at, expires), ...flush(state.socket)]]
    case 'backoff':
      if (state.suspended && policy.suspend?.queue === 'drop') return [state, dropQueue('suspended')]
      return [state, [ttlTimer(at, expires)]]
    case 'connecting':
      return [state, [ttlTimer(at, expires)]]
    case 'closed':
      return [state, NOTHING]
  }
}

/** Write the queue out: what has expired first leaves (a message past its ttl is never sent). */
function flush(id: number): Command[] {
  return [{ type: 'expire-queue' }, { type: 'flush', id }]
}

function ttlTimer(at: number, expires: number): Command {
  return expires === Infinity ? { type: 'clear-timer', name: 'ttl' } : { type: 'set-timer', name: 'ttl', ms: Math.max(0, expires - at) }
}

/** Closed for good (or suspended with suspendedQueue 'drop'): nothing queued will go out. */
function dropQueue(reason?: 'suspended'): Command[] {
  return [{ type: 'clear-timer', name: 'ttl' }, reason ? { type: 'drop-queue', reason } : { type: 'drop-queue' }]
}

// ── user calls ───────────────────────────────────────────────────────────────────────────────────

function onReconnect(state: State, policy: Policy): Result {
  switch (state.phase) {
    case 'idle':
    case 'backoff':
      return startAttempt(state, 'reconnect()', 'reconnect', [], policy)
    case 'connecting':
      return startAttempt(state, 'reconnect()', 'reconnect', abandon(state, CLIENT_CLOSE.normal, 'reconnect', policy), policy)
    case 'open': {
      const [closing, commands] = closeGracefully(state, CLIENT_CLOSE.normal, 'reconnect', true, policy)
      return startAttempt(closing, 'reconnect()', 'reconnect', commands, policy)
    }
    case 'closed':
      return [state, NOTHING]
  }
}

/**
 * A drain: the server already spread its clients over its window (each DRAIN's delay), so the move
 * is a handover (a close frame, 1000 as PROTOCOL.md §9 says) and a new attempt at once; a backoff
 * on top would only delay the resume.
 */
function onMoved(state: State, policy: Policy): Result {
  const [closing, commands] = closeGracefully(state, CLIENT_CLOSE.normal, 'drain', true, policy)
  return startAttempt(closing, 'drain', 'drain', commands, policy)
}

function onUserClose(state: State, code: number, reason: string, policy: Policy): Result {
  if (state.phase === 'closed') return [state, NOTHING]
  const commands: Command[] = leave(state.phase)
  let closed = state
  if (state.phase === 'open') {
    // the 'close' event carries the socket's real outcome, when it comes
    const [closing, close] = closeGracefully(state, code, reason, false, policy)
    closed = closing
    commands.push(...close)
  } else if (state.phase === 'connecting') {
    // never opened: no close frame can carry the code, and the socket itself reports 1006
    commands.push(...abandon(state, code, reason, policy))
  }
  commands.push(...dropQueue())
  const next: State = { ...closed, phase: 'closed', socket: 0, retryAt: 0, pingAt: 0, pingDeadline: 0, handshaking: false }
  return [next, [...commands.filter(isEffect), ...commands.filter(isEmit), stateEvent('closed', state.phase, 'close()', 'user-close')]]
}

// ── socket events ────────────────────────────────────────────────────────────────────────────────

function onSocketClose(state: State, input: Extract<Input, { type: 'socket-close' }>, policy: Policy): Result {
  const { id, close, at, random } = input
  if (id !== 0 && id === state.closing) {
    const commands: Command[] = [{ type: 'clear-timer', name: 'closing' }, ...unconfirmed(state, id, close.wasClean, policy)]
    if (!state.closingReported) commands.push({ type: 'emit', event: 'close', close })
    return [{ ...state, closing: 0, closingReported: false }, commands]
  }
  if (id !== state.socket || (state.phase !== 'open' && state.phase !== 'connecting')) return [state, NOTHING]
  if (refreshDue(state, close, policy)) {
    return refreshAndRetry(state, `closed ${close.code}; refreshing credentials`, [
      ...(state.phase === 'open' ? unconfirmed(state, id, close.wasClean, policy) : []),
      { type: 'emit', event: 'close', close },
    ], policy)
  }
  return fail(state, at, random, policy, close, `closed ${close.code}${close.reason ? ` ${close.reason}` : ''}`, 'socket-close', [
    ...(state.phase === 'open' ? unconfirmed(state, id, close.wasClean, policy) : []),
    { type: 'emit', event: 'close', close },
  ])
}

function onPong(state: State, input: Extract<Input, { type: 'pong' }>, policy: Policy): Result {
  const { id, at, unpingedSince } = input
  if (id !== state.socket || state.phase !== 'open') return [state, NOTHING]
  const delivery = policy.delivery
  // the answered ping's position says which writes it confirms (frames are ordered); writes made
  // since that ping get their own confirmation ping, once no other is outstanding
  const commands: Command[] = delivery ? [{ type: 'confirm', position: input.position }] : []
  // a ping may stay unanswered after this pong (several were out, or it echoed no position): the
  // confirm timer then watches it, as the heartbeat no longer does
  const pingsLeft = (input.pingsOut ?? 0) > 1 || Number.isNaN(input.position)
  if (delivery && (unpingedSince !== undefined || pingsLeft)) {
    commands.push({ type: 'set-timer', name: 'confirm', ms: Math.max(0, (unpingedSince ?? at) + delivery.confirmDelay - at) })
  }
  if (state.pingAt === 0 || !policy.heartbeat) return [state, commands.length > 0 ? commands : NOTHING]
  // answered: measure, and re-arm so an idle link wakes once per interval, not twice
  const next = withPing(state, 0, 0, state.pingBuffered, state.pingReceived, at - state.pingAt)
  commands.push({ type: 'set-timer', name: 'heartbeat', ms: policy.heartbeat.interval })
  return [next, commands]
}

// ── timers ───────────────────────────────────────────────────────────────────────────────────────

function onTimer(state: State, input: Extract<Input, { type: 'timer' }>, policy: Policy): Result {
  const { name, at, random } = input
  switch (name) {
    case 'start':
      return state.phase === 'idle' ? startAttempt(state, 'connect', 'start', [], policy) : [state, NOTHING]
    case 'connect':
      if (state.phase !== 'connecting') return [state, NOTHING]
      if (state.handshaking) {
        return fail(state, at, random, policy, undefined, 'handshake timeout', 'handshake-timeout', [
          ...abandon(state, CLIENT_CLOSE.handshakeFailed, 'handshake timeout', policy),
          errorEvent('HANDSHAKE_TIMEOUT', `the handshake did not settle within handshakeTimeout (${policy.handshakeTimeout} ms)`),
        ])
      }
      return fail(state, at, random, policy, undefined, 'connect timeout', 'connect-timeout', [
        ...abandon(state, CLIENT_CLOSE.normal, 'connect timeout', policy),
        errorEvent('CONNECT_TIMEOUT', `no connection within connectTimeout (${policy.connectTimeout} ms)`),
      ])
    case 'retry':
      return state.phase === 'backoff' ? startAttempt(state, 'retry', 'retry', [], policy) : [state, NOTHING]
    case 'stable':
      return state.phase === 'open' ? [{ ...state, attempt: 0, prevDelay: 0, authRetried: false }, NOTHING] : [state, NOTHING]
    case 'heartbeat':
      return state.phase === 'open' ? onHeartbeatTimer(state, input, policy) : [state, NOTHING]
    case 'idle':
      return state.phase === 'open' ? onIdleTimer(state, input, policy) : [state, NOTHING]
    case 'closing':
      // the peer never answered our close frame: the link is dead, stop waiting
      return state.closing === 0 ? [state, NOTHING] : [{ ...state, closing: 0, closingReported: false }, endClosing(state, 'close timeout', policy)]
    case 'ttl':
      return state.phase === 'closed' ? [state, NOTHING] : [state, [{ type: 'expire-queue' }]]
    case 'confirm':
      return state.phase === 'open' ? onConfirmTimer(state, input, policy) : [state, NOTHING]
    case 'lifetime':
      if (state.phase !== 'open') return [state, NOTHING]
    {
      // rebuild: a graceful close (what was sent still goes out), then a fresh attempt at once;
      // the queue is untouched, so anything sent meanwhile waits for the new socket
      const [closing, commands] = closeGracefully(state, CLIENT_CLOSE.normal, 'max lifetime', true, policy)
      return startAttempt(closing, 'max lifetime', 'lifetime', commands, policy)
    }
  }
}

/**
 * The heartbeat. One named timer, armed lazily: inbound data only records the time, and the
 * timer, when it fires, decides from the clock whether the link has been quiet long enough to ping,
 * or whether the outstanding ping is overdue. Worst case from the last inbound byte to detection:
 * interval (quiet) + timeout (no answer).
 */
function onHeartbeatTimer(state: State, input: Extract<Input, { type: 'timer' }>, policy: Policy): Result {
  const { at, late, random, buffered, received } = input
  // a wall clock set backwards must not put the last inbound data in the future
  const lastInbound = Math.min(input.lastInbound, at)
  const heartbeat = policy.heartbeat
  if (!heartbeat) return [state, NOTHING]
  // Fired far later than asked: the machine slept or the page was frozen. Whatever we were waiting
  // for could not have arrived, so judge nothing yet: probe the link now.
  if (late >= SLEEP_THRESHOLD) return probe(state, at, buffered, received, policy, true)

  if (state.pingAt > 0) {
    // Writes waiting for this ping's answer need that answer: data from a server that no longer
    // reads (a link failed one way) must not hold them forever, so for them it proves nothing.
    if (lastInbound >= state.pingAt && input.awaitingSince === undefined) {
      // data arrived after the ping: alive. Wait out the rest of a quiet interval from that data.
      return schedulePing(withPing(state, 0, 0, state.pingBuffered, state.pingReceived), at, lastInbound, buffered, received, heartbeat)
    }
    // bytes arriving count only while no message completed since the ping: one large message
    // still arriving, which the answer waits behind; a stream of messages does not extend it
    const arriving = received > state.pingReceived && lastInbound < state.pingAt
    if (at >= state.pingDeadline && (buffered < state.pingBuffered || arriving)) {
      // The ping waits behind an upload that is still draining (the peer is acknowledging bytes),
      // or its answer behind a large message still arriving (bytes came in since the ping, where
      // the runtime shows them: Node): the link lives. Give the ping a fresh deadline from here
      // (once more after an upload's buffer empties, for what the kernel still holds; bytes there
      // are invisible to any WebSocket API).
      const next = withPing(state, state.pingAt, at + heartbeat.timeout, buffered, received)
      return [next, [{ type: 'set-timer', name: 'heartbeat', ms: heartbeat.timeout }]]
    }
    if (at >= state.pingDeadline) {
      return fail(state, at, random, policy, undefined, 'heartbeat timeout', 'heartbeat-timeout', [
        ...abandon(state, CLIENT_CLOSE.heartbeatTimeout, 'heartbeat timeout', policy),
        errorEvent('HEARTBEAT_TIMEOUT', `no answer to a ping within ${state.pingDeadline - state.pingAt} ms`),
      ])
    }
    const wait = Math.min(state.pingDeadline - at, state.pingDeadline - state.pingAt)
    return [state, [{ type: 'set-timer', name: 'heartbeat', ms: wait }]]
  }
  return schedulePing(state, at, lastInbound, buffered, received, heartbeat)
}

/**
 * Whether the outstanding ping's answer is overdue at `at`. The driver asks before each write, on
 * inbound data and on signals, so a link is judged by the clock, not by when a timer gets to run.
 */
export function pingOverdue(state: State, at: number): boolean {
  return state.pingAt !== 0 && at >= state.pingDeadline
}

/** Ping now if the link has been quiet a whole interval, else sleep until it will have been. */
function schedulePing(
  state: State,
  at: number,
  lastInbound: number,
  buffered: number,
  received: number,
  heartbeat: HeartbeatPolicy,
): Result {
  const quiet = at - lastInbound
  if (quiet >= heartbeat.interval) {
    const next = withPing(state, at, at + heartbeat.timeout, buffered, received)
    return [
      next,
      [
        { type: 'ping', id: state.socket },
        { type: 'set-timer', name: 'heartbeat', ms: heartbeat.timeout },
      ],
    ]
  }
  return [state, [{ type: 'set-timer', name: 'heartbeat', ms: heartbeat.interval - quiet }]]
}

/**
 * The confirmation ping: confirmDelay after the first write no ping covers, and only while no
 * other ping is outstanding (its answer confirms writes already; the next ping then covers the
 * whole burst). It is a heartbeat ping: unanswered within heartbeat.timeout, the link is dead, so
 * a link that dies under writes is noticed within confirmDelay + timeout.
 */
function onConfirmTimer(state: State, input: Extract<Input, { type: 'timer' }>, policy: Policy): Result {
  const { delivery, heartbeat } = policy
  if (!delivery || !heartbeat) return [state, NOTHING]
  const { at, awaitingSince } = input
  if (state.pingAt === 0 && awaitingSince !== undefined) {
    // Writes wait for a ping the heartbeat no longer watches (data stood in for its answer before
    // they were written, or an older ping's answer ended the watch): watch it again. Its answer is
    // due heartbeat.timeout after they began to wait, and the heartbeat judges it like any ping.
    const pingAt = input.pingedAt ?? awaitingSince
    const pingDeadline = awaitingSince + heartbeat.timeout
    const next = withPing(state, pingAt, pingDeadline, input.buffered, input.received)
    return [next, [{ type: 'set-timer', name: 'heartbeat', ms: Math.max(0, pingDeadline - at) }]]
  }
  const due = confirmationDue(input.unpingedSince, input.pingsOut ?? 0, delivery.confirmDelay)
  if (due === undefined) return [state, NOTHING]
  if (due > at) return [state, [{ type: 'set-timer', name: 'confirm', ms: due - at }]]
  // a heartbeat ping (sent before any write) is outstanding: this one keeps its deadline
  if (state.pingAt > 0) return [state, [{ type: 'ping', id: state.socket }]]
  const next = withPing(state, at, at + heartbeat.timeout, input.buffered, input.received)
  return [
    next,
    [
      { type: 'ping', id: state.socket },
      { type: 'set-timer', name: 'heartbeat', ms: heartbeat.timeout },
    ],
  ]
}

/** Ask the link to prove itself within a short deadline (page visible again, wake from sleep). */
function probe(state: State, at: number, buffered: number, received: number, policy: Policy, force: boolean): Result {
  const heartbeat = policy.heartbeat
  if (!heartbeat || state.phase !== 'open') return [state, NOTHING]
  const wait = Math.min(heartbeat.timeout, PROBE_TIMEOUT)
  if (!force && state.pingAt > 0 && state.pingDeadline <= at + wait) return [state, NOTHING]
  const next = withPing(state, at, at + wait, buffered, received)
  return [
    next,
    [
      { type: 'ping', id: state.socket },
      { type: 'set-timer', name: 'heartbeat', ms: wait },
    ],
  ]
}

/**
 * The watchdog for a server that stops pushing: no application message for idleTimeout. Heartbeat
 * answers and pings do not count: they prove the link, not the feed.
 */
function onIdleTimer(state: State, input: Extract<Input, { type: 'timer' }>, policy: Policy): Result {
  const { at, random } = input
  const idleTimeout = policy.idleTimeout
  if (idleTimeout === undefined) return [state, NOTHING]
  // Fired far later than asked: the machine slept, and nothing could arrive meanwhile. Judge
  // nothing yet: the feed gets a whole idleTimeout from the wake to push again.
  if (input.late >= SLEEP_THRESHOLD) return [state, [{ type: 'set-timer', name: 'idle', ms: idleTimeout }]]
  // a wall clock set backwards must not put the last message in the future
  const quiet = at - Math.min(input.lastMessage, at)
  if (quiet < idleTimeout) return [state, [{ type: 'set-timer', name: 'idle', ms: idleTimeout - quiet }]]
  return fail(state, at, random, policy, undefined, 'idle timeout', 'idle-timeout', [
    ...abandon(state, CLIENT_CLOSE.idleTimeout, 'idle timeout', policy),
    errorEvent('IDLE_TIMEOUT', `no data received for ${quiet} ms (idleTimeout ${idleTimeout} ms)`),
  ])
}

// ── environment signals ──────────────────────────────────────────────────────────────────────────

function onSignal(state: State, input: Extract<Input, { type: 'signal' }>, policy: Policy): Result {
  const { signal, at, random } = input
  switch (signal) {
    case 'offline': {
      const next: State = { ...state, online: false }
      if (state.phase === 'open' || state.phase === 'connecting') {
        // the socket cannot survive this; close it now rather than wait for TCP to notice
        return waitForOnline(next, state.phase, abandon(state, CLIENT_CLOSE.offline, 'offline', policy))
      }
      if (state.phase === 'backoff') return waitForOnline(next, 'backoff', [])
      return [next, NOTHING]
    }
    case 'online':
      return skipWait(resume({ ...state, online: true }, at), at, random, policy)
    case 'visible':
      // a signal carries no traffic readings: the probe gets no credit for draining uploads or
      // arriving bytes
      if (state.phase === 'open') return probe(state, at, 0, Infinity, policy, false)
      return state.online ? skipWait(resume(state, at), at, random, policy) : [state, NOTHING]
    case 'hidden':
      return [state, NOTHING]
    case 'freeze':
      return onFreeze(state, policy)
    case 'resume': {
      if (!state.frozen) return onSignal(state, { ...input, signal: 'visible' }, policy)
      const resumed: State = { ...state, frozen: false }
      // one attempt now, nothing stored up: no timer ran or was left to run while frozen
      return resumed.phase === 'backoff' && resumed.online ? startAttempt(resumed, 'page resumed', 'resume', [], policy) : [resumed, NOTHING]
    }
  }
}

/**
 * The page leaves or is frozen: an open WebSocket keeps it out of the back/forward cache or (in
 * Chromium) is failed as it enters, found dead only after the restored page wrote into it; and a
 * frozen page's socket only dies, its timers firing all at once on resume. Release the socket and
 * wait, queue kept, with no retry timer, until 'resume'.
 */
function onFreeze(state: State, policy: Policy): Result {
  const frozen: State = { ...state, frozen: true }
  if (state.phase !== 'open' && state.phase !== 'connecting' && state.phase !== 'backoff') return [frozen, NOTHING]
  const released = state.phase === 'backoff' ? [] : abandon(state, CLIENT_CLOSE.normal, 'page frozen', policy)
  const next: State = { ...frozen, phase: 'backoff', socket: 0, retryAt: 0, pingAt: 0, pingDeadline: 0, handshaking: false }
  return [
    next,
    [
      ...leave(state.phase),
      ...released.filter(isEffect),
      ...released.filter(isEmit),
      ...(state.phase === 'backoff' ? [] : [stateEvent('backoff', state.phase, 'page frozen', 'freeze')]),
    ],
  ]
}

/** In backoff with no retry timer: nothing happens until `online` (or the user) says so. */
function waitForOnline(state: State, prev: Phase, before: Command[]): Result {
  const next: State = { ...state, phase: 'backoff', socket: 0, retryAt: 0, pingAt: 0, pingDeadline: 0, handshaking: false }
  return [
    next,
    [
      ...leave(prev),
      ...before.filter(isEffect),
      ...before.filter(isEmit),
      ...(prev === 'backoff' ? [] : [stateEvent('backoff', prev, 'offline', 'offline')]),
    ],
  ]
}

/**
 * End a backoff wait soon, once, with up to ONLINE_JITTER of spread, never more than the policy's
 * maxDelay (a policy retrying within 200 ms must not wait up to a second because the network came back).
 */
function skipWait(state: State, at: number, random: number, policy: Policy): Result {
  if (state.phase !== 'backoff' || state.frozen) return [state, NOTHING]
  const delay = random * Math.min(ONLINE_JITTER, policy.backoff.maxDelay)
  if (state.retryAt !== 0 && state.retryAt <= at + delay) return [state, NOTHING]
  return [
    { ...state, retryAt: at + delay },
    [
      { type: 'set-timer', name: 'retry', ms: delay },
      { type: 'emit', event: 'reconnecting', attempt: state.attempt, delay },
    ],
  ]
}

function errorEvent(code: ErrorCode, message: string): Command {
  return { type: 'emit', event: 'error', code, message }
}
