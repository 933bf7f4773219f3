/** Issue 18, endpoints: `url` lists several; attempts rotate with the backoff; a working one is kept until it fails. */
import { describe, expect, it } from 'vitest'
import type { Policy } from '../../src/core/policy.js'
import type { Input } from '../../src/core/state.js'
import { transition } from '../../src/core/transition.js'
import { createSocket } from '../../src/index.core.js'
import { createFakeServer, createVirtualClock } from '../../src/index.testing.js'
import { harness } from '../helpers/harness.js'
import { AT, POLICY, STATES } from '../helpers/policy.js'

const THREE: Policy = { ...POLICY, endpoints: 3 }
const r = 0.5
const timer = (name: 'connect' | 'retry' | 'lifetime'): Input => ({ type: 'timer', name, at: AT, late: 0, random: r, buffered: 0, received: 0, lastInbound: AT, lastMessage: AT })

describe('endpoints: the core', () => {
  it('every failure moves to the next endpoint, wrapping round; one endpoint stays 0', () => {
    const drop: Input = { type: 'socket-close', id: 1, at: AT, random: r, close: { code: 1006, reason: '', wasClean: false } }
    expect(transition({ ...STATES.connecting, endpoint: 0 }, drop, THREE)[0].endpoint).toBe(1)
    expect(transition({ ...STATES.connecting, endpoint: 2 }, drop, THREE)[0].endpoint).toBe(0)
    expect(transition({ ...STATES.open, endpoint: 1 }, drop, THREE)[0].endpoint).toBe(2)
    expect(transition({ ...STATES.connecting, endpoint: 1 }, timer('connect'), THREE)[0].endpoint).toBe(2)
    expect(transition(STATES.connecting, drop, POLICY)[0].endpoint).toBe(0)
  })

  it('sticky: the retry, a handover (reconnect(), maxLifetime) and offline keep the endpoint', () => {
    expect(transition({ ...STATES.backoff, endpoint: 2 }, timer('retry'), THREE)[0]).toMatchObject({ phase: 'connecting', endpoint: 2 })
    expect(transition({ ...STATES.open, endpoint: 2 }, { type: 'reconnect', at: AT }, THREE)[0].endpoint).toBe(2)
    expect(transition({ ...STATES.open, endpoint: 2 }, timer('lifetime'), THREE)[0].endpoint).toBe(2)
    expect(transition({ ...STATES.open, endpoint: 2 }, { type: 'signal', signal: 'offline', at: AT, random: r }, THREE)[0].endpoint).toBe(2)
  })
})

describe('endpoints: through the driver', () => {
  it('rotates through the list as attempts fail, keeps the one that opened, and socket.url and history() name it', () => {
    const h = harness({ url: ['ws://a.test/', 'ws://b.test/?token=s3cret', 'ws://c.test/'], backoff: { jitter: 'none', initialDelay: 100, maxDelay: 100 } })
    expect(h.socket.url).toBe('ws://a.test/')
    h.server.refuse()
    h.clock.advance(100)
    expect(h.socket.url).toBe('ws://b.test/?token=***')
    h.server.accept()
    h.server.drop() // b was healthy, then failed: on to c
    h.clock.advance(100)
    h.server.refuse()
    h.clock.advance(100)
    h.server.accept() // a again, after wrapping round
    h.socket.reconnect() // a handover keeps a
    h.server.accept()
    expect(h.server.sockets.map((s) => s.url)).toEqual(['ws://a.test/', 'ws://b.test/?token=s3cret', 'ws://c.test/', 'ws://a.test/', 'ws://a.test/'])
    expect(h.monitor.history().map((d) => [d.cause, d.url])).toEqual([
      ['close', 'ws://b.test/?token=***'],
      ['reconnect', 'ws://a.test/'],
    ])
  })

  it('bad lists: exact messages naming the entry', () => {
    const clock = createVirtualClock()
    const ports = { WebSocket: createFakeServer({ clock }).WebSocket, timer: clock, random: () => 0.5 }
    expect(() => createSocket({ ...ports, url: [] })).toThrow(new TypeError('url must be a non-empty list of strings or URLs, got array of length 0'))
    expect(() => createSocket({ ...ports, url: ['ws://a.test', 5 as never] })).toThrow(new TypeError('url[1] must be a string or a URL, got number 5'))
    expect(() => createSocket({ ...ports, url: ['ws://a.test', 'ftp://b.test'] })).toThrow(new SyntaxError('url[1] must use ws:, wss:, http: or https:, got "ftp:" in "ftp://b.test/"'))
  })
})
