/**
 * The driver: the one place with side effects, and no decisions. It carries out the core's
 * commands through the ports and turns timers into inputs. Built in layers, one concern each, all
 * fields of this one object (thousands of idle sockets live in one process: no closures or extra
 * objects per socket):
 * - mailbox.ts: inputs one at a time through `transition`, effects before events, events in order;
 * - outbound.ts: the send path and the queue commands;
 * - link.ts: the sockets, their events, and the commands on them (attempt.ts makes them);
 * - timers.ts: the socket's timers (the table at the base of it all);
 * - this file: the command runner, and what a timer's firing tells the core.
 */
import type { Command, EmitCommand, EnvSignal, Input, State } from '../core/state.js'
import { pingOverdue } from '../core/transition.js'
import type { Resolved } from '../options/validate.js'
import type { Clock } from '../ports.js'
import { openSocket } from './attempt.js'
import { intentData, Intents, type IntentMessage } from './intents.js'
import { Link } from './link.js'
import type { EventSink, PartialInput } from './mailbox.js'
import type { HeartbeatKind } from './monitor.js'
import type { TimerHostFor, TimerSlot } from './timers.js'

export type { DropReason } from '../core/queue.js'
export type { DriverEvent, EventSink, PartialInput } from './mailbox.js'
export type { Observer } from './outbound.js'
export type { DebugLogger } from './debug-log.js'

/**
 * Counts turns of the event loop, as far as send() needs them (see Driver.checkDeadline): one
 * microtask, shared by every socket, ends the turn in which a send first read the clock.
 */
let turn = 0
let turnEnding = false
const endTurn = (): void => {
  turn = (turn + 1) | 0
  turnEnding = false
}

export class Driver extends Link {
  /** The turn in which a send found the ping's deadline still ahead: later sends in it need not read the clock. */
  #aheadIn = -1
  /** `socket.intent()`'s registrations, made at the first. */
  #intents: Intents | undefined = undefined

  constructor(options: Resolved, sink: EventSink, timerHost: TimerHostFor) {
    super(options, sink, timerHost(options.timer))
  }

  /** The clock the socket's times are read from (the `timer` port). */
  get clock(): Clock {
    return this.options.timer
  }

  /** How liveness is checked: ping frames, an app-level message, or not at all. */
  get heartbeat(): HeartbeatKind {
    return this.options.policy.heartbeat?.mode ?? 'none'
  }

  /** What happens to written messages: confirmed, and reported or resent when unconfirmed; 'none' without a heartbeat. */
  get delivery(): 'report' | 'resend' | 'none' {
    return this.options.policy.delivery?.mode ?? 'none'
  }

  protected stepped(input: Input, prev: State, next: State): void {
    // every answered ping is a sample, also one with the same round trip as the last
    if (this.observer && input.type === 'pong' && prev.pingAt !== 0 && next.pingAt === 0) this.observer.rtt(next.rtt!)
  }

  protected run(command: Exclude<Command, EmitCommand>): void {
    switch (command.type) {
      case 'open-socket':
        return openSocket(this.options, this, command.id, this.state.endpoint)
      case 'close-socket':
        return this.closeSocket(command.id, command.code, command.reason, command.hard, command.keepListening)
      case 'set-timer':
        return this.setTimer(command.name, command.ms)
      case 'clear-timer':
        return this.clearTimer(command.name)
      case 'ping':
        return this.ping(command.id)
      case 'flush':
        return this.flush(command.id)
      case 'expire-queue':
        return this.expire()
      case 'drop-queue':
        return this.dropAll(command.reason)
      case 'confirm':
        return this.confirm(command.position)
      case 'unconfirmed':
        return this.endWrites(command.id, command.outcome)
      case 'handshake':
        return this.handshake(command.id)
      case 'intents':
        return this.#intents?.each(
          (data) => this.writeNow(command.id, data),
          (message) => this.raise({ type: 'emit', event: 'error', code: 'SEND_FAILED', message }),
        )
    }
  }

  /** Register an intent; one registered while open is also sent now (through the queue's order). */
  intent(key: string, message: IntentMessage): () => void {
    const remove = (this.#intents ??= new Intents()).add(key, message)
    if (this.state.phase === 'open') {
      const data = intentData(key, message, (text) => this.raise({ type: 'emit', event: 'error', code: 'SEND_FAILED', message: text }))
      if (data !== undefined) this.send(data)
    }
    return remove
  }

  /** Called by the timer table when one of this socket's timers falls due: with the facts the core judges by. */
  protected timerFired(slot: TimerSlot, late: number): void {
    this.dispatch(this.withReadings('timer', slot, late))
  }

  /**
   * Before a write, on inbound data and on a signal: if the ping's answer is overdue, the core
   * judges the link now. Its timer may not have run yet (hidden pages run timers about once a
   * minute), and a dead link must not be written to on the strength of a late timer.
   *
   * A send reads the clock once a turn of the event loop (`inSend`): every later send in the turn
   * is written like the first. Nothing from the network is read within a turn (the pong may already
   * wait unread), a throttled page's sends each come in a turn of their own, and the clock's boxed
   * number was the one allocation a confirmed send made.
   */
  protected checkDeadline(inSend?: boolean): void {
    if (this.state.pingAt === 0 || (inSend && this.#aheadIn === turn)) return
    if (pingOverdue(this.state, this.options.timer.now())) return this.dispatch(this.withReadings('overdue'))
    if (!inSend) return
    this.#aheadIn = turn
    if (!turnEnding) queueMicrotask(endTurn)
    turnEnding = true
  }

  /** Feed an environment signal, the link judged first. */
  signal(signal: EnvSignal): void {
    this.checkDeadline()
    this.dispatch({ type: 'signal', signal })
  }

  /**
   * A 'timer' (or 'overdue') input with the live socket's traffic readings the heartbeat judges by
   * (see the core's 'timer' input): built once per timer with every field it will have (`at` and
   * `random` too, which dispatch stamps), so that the object is made in one piece rather than grown
   * field by field (the heartbeat's largest allocation, once per socket per interval).
   */
  private withReadings(type: 'timer' | 'overdue', name?: TimerSlot, late?: number): PartialInput {
    const now = this.options.timer.now()
    // the wall clock was set back
    if (this.lastInbound > now) this.lastInbound = now
    if (this.lastMessage > now) this.lastMessage = now
    const ws = this.live()
    const held = this.held
    return {
      type,
      name,
      late,
      buffered: ws?.bufferedAmount ?? 0,
      received: ws?.bytesRead ?? 0,
      lastInbound: Math.max(this.lastInbound, this.lastMessage),
      lastMessage: this.lastMessage,
      unpingedSince: held?.unpingedSince,
      pingsOut: this.pingsOut,
      awaitingSince: held?.awaitingSince,
      pingedAt: held?.pingedAt,
      at: 0,
      random: 0,
    } as PartialInput
  }
}
