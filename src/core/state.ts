/**
 * The vocabulary of the pure core: the phases a connection goes through, the inputs that move it,
 * and the commands the driver carries out. Nothing here touches a timer, a socket or a clock.
 */

export type Phase = 'idle' | 'connecting' | 'open' | 'backoff' | 'closed'

/**
 * Every timer the core can ask for. Setting a timer that is already set replaces it. 'ttl': the
 * oldest queued message's time to live (alive in any phase but 'closed', while one can expire).
 * 'confirm': the confirmation ping after writes no ping covers yet (only while open).
 */
export type TimerName = 'start' | 'connect' | 'retry' | 'stable' | 'heartbeat' | 'idle' | 'lifetime' | 'closing' | 'ttl' | 'confirm'

export const TIMER_NAMES: readonly TimerName[] = ['start', 'connect', 'retry', 'stable', 'heartbeat', 'idle', 'lifetime', 'closing', 'ttl', 'confirm']

export interface CloseInfo {
  readonly code: number
  readonly reason: string
  readonly wasClean: boolean
}

/**
 * Why the socket gave up for good: retries exhausted, a close code that says stop, or a WebSocket
 * constructor that refused the configuration (every attempt would fail the same way), or a
 * `handshake` that rejected with `kind: 'fatal'`.
 */
export type GiveUpReason = 'max-retries' | 'close-code' | 'config' | 'handshake'

/** Stable codes carried by `'error'` events. */
export type ErrorCode =
  | 'CONNECT_TIMEOUT'
  | 'URL_PROVIDER'
  | 'SOCKET_ERROR'
  | 'HEARTBEAT_TIMEOUT'
  | 'IDLE_TIMEOUT'
  | 'SEND_FAILED'
  /** `session: true`: the session code (a chunk of its own) could not be loaded; the attempt is retried. */
  | 'SESSION_LOAD'
  /** Promise APIs: a message sent with sendAsync() was dropped (see `reason`). */
  | 'DROPPED'
  /** Promise APIs: the socket was closed by close() (or its AbortSignal). */
  | 'CLOSED'
  /** Promise APIs: the socket gave up (retries exhausted, or a close code that stops). */
  | 'GIVEN_UP'
  /** The `handshake` option rejected (its message says why). */
  | 'HANDSHAKE_FAILED'
  /** The `handshake` option did not settle within handshakeTimeout. */
  | 'HANDSHAKE_TIMEOUT'

/**
 * Why the phase changed, as a code to branch on (the `state` event's 4th argument; its 3rd is the
 * same in words). 'start': an eager socket's first attempt; 'connect': connect(); 'send': a send()
 * before the first attempt (a lazy socket's, or an eager one's before its first tick); 'retry': the
 * backoff wait ended; 'reconnect': reconnect(); 'open': the socket opened; 'socket-close': the
 * socket closed (the server, the network); 'attempt-failed': the URL provider or the WebSocket
 * constructor failed; 'connect-timeout', 'heartbeat-timeout', 'idle-timeout': the watchdogs;
 * 'offline': the environment said so; 'lifetime': maxLifetime; 'drain': the server moved the
 * session's connection (a lifeline.v1 DRAIN); 'user-close': close(); 'freeze' and 'resume': the
 * page left (pagehide, frozen) and came back.
 * 'handshake-failed', 'handshake-timeout': the `handshake` option rejected or took too long;
 * 'auth-refresh': the one immediate retry with fresh credentials (a handshake rejected with
 * `kind: 'auth'`, or a close code in `authCloseCodes`).
 */
export type Cause =
  | 'start'
  | 'connect'
  | 'send'
  | 'retry'
  | 'reconnect'
  | 'open'
  | 'socket-close'
  | 'attempt-failed'
  | 'connect-timeout'
  | 'heartbeat-timeout'
  | 'idle-timeout'
  | 'offline'
  | 'lifetime'
  | 'drain'
  | 'user-close'
  /** The page left (pagehide, or frozen): the socket was released; 'resume' reconnects. */
  | 'freeze'
  | 'resume'
  | 'handshake-failed'
  | 'handshake-timeout'
  | 'auth-refresh'
  /** Only a `lifeline-ws/tabs` shared socket: this tab now mirrors another socket (a new leader tab, or its own on taking the lead). */
  | 'leader'

/**
 * 'freeze': the page is leaving or being frozen (pagehide, the back/forward cache, a frozen
 * background tab): the socket is released, the queue kept, and nothing retries until 'resume'.
 */
export type EnvSignal = 'online' | 'offline' | 'visible' | 'hidden' | 'freeze' | 'resume'

export interface State {
  readonly phase: Phase
  /** Failed attempts since the last stable open; the retry index for the next backoff delay. */
  readonly attempt: number
  /** Id of the one live socket (0: none). Events from any other id are stale and ignored. */
  readonly socket: number
  /** The last socket id handed out; ids only grow. */
  readonly lastSocket: number
  /**
   * The one socket in a graceful close whose handshake is under way (0: none): after a user
   * `close()`, or handed over by `reconnect()`/`maxLifetime`. The 'closing' timer bounds the wait.
   */
  readonly closing: number
  /** Whether that socket's close was already reported (a handover); else its real close is, when it comes. */
  readonly closingReported: boolean
  /** The previous backoff delay (decorrelated jitter builds on it). */
  readonly prevDelay: number
  /** When the pending retry fires (ms on the injected clock), while in `backoff`. */
  readonly retryAt: number
  /** Whether the environment last said it is online. */
  readonly online: boolean
  /** Between 'freeze' and 'resume': the socket was released and nothing retries. */
  readonly frozen: boolean
  /** Clock time the outstanding heartbeat ping was sent; 0 when none is outstanding. */
  readonly pingAt: number
  /** Deadline for the outstanding ping's answer (a probe has a shorter one than a heartbeat). */
  readonly pingDeadline: number
  /** Outbound bytes still buffered when the ping was sent: the ping waits behind them. */
  readonly pingBuffered: number
  /** Inbound bytes the socket had read when the ping was sent: more later means data is arriving. */
  readonly pingReceived: number
  /** Round trip of the last answered ping in ms, or undefined before the first. */
  readonly rtt: number | undefined
  /** The live socket opened and the `handshake` option runs on it (the phase is still 'connecting'). */
  readonly handshaking: boolean
  /**
   * The one immediate retry with fresh credentials was made in this failure streak; cleared once a
   * connection stays up (the 'stable' timer), so expired credentials never loop.
   */
  readonly authRetried: boolean
  /** Which of the listed URLs the current or next attempt uses (0 with a single URL). */
  readonly endpoint: number
  /** When the current outage began (the first failure since the last open); 0 while none. */
  readonly downSince: number
  /** Down for suspendAfter: retries wait suspendedDelay (see suspend.ts). */
  readonly suspended: boolean
}

/** The live socket's traffic and confirmation readings that the heartbeat's timer (or its overdue check) judges by. */
export interface LinkReadings {
  readonly buffered: number
  readonly received: number
  readonly lastInbound: number
  readonly lastMessage: number
  /** Confirmation readings: when the oldest write no ping covers was made, and pings unanswered. */
  readonly unpingedSince?: number | undefined
  readonly pingsOut?: number
  /**
   * When writes began to wait for an unanswered ping (the later of that ping and the oldest
   * unconfirmed write; undefined: no write waits on one), and when the oldest unanswered ping was sent.
   */
  readonly awaitingSince?: number | undefined
  readonly pingedAt?: number | undefined
}

export type Input =
  /**
   * Creation of an eager (non-lazy) socket: connect on the next tick, so that listeners attached
   * right after `createSocket()` see every event, the first ones included.
   */
  | { readonly type: 'start'; readonly at: number }
  /** `connect()`. */
  | { readonly type: 'connect'; readonly at: number }
  /**
   * send() queued a message (the socket was not open, or its queue not empty). `expires`: when
   * the oldest queued message's ttl ends (Infinity: never).
   */
  | { readonly type: 'queued'; readonly at: number; readonly expires: number }
  /** Messages left the queue (written, or expired): when the oldest one left expires (Infinity: none, or never). */
  | { readonly type: 'dequeued'; readonly at: number; readonly expires: number }
  /** `reconnect()`: drop the current socket and try again now. */
  | { readonly type: 'reconnect'; readonly at: number }
  /** `close(code, reason)`: final. */
  | { readonly type: 'close'; readonly at: number; readonly code: number; readonly reason: string }
  /** `resumed`: the connection continues a lifeline.v1 session, so intents are not sent again. */
  | { readonly type: 'socket-open'; readonly id: number; readonly at: number; readonly random: number; readonly resumed?: boolean }
  | {
      readonly type: 'socket-close'
      readonly id: number
      readonly at: number
      readonly close: CloseInfo
      readonly random: number
    }
  | { readonly type: 'socket-error'; readonly id: number; readonly at: number; readonly message: string }
  /**
   * The server asked socket `id` to move to a new connection now (a lifeline.v1 DRAIN, once the
   * delay the server jittered per client has passed): hand it over and connect at once, no backoff.
   */
  | { readonly type: 'socket-moved'; readonly id: number; readonly at: number }
  /** The attempt could not even start: the URL/protocols provider failed or the constructor threw. */
  | {
      readonly type: 'attempt-failed'
      readonly id: number
      readonly at: number
      readonly code: ErrorCode
      readonly message: string
      readonly random: number
      /** The options themselves are wrong (the constructor rejected them): give up, do not retry. */
      readonly fatal?: boolean
    }
  /**
   * A heartbeat answer (protocol pong frame, or a message isPong() accepts) on a socket. `position`:
   * the write position its ping carried, echoed by a pong frame (undefined for an app-level answer:
   * it answers the oldest ping; NaN for a payload that is no position: it confirms nothing).
   * `unpingedSince`: when the oldest write no ping covers was made (undefined: none). `pingsOut`:
   * pings unanswered before this pong (more than one: some may stay unanswered after it).
   */
  | {
      readonly type: 'pong'
      readonly id: number
      readonly at: number
      readonly position?: number | undefined
      readonly unpingedSince?: number | undefined
      readonly pingsOut?: number | undefined
    }
  /**
   * A write on the live socket began a burst no ping covers yet (sent once per burst, only while
   * messages are confirmed): the confirmation ping is due confirmDelay later.
   */
  | { readonly type: 'written'; readonly id: number; readonly at: number }
  /**
   * A timer fired `late` ms after it was due (large values mean the machine slept or throttled).
   * `buffered`: outbound bytes the live socket has not yet handed to the network (bufferedAmount).
   * `received`: inbound bytes the live socket has read from the network so far, messages still
   * arriving included (Node); 0 where the runtime shows nothing before a message completes.
   * `lastInbound`: when the live socket last received anything (data, pong or ping; its open time
   * before that): what the heartbeat judges liveness by. `lastMessage`: when it last received an
   * application message (not a heartbeat answer, not a ping; its open time before that): what the
   * idle watchdog reads. Inbound data is only recorded by the driver, never a transition of its
   * own, so a busy socket costs the state machine nothing per message; timers judge from it.
   */
  | ({ readonly type: 'timer'; readonly name: TimerName; readonly at: number; readonly late: number; readonly random: number } & LinkReadings)
  /**
   * Something happened (a send(), inbound data, a signal) after the outstanding ping's deadline,
   * and the heartbeat timer has not fired yet: a hidden page runs timers about once a minute. It
   * carries that timer's readings, and is judged as the timer on time would have been.
   */
  | ({ readonly type: 'overdue'; readonly at: number; readonly random: number } & LinkReadings)
  | { readonly type: 'signal'; readonly signal: EnvSignal; readonly at: number; readonly random: number }
  /** The `handshake` on socket `id` resolved. */
  | { readonly type: 'handshake-done'; readonly id: number; readonly at: number; readonly random: number; readonly resumed?: boolean }
  /** It rejected: `kind` is the error's own `kind` when 'auth' or 'fatal', else 'error'. */
  | {
      readonly type: 'handshake-failed'
      readonly id: number
      readonly at: number
      readonly random: number
      readonly kind: HandshakeFailure
      readonly message: string
    }

/** How a handshake rejection is handled: refresh and retry once, give up, or back off. */
export type HandshakeFailure = 'auth' | 'fatal' | 'error'

export type EmitCommand =
  | { readonly type: 'emit'; readonly event: 'state'; readonly next: Phase; readonly prev: Phase; readonly reason: string; readonly cause: Cause }
  | { readonly type: 'emit'; readonly event: 'open' }
  | { readonly type: 'emit'; readonly event: 'close'; readonly close: CloseInfo }
  | { readonly type: 'emit'; readonly event: 'error'; readonly code: ErrorCode; readonly message: string }
  | { readonly type: 'emit'; readonly event: 'reconnecting'; readonly attempt: number; readonly delay: number }
  /** Down for suspendAfter (since `since`): retries slow to suspendedDelay until an open, `online`, `visible` or reconnect(). */
  | { readonly type: 'emit'; readonly event: 'suspended'; readonly since: number }
  | {
      readonly type: 'emit'
      readonly event: 'giveup'
      readonly reason: GiveUpReason
      readonly attempt: number
      readonly close: CloseInfo | undefined
    }

export type Command =
  /** Resolve url/protocols and construct socket `id`; report failure as `attempt-failed`. */
  | { readonly type: 'open-socket'; readonly id: number }
  /**
   * Close socket `id`. `hard`: the link is presumed dead, so terminate where the socket can (Node
   * `ws`), since a close handshake would only wait. `keepListening`: a graceful close whose end
   * the core waits for (it is no longer the live socket); else stop listening to it at once.
   */
  | {
      readonly type: 'close-socket'
      readonly id: number
      readonly code: number
      readonly reason: string
      readonly hard: boolean
      readonly keepListening: boolean
    }
  | { readonly type: 'set-timer'; readonly name: TimerName; readonly ms: number }
  | { readonly type: 'clear-timer'; readonly name: TimerName }
  /** Send a heartbeat ping (protocol frame or app message, per the policy) on socket `id`. */
  | { readonly type: 'ping'; readonly id: number }
  /** Send everything queued, in order, on socket `id` (then report `dequeued` if any left). */
  | { readonly type: 'flush'; readonly id: number }
  /** Drop every queued message whose ttl has passed, reason `'ttl'` (then report `dequeued` if any did). */
  | { readonly type: 'expire-queue' }
  /**
   * Report every queued message as dropped with reason `'closed'` and empty the queue; messages
   * waiting to be written again go first, reason `'unconfirmed'` (send order).
   */
  | { readonly type: 'drop-queue'; readonly reason?: 'suspended' }
  /** A pong answered the ping at `position` (see the 'pong' input): what it confirms is settled. */
  | { readonly type: 'confirm'; readonly position: number | undefined }
  /**
   * Socket `id` is gone: its written, unconfirmed messages are 'confirm'ed (a clean close: both
   * close frames went through), 'report'ed (drop, reason 'unconfirmed'), or kept to 'resend' first
   * on the next socket.
   */
  | { readonly type: 'unconfirmed'; readonly id: number; readonly outcome: 'confirm' | 'report' | 'resend' }
  /** Write every registered intent (`socket.intent()`) on socket `id`, in registration order. */
  | { readonly type: 'intents'; readonly id: number }
  /** Run the `handshake` option on open socket `id`; report its outcome as `handshake-done`/`-failed`. */
  | { readonly type: 'handshake'; readonly id: number }
  | EmitCommand

export const INITIAL_STATE: State = Object.freeze({
  phase: 'idle',
  attempt: 0,
  socket: 0,
  lastSocket: 0,
  closing: 0,
  closingReported: false,
  prevDelay: 0,
  retryAt: 0,
  online: true,
  frozen: false,
  pingAt: 0,
  pingDeadline: 0,
  pingBuffered: 0,
  pingReceived: 0,
  rtt: undefined,
  handshaking: false,
  authRetried: false,
  endpoint: 0,
  downSince: 0,
  suspended: false,
})

/**
 * `state` with the outstanding ping's fields (and the last round trip) replaced: what every
 * heartbeat step changes, once per socket per interval in a process with thousands of sockets.
 * Every field is written out: V8 builds this literal in one step (~20 ns), where `{ ...state, … }`
 * of 20 fields takes its generic object copy (~1 µs; see bench/README.md, CPU per heartbeat). A
 * field added to State must be added here too (the compiler says so).
 */
export function withPing(
  state: State,
  pingAt: number,
  pingDeadline: number,
  pingBuffered: number,
  pingReceived: number,
  rtt: number | undefined = state.rtt,
): State {
  return {
    phase: state.phase,
    attempt: state.attempt,
    socket: state.socket,
    lastSocket: state.lastSocket,
    closing: state.closing,
    closingReported: state.closingReported,
    prevDelay: state.prevDelay,
    retryAt: state.retryAt,
    online: state.online,
    frozen: state.frozen,
    pingAt,
    pingDeadline,
    pingBuffered,
    pingReceived,
    rtt,
    handshaking: state.handshaking,
    authRetried: state.authRetried,
    endpoint: state.endpoint,
    downSince: state.downSince,
    suspended: state.suspended,
  }
}

/** The legal edges between phases: a property test checks that no transition leaves this table. */
export const LEGAL_EDGES: Readonly<Record<Phase, readonly Phase[]>> = {
  idle: ['connecting', 'closed'],
  connecting: ['open', 'backoff', 'closed', 'connecting'],
  open: ['backoff', 'connecting', 'closed'],
  backoff: ['connecting', 'backoff', 'closed'],
  closed: [],
}
