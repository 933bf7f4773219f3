/**
 * Issue 18, the handshake gate and expired credentials: the core's decisions (table) and the
 * driver running them in virtual time with the scripted fake server.
 */
import { describe, expect, it } from 'vitest'
import type { Policy } from '../../src/core/policy.js'
import type { Command, Input, State } from '../../src/core/state.js'
import { transition } from '../../src/core/transition.js'
import { harness } from '../helpers/harness.js'
import { AT, POLICY, STATES } from '../helpers/policy.js'

const GATED: Policy = { ...POLICY, handshakeTimeout: 3_000, authCloseCodes: [4401, 1008] }
const r = 0.5
const opened: Input = { type: 'socket-open', id: 1, at: AT, random: r }
const HANDSHAKING: State = { ...STATES.connecting, handshaking: true }
const failed = (kind: 'auth' | 'fatal' | 'error'): Input => ({ type: 'handshake-failed', id: 1, at: AT, random: r, kind, message: 'nope' })
const closed = (code: number): Input => ({ type: 'socket-close', id: 1, at: AT, random: r, close: { code, reason: '', wasClean: true } })
const emits = (commands: readonly Command[]) => commands.filter((c) => c.type === 'emit')

describe('handshake: the core', () => {
  it('an opened socket with a handshake stays connecting: its deadline on the connect timer, no flush, no open', () => {
    const [next, commands] = transition(STATES.connecting, opened, GATED)
    expect(next).toMatchObject({ phase: 'connecting', handshaking: true, socket: 1 })
    expect(commands).toEqual([
      { type: 'set-timer', name: 'connect', ms: 3_000 },
      { type: 'handshake', id: 1 },
    ])
    // without one, open is open
    expect(transition(STATES.connecting, opened, POLICY)[0].phase).toBe('open')
  })

  it('handshake-done opens: the queue is written and open fires; a stale or repeated one does nothing', () => {
    const [next, commands] = transition(HANDSHAKING, { type: 'handshake-done', id: 1, at: AT, random: r }, GATED)
    expect(next).toMatchObject({ phase: 'open', handshaking: false })
    expect(commands).toContainEqual({ type: 'flush', id: 1 })
    expect(emits(commands).map((c) => c.type === 'emit' && c.event)).toEqual(['state', 'open'])
    expect(transition(HANDSHAKING, { type: 'handshake-done', id: 9, at: AT, random: r }, GATED)[1]).toEqual([])
    expect(transition(STATES.open, { type: 'handshake-done', id: 1, at: AT, random: r }, GATED)[1]).toEqual([])
    expect(transition(HANDSHAKING, opened, GATED)[1]).toEqual([])
  })

  it("rejections: 'fatal' gives up, 'auth' retries at once with a fresh attempt (once), anything else backs off", () => {
    const [fatal, fatalCommands] = transition(HANDSHAKING, failed('fatal'), GATED)
    expect(fatal.phase).toBe('closed')
    expect(fatalCommands).toContainEqual({ type: 'emit', event: 'error', code: 'HANDSHAKE_FAILED', message: 'handshake failed: nope' })
    expect(fatalCommands).toContainEqual({ type: 'emit', event: 'giveup', reason: 'handshake', attempt: 0, close: undefined })
    expect(fatalCommands).toContainEqual({ type: 'close-socket', id: 1, code: 4003, reason: 'handshake failed', hard: true, keepListening: false })

    const [auth, authCommands] = transition(HANDSHAKING, failed('auth'), GATED)
    expect(auth).toMatchObject({ phase: 'connecting', socket: 2, attempt: 1, authRetried: true, handshaking: false })
    expect(authCommands).toContainEqual({ type: 'open-socket', id: 2 })
    expect(authCommands).toContainEqual({ type: 'emit', event: 'state', next: 'connecting', prev: 'connecting', reason: 'handshake failed (auth); refreshing credentials', cause: 'auth-refresh' })
    // the retry's handshake rejects 'auth' again: now the normal backoff
    const [again] = transition({ ...auth, handshaking: true }, { type: 'handshake-failed', id: 2, at: AT, random: r, kind: 'auth', message: 'nope' }, GATED)
    expect(again).toMatchObject({ phase: 'backoff', attempt: 2 })

    const [other, otherCommands] = transition(HANDSHAKING, failed('error'), GATED)
    expect(other.phase).toBe('backoff')
    expect(otherCommands).toContainEqual({ type: 'emit', event: 'state', next: 'backoff', prev: 'connecting', reason: 'handshake failed', cause: 'handshake-failed' })
  })

  it('the handshake deadline: a HANDSHAKE_TIMEOUT and the backoff; the connect timer before open is still CONNECT_TIMEOUT', () => {
    const timer: Input = { type: 'timer', name: 'connect', at: AT, late: 0, random: r, buffered: 0, received: 0, lastInbound: AT, lastMessage: AT }
    const [next, commands] = transition(HANDSHAKING, timer, GATED)
    expect(next.phase).toBe('backoff')
    expect(commands).toContainEqual({ type: 'emit', event: 'error', code: 'HANDSHAKE_TIMEOUT', message: 'the handshake did not settle within handshakeTimeout (3000 ms)' })
    expect(commands).toContainEqual({ type: 'emit', event: 'state', next: 'backoff', prev: 'connecting', reason: 'handshake timeout', cause: 'handshake-timeout' })
    expect(emits(transition(STATES.connecting, timer, GATED)[1])).toContainEqual(expect.objectContaining({ code: 'CONNECT_TIMEOUT' }))
  })

  it('an auth close code refreshes and retries once, even one shouldReconnect stops on (1008); the second is judged as usual', () => {
    for (const state of [STATES.open, HANDSHAKING]) {
      const [next, commands] = transition(state, closed(1008), GATED)
      expect(next).toMatchObject({ phase: 'connecting', socket: 2, authRetried: true })
      expect(commands).toContainEqual({ type: 'emit', event: 'close', close: { code: 1008, reason: '', wasClean: true } })
      expect(commands).toContainEqual(expect.objectContaining({ event: 'state', cause: 'auth-refresh' }))
    }
    const retried = { ...STATES.open, authRetried: true }
    expect(transition(retried, closed(1008), GATED)[0].phase).toBe('closed') // a stop code, as always
    expect(transition(retried, closed(4401), GATED)[0].phase).toBe('backoff')
    // no provider to refresh: the policy lists no codes, so 1008 stops at once
    expect(transition(STATES.open, closed(1008), { ...GATED, authCloseCodes: [] })[0].phase).toBe('closed')
    // within maxRetries only
    const spent = { ...STATES.open, attempt: 3 }
    expect(transition(spent, closed(4401), { ...GATED, backoff: { ...GATED.backoff, maxRetries: 3 } })[0].phase).toBe('closed')
  })

  it('the refresh retry is due again only once a connection stays up (the stable timer): never a loop of immediate retries', () => {
    const stable: Input = { type: 'timer', name: 'stable', at: AT, late: 0, random: r, buffered: 0, received: 0, lastInbound: AT, lastMessage: AT }
    // resetAfter 0 resets the attempts at open, but the refresh retry still waits for the stable timer
    const instant: Policy = { ...GATED, backoff: { ...GATED.backoff, resetAfter: 0 } }
    const [open, commands] = transition({ ...HANDSHAKING, attempt: 1, authRetried: true }, { type: 'handshake-done', id: 1, at: AT, random: r }, instant)
    expect(open).toMatchObject({ attempt: 0, authRetried: true })
    expect(commands).toContainEqual({ type: 'set-timer', name: 'stable', ms: instant.backoff.initialDelay })
    expect(transition(open, closed(4401), instant)[0].phase).toBe('backoff')
    expect(transition(open, stable, instant)[0].authRetried).toBe(false)
  })
})

describe('handshake: through the driver', () => {
  const flush = async () => {
    for (let i = 0; i < 5; i++) await Promise.resolve()
  }

  it('runs after open and before the open event: it talks on the socket; the queue and its leftovers follow', async () => {
    const seen: unknown[] = []
    const h = harness({
      handshake: async ({ socket, attempt }) => {
        seen.push(['attempt', attempt, socket.protocol])
        socket.send('auth token')
        seen.push(['reply', await socket.receive()])
      },
    })
    h.socket.send('queued before')
    h.server.accept('v1')
    expect(h.socket.state).toBe('connecting')
    expect(h.names()).toEqual(['state'])
    h.socket.send('queued during')
    h.server.send('auth ok')
    h.server.send('snapshot')
    await flush()
    expect(seen).toEqual([['attempt', 0, 'v1'], ['reply', 'auth ok']])
    expect(h.socket.state).toBe('open')
    expect(h.server.last.sent).toEqual(['auth token', 'queued before', 'queued during'])
    // the message the handshake did not take arrives after 'open'
    expect(h.names()).toEqual(['state', 'state', 'open', 'message'])
    expect(h.of('message')).toEqual([['snapshot']])
  })

  it("kind 'auth' calls the providers again and retries at once; a second 'auth' backs off; then it opens", async () => {
    let token = 0
    const verdicts = ['auth', 'auth', 'ok']
    const h = harness({
      url: () => `ws://example.test/?token=${++token}`,
      handshake: async () => {
        const verdict = verdicts.shift()
        if (verdict !== 'ok') throw Object.assign(new Error('token expired'), { kind: verdict })
      },
    })
    h.server.accept()
    await flush()
    expect(h.server.sockets.map((s) => s.url)).toEqual(['ws://example.test/?token=1', 'ws://example.test/?token=2'])
    expect(h.server.sockets[0]!.terminated).toBe(true)
    h.server.accept()
    await flush()
    expect(h.socket.state).toBe('backoff')
    expect(h.of('state').map((s) => s[3])).toEqual(['start', 'auth-refresh', 'handshake-failed'])
    expect(h.of('error').map(([e]) => (e as Error).message)).toEqual(['handshake failed: token expired', 'handshake failed: token expired'])
    h.clock.advance((h.of('reconnecting')[0]![0] as { delay: number }).delay)
    expect(h.server.sockets).toHaveLength(3)
    expect(h.server.last.url).toBe('ws://example.test/?token=3')
    h.server.accept()
    await flush()
    expect(h.socket.state).toBe('open')
    expect(verdicts).toEqual([])
  })

  it("kind 'fatal' gives up with the reason; a handshake that never settles times out and backs off, its signal aborted", async () => {
    const fatal = harness({
      handshake: () => Promise.reject(Object.assign(new Error('banned'), { kind: 'fatal' })),
    })
    fatal.server.accept()
    await flush()
    expect(fatal.socket.state).toBe('closed')
    expect(fatal.of('giveup')).toEqual([[{ reason: 'handshake', attempt: 0, close: undefined }]])

    let signal: AbortSignal | undefined
    const stuck = harness({
      handshakeTimeout: 2_000,
      handshake: ({ signal: s }) => {
        signal = s
        return new Promise(() => {})
      },
    })
    stuck.server.accept()
    stuck.clock.advance(1_999)
    expect(stuck.socket.state).toBe('connecting')
    stuck.clock.advance(1)
    expect(stuck.socket.state).toBe('backoff')
    expect(signal!.aborted).toBe(true)
    expect(stuck.of('error').map(([e]) => (e as { code: string }).code)).toEqual(['HANDSHAKE_TIMEOUT'])
  })

  it('a server close code for expired credentials refreshes the url and retries at once, with a provider only', () => {
    let token = 0
    const h = harness({ url: () => `ws://example.test/?token=${++token}` })
    h.server.accept()
    h.server.close(4401, 'token expired')
    expect(h.socket.state).toBe('connecting')
    expect(h.server.sockets).toHaveLength(2)
    expect(h.server.last.url).toBe('ws://example.test/?token=2')
    // the fixed url cannot change: a 1008 stops as it always did
    const fixed = harness()
    fixed.server.accept()
    fixed.server.close(1008, 'token expired')
    expect(fixed.socket.state).toBe('closed')
  })
})
