/**
 * `session: true` end to end (the session code loaded on demand): the Node createSocket against a
 * real `ws` server with attachSessions, with no import of lifeline-ws/session. Messages both ways,
 * a connection killed by the server and resumed with nothing lost, then close() ending the session.
 */
import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { WebSocketServer } from 'ws'
import { createSocket } from '../../src/index.node.js'
import { sendAsync } from '../../src/index.promises.js'
import { attachSessions, type Session } from '../../src/index.server.js'
import { waitFor } from '../support/wait.js'

const cleanups: Array<() => Promise<unknown> | void> = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

describe('session: true against attachSessions', () => {
  it('opens a session, delivers both ways, resumes after the server kills the connection, and close() ends it', async () => {
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 })
    await new Promise((resolve) => wss.once('listening', resolve))
    const sessions = attachSessions(wss, { heartbeat: { interval: 300, timeout: 200 }, ackDelay: 20 })
    cleanups.push(() => {
      sessions.close()
      return new Promise((resolve) => wss.close(resolve))
    })
    const serverGot: unknown[] = []
    const ended: string[] = []
    let current: Session | undefined
    sessions.on('session', (s) => {
      current = s
      s.on('message', (data) => void serverGot.push(String(data)))
      s.on('close', (reason) => void ended.push(reason))
    })

    const socket = createSocket({ url: `ws://127.0.0.1:${(wss.address() as AddressInfo).port}`, session: true, backoff: { initialDelay: 50, maxDelay: 200 } })
    cleanups.push(() => socket.close())
    const opens: Array<{ resumed: boolean; session: boolean }> = []
    const got: unknown[] = []
    const drops: unknown[] = []
    socket.on('open', (info) => void opens.push(info))
    socket.on('message', (data) => void got.push(data))
    socket.on('drop', (info) => void drops.push(info))
    socket.send('c0')
    await waitFor(() => serverGot.length === 1 && current !== undefined, 5_000, 'the first message')
    expect(opens).toEqual([expect.objectContaining({ resumed: false, session: true })])
    current!.send('s0')
    await waitFor(() => got.length === 1, 5_000, 'the server message')

    for (const ws of wss.clients) ws.terminate()
    socket.send('c1')
    current!.send('s1')
    await waitFor(() => serverGot.length === 2 && got.length === 2, 5_000, 'both messages after the kill', { describe: () => JSON.stringify({ opens, serverGot, got }) })
    expect(opens[1]).toMatchObject({ resumed: true, session: true })
    expect(serverGot).toEqual(['c0', 'c1'])
    expect(got).toEqual(['s0', 's1'])

    socket.close()
    await waitFor(() => ended.length === 1, 5_000, 'the session to end')
    expect(ended).toEqual(['client'])
    expect(drops).toEqual([])
  })

  it('sendAsync() resolves once the server acknowledged the message: after its handler\'s promise settled', async () => {
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 })
    await new Promise((resolve) => wss.once('listening', resolve))
    const sessions = attachSessions(wss, { ackDelay: 5 })
    cleanups.push(() => {
      sessions.close()
      return new Promise((resolve) => wss.close(resolve))
    })
    const handling: Array<() => void> = []
    sessions.on('session', (s) => s.on('message', () => new Promise<void>((done) => void handling.push(done))))
    const socket = createSocket({ url: `ws://127.0.0.1:${(wss.address() as AddressInfo).port}`, session: true })
    cleanups.push(() => socket.close())
    let settled = false
    const sent = sendAsync(socket, 'work').then(() => void (settled = true))
    await waitFor(() => handling.length === 1, 5_000, 'the handler to start')
    // the server has the message (a hand-off would have resolved by now); its handler has not finished: no ack yet
    expect(settled).toBe(false)
    handling[0]!()
    await sent
    expect(settled).toBe(true)
  })
})
