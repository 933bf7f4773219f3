/** Issue 18, intents: what every new connection says again, after the handshake and before the queue. */
import { describe, expect, it } from 'vitest'
import type { Policy } from '../../src/core/policy.js'
import { transition } from '../../src/core/transition.js'
import { harness } from '../helpers/harness.js'
import { AT, POLICY, STATES } from '../helpers/policy.js'

const types = (commands: readonly { type: string }[]) => commands.filter((c) => c.type !== 'emit' && c.type !== 'set-timer' && c.type !== 'clear-timer').map((c) => c.type)

describe('intents: the core', () => {
  it('an open writes the intents, then the queue; not when a session resumed', () => {
    expect(types(transition(STATES.connecting, { type: 'socket-open', id: 1, at: AT, random: 0.5 }, POLICY)[1])).toEqual(['intents', 'expire-queue', 'flush'])
    expect(types(transition(STATES.connecting, { type: 'socket-open', id: 1, at: AT, random: 0.5, resumed: true }, POLICY)[1])).toEqual(['expire-queue', 'flush'])
  })

  it('with a handshake they wait for it', () => {
    const gated: Policy = { ...POLICY, handshakeTimeout: 1_000 }
    const [handshaking, opened] = transition(STATES.connecting, { type: 'socket-open', id: 1, at: AT, random: 0.5 }, gated)
    expect(types(opened)).toEqual(['handshake'])
    expect(types(transition(handshaking, { type: 'handshake-done', id: 1, at: AT, random: 0.5 }, gated)[1])).toEqual(['intents', 'expire-queue', 'flush'])
    expect(types(transition(handshaking, { type: 'handshake-done', id: 1, at: AT, random: 0.5, resumed: true }, gated)[1])).toEqual(['expire-queue', 'flush'])
  })
})

describe('intents: through the driver', () => {
  it('order on every connection: handshake → intents (registration order, providers called each time) → queue', async () => {
    let n = 0
    const h = harness({
      handshake: ({ socket }) => {
        socket.send('auth')
      },
    })
    h.socket.intent('room', 'join room')
    h.socket.intent('feed', () => `subscribe feed #${++n}`)
    h.socket.send('hello')
    h.server.accept()
    await Promise.resolve()
    await Promise.resolve()
    expect(h.server.last.sent).toEqual(['auth', 'join room', 'subscribe feed #1', 'hello'])
    h.server.drop()
    h.socket.send('again')
    h.clock.advance(5_000)
    h.server.accept()
    await Promise.resolve()
    await Promise.resolve()
    expect(h.server.last.sent).toEqual(['auth', 'join room', 'subscribe feed #2', 'again'])
  })

  it('the same key replaces; the remover removes only its own registration; registered while open it is sent now', () => {
    const h = harness()
    const removeOld = h.socket.intent('room', 'join a')
    h.socket.intent('room', 'join b')
    removeOld() // a stale remover: 'join b' stays
    const removeFeed = h.socket.intent('feed', 'subscribe')
    h.server.accept()
    expect(h.server.last.sent).toEqual(['join b', 'subscribe'])
    h.socket.intent('late', 'join late')
    expect(h.server.last.sent).toEqual(['join b', 'subscribe', 'join late'])
    removeFeed()
    h.server.drop()
    h.clock.advance(5_000)
    h.server.accept()
    expect(h.server.last.sent).toEqual(['join b', 'join late'])
  })

  it('a provider that throws or returns no data is an error event and is skipped; the others still go', () => {
    const h = harness()
    h.socket.intent('bad', () => {
      throw new Error('no room')
    })
    h.socket.intent('worse', () => 42 as never)
    h.socket.intent('good', 'join')
    h.server.accept()
    expect(h.server.last.sent).toEqual(['join'])
    expect(h.of('error').map(([e]) => [(e as { code: string }).code, (e as Error).message])).toEqual([
      ['SEND_FAILED', 'intent "bad" failed: no room'],
      ['SEND_FAILED', 'intent "worse" failed: intent "worse": message must be a string, ArrayBuffer, ArrayBufferView or Blob, got number 42'],
    ])
  })

  it('not sent when the session resumed (the server still holds them)', () => {
    let resumed = false
    // a session port that makes the fake server's sockets and says whether the last open resumed
    const h = harness({ session: (host) => ({ WebSocket: host.WebSocket, get resumed() { return resumed }, active: true, end() {} }) })
    h.socket.intent('room', 'join')
    h.server.accept()
    h.server.drop()
    resumed = true
    h.clock.advance(5_000)
    h.server.accept()
    expect(h.server.sockets.map((s) => s.sent)).toEqual([['join'], []])
  })

  it('bad input: exact messages', () => {
    const h = harness()
    expect(() => h.socket.intent(7 as never, 'x')).toThrow(new TypeError('intent(key, message): key must be a string, got number 7'))
    expect(() => h.socket.intent('k', {} as never)).toThrow(new TypeError('intent(key, message): message must be a string, ArrayBuffer, ArrayBufferView or Blob, got object'))
  })
})
