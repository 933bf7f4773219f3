/**
 * The decisions a session makes about its connections, pure (tested in virtual time): what to do
 * when the server did not pick lifeline.v1, what a WELCOME means for the messages held, and when
 * a silent link counts as dead.
 */
import type { Welcome } from '../protocol/codec.js'
import type { Message } from '../protocol/session-state.js'

export type Fallback = 'fail' | 'plain'

/** The server picked `picked` as the subprotocol: a session, a plain socket, or a failure (never a silent downgrade). */
export function negotiate(picked: string, subprotocol: string, fallback: Fallback): 'session' | 'plain' | 'fail' {
  return picked === subprotocol ? 'session' : fallback
}

/** Why a session that cannot be had fails, in words an application developer can act on. */
export function noSessionMessage(picked: string): string {
  const what =
    picked === 'lifeline.v1'
      ? 'the server took the lifeline.v1 subprotocol but answered HELLO with something other than WELCOME (a ws server without handleProtocols takes the first protocol offered)'
      : `the server did not accept the lifeline.v1 subprotocol (it picked ${picked ? JSON.stringify(picked) : 'none'})`
  return `${what}: it has no sessions (lifeline-ws/server's attachSessions). Not retried; pass session({ fallback: 'plain' }) to connect without one`
}

/**
 * A WELCOME. Resumed: write again after what the server holds. Not resumed (a new session, or the
 * old one is gone): messages written and never acknowledged may or may not have been handled by
 * the old server, so they are reported, never resent; those never written go on the new session.
 */
export type WelcomePlan =
  | { readonly kind: 'resume'; readonly received: number }
  | { readonly kind: 'new'; readonly unconfirmed: readonly Message[]; readonly carried: readonly Message[] }

export function planWelcome(welcome: Pick<Welcome, 'resumed' | 'received'>, unacked: { written: Message[]; unwritten: Message[] }): WelcomePlan {
  if (welcome.resumed) return { kind: 'resume', received: welcome.received }
  return { kind: 'new', unconfirmed: unacked.written, carried: unacked.unwritten }
}

/**
 * The server pings every `interval`; nothing at all heard for interval + timeout means the link is
 * dead (PROTOCOL.md §8). Returns 0 when it is, else how long until it would be.
 */
export function silenceLeft(now: number, lastHeard: number, welcome: Pick<Welcome, 'heartbeatInterval' | 'heartbeatTimeout'>): number {
  const left = lastHeard + welcome.heartbeatInterval + welcome.heartbeatTimeout - now
  return left > 0 ? left : 0
}
