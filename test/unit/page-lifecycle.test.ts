/**
 * Page lifecycle (issue 18), in virtual time: 'freeze' (pagehide, the back/forward cache, a frozen
 * tab) releases the socket, keeps the queue and arms no retry; 'resume' makes one attempt at once
 * and the queue goes out in order.
 */
import { describe, expect, it } from 'vitest'
import { harness } from '../helpers/harness.js'

describe("'freeze' and 'resume'", () => {
  it('freeze releases an open socket (close 1000, no retry however long), resume reconnects once and flushes the queue in order', () => {
    const h = harness({ backoff: { initialDelay: 100, maxDelay: 100, jitter: 'none' } })
    h.server.accept()
    h.socket.send('before')
    h.socket.signal('freeze')
    expect(h.socket.state).toBe('backoff')
    expect(h.of('close')).toEqual([[{ code: 1000, reason: 'page frozen', wasClean: false }]])
    expect(h.server.sockets[0]!.terminated).toBe(true) // released at once (a browser closes it: it has no terminate)
    expect(h.of('state').at(-1)).toEqual(['backoff', 'open', 'page frozen', 'freeze'])
    expect(h.socket.send('while-hidden-1')).toBe(true)
    expect(h.socket.send('while-hidden-2')).toBe(true)
    h.socket.signal('online') // a storm of signals while frozen starts nothing
    h.socket.signal('visible')
    h.clock.advance(600_000)
    expect(h.server.sockets).toHaveLength(1)
    expect(h.clock.pending).toBe(0)

    h.socket.signal('resume')
    expect(h.of('state').at(-1)).toEqual(['connecting', 'backoff', 'page resumed', 'resume'])
    h.socket.signal('resume') // 'resume' then 'pageshow': one attempt
    h.server.accept()
    expect(h.server.sockets).toHaveLength(2)
    expect(h.server.received).toEqual(['before', 'while-hidden-1', 'while-hidden-2'])
    expect(h.of('drop')).toEqual([])
  })

  it('freeze during backoff clears the retry; offline at resume waits for online', () => {
    const h = harness({ backoff: { initialDelay: 1_000, maxDelay: 1_000, jitter: 'none' } })
    h.server.refuse()
    expect(h.socket.state).toBe('backoff')
    h.socket.signal('freeze')
    h.socket.signal('offline')
    h.clock.advance(60_000)
    expect(h.server.sockets).toHaveLength(1)
    h.socket.signal('resume')
    expect(h.socket.state).toBe('backoff')
    h.socket.signal('online')
    h.clock.advance(1_000)
    expect(h.server.sockets).toHaveLength(2)
  })

  it('resume without a freeze before it is a visible: an open link is probed', () => {
    const h = harness({ heartbeat: { interval: 10_000, timeout: 5_000, mode: 'message', message: 'ping' } })
    h.server.accept()
    h.socket.signal('resume')
    expect(h.server.received).toEqual(['ping'])
    expect(h.socket.state).toBe('open')
  })
})
