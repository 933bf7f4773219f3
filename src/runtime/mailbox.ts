/**
 * The run-to-completion mailbox between the world and the pure `transition`:
 * - Inputs are processed one at a time (an input raised while commands run waits its turn).
 * - All of a transition's effects (state, timers, sockets, queue flush) happen before any of its
 *   events are delivered, so a listener always sees a consistent socket.
 * - Events are delivered in the order they were produced, even when a listener calls back in.
 *
 * A base class the driver extends, not an object of its own: thousands of idle sockets live in one
 * process, and its bookkeeping is three fields on the driver (arrays only while something waits).
 */
import { INITIAL_STATE, type Command, type EmitCommand, type Input, type State } from '../core/state.js'
import { transition } from '../core/transition.js'
import type { Data, DropReason } from '../core/queue.js'
import type { Resolved } from '../options/validate.js'
import { logEffect, logTransition } from './debug-log.js'
import { TimerTable, type TimerHost } from './timers.js'

/** The events the driver produces, as a name and its arguments. */
export type DriverEvent =
  | EmitCommand
  | { readonly type: 'emit'; readonly event: 'message'; readonly data: unknown }
  | { readonly type: 'emit'; readonly event: 'drop'; readonly data: Data; readonly reason: DropReason }

/** Where the driver's events go (the public socket). */
export interface EventSink {
  receive(event: DriverEvent): void
  /** The hot path: an inbound message while nothing else is under way. */
  receiveMessage(data: unknown): void
}

/** An input as callers hand it over; the mailbox stamps the time and a random number on it. */
export type PartialInput = DistributiveOmit<Input, 'at' | 'random'>
type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never

/** What is under way, as bits: while any is set, events wait their turn. */
const RUNNING = 1
const DELIVERING = 2
/** send() rearranging the queue: a listener must find it consistent. */
const HOLDING = 4

export abstract class Mailbox extends TimerTable {
  state: State = INITIAL_STATE
  #inputs: Input[] | undefined = undefined
  #events: DriverEvent[] | undefined = undefined
  #busy = 0
  protected readonly options: Resolved
  protected readonly sink: EventSink

  constructor(options: Resolved, sink: EventSink, timerHost: TimerHost) {
    super(timerHost)
    this.options = options
    this.sink = sink
  }

  /** Carry out one command (never an emit: those are the mailbox's). */
  protected abstract run(command: Exclude<Command, EmitCommand>): void

  /** Told of each transition before its commands run. */
  protected abstract stepped(input: Input, prev: State, next: State): void

  dispatch(partial: PartialInput): void {
    // callers pass a fresh literal: stamping it in place saves a copy per input
    const input = partial as unknown as { at: number; random: number }
    input.at = this.options.timer.now()
    input.random = this.options.random()
    if (this.#busy & RUNNING) {
      ;(this.#inputs ??= []).push(input as Input)
      return
    }
    this.#busy |= RUNNING
    try {
      this.step(input as Input)
      const inputs = this.#inputs
      if (inputs) for (let next = inputs.shift(); next; next = inputs.shift()) this.step(next)
    } finally {
      this.#busy &= ~RUNNING
      this.#inputs = undefined
    }
    this.deliver()
  }

  private step(input: Input): void {
    const prev = this.state
    const [next, commands] = transition(prev, input, this.options.policy)
    this.state = next
    const debug = this.options.debug
    if (debug && (commands.length > 0 || next.phase !== prev.phase)) logTransition(debug, input, prev, next)
    this.stepped(input, prev, next)
    for (let i = 0; i < commands.length; i++) {
      const command = commands[i]!
      if (command.type === 'emit') (this.#events ??= []).push(command)
      else {
        if (debug) logEffect(debug, command)
        this.run(command)
      }
    }
  }

  /** Nothing is being processed, delivered or rearranged, and nothing waits: an event may go out now. */
  private canDeliverNow(): boolean {
    return this.#busy === 0 && !this.#events?.length
  }

  /** Delivered at once unless something else is under way; then queued, in order. */
  protected raise(event: DriverEvent): void {
    if (this.canDeliverNow()) {
      this.#busy |= DELIVERING
      try {
        this.sink.receive(event)
      } finally {
        this.#busy &= ~DELIVERING
      }
      if (this.#events?.length) this.deliver()
      return
    }
    ;(this.#events ??= []).push(event)
    if (!(this.#busy & (RUNNING | HOLDING))) this.deliver()
  }

  /** The receive hot path: the same as raise(), without building an event when nothing else is under way. */
  protected raiseMessage(data: unknown): void {
    if (this.canDeliverNow()) {
      this.#busy |= DELIVERING
      try {
        this.sink.receiveMessage(data)
      } finally {
        this.#busy &= ~DELIVERING
      }
      if (this.#events?.length) this.deliver()
    } else this.raise({ type: 'emit', event: 'message', data })
  }

  /** Events wait until release(): send() rearranges the queue in between. */
  protected hold(): void {
    this.#busy |= HOLDING
  }

  protected release(): void {
    this.#busy &= ~HOLDING
    this.deliver()
  }

  private deliver(): void {
    const events = this.#events
    if (this.#busy & (DELIVERING | HOLDING) || !events) return
    this.#busy |= DELIVERING
    try {
      for (let event = events.shift(); event; event = events.shift()) this.sink.receive(event)
    } finally {
      this.#busy &= ~DELIVERING
      if (events.length === 0 && this.#events === events) this.#events = undefined
    }
  }
}
