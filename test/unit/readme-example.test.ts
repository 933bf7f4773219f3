/** The README's testing-kit example, verbatim in spirit: it must keep working. */
import { expect, it } from 'vitest'
import { createSocket } from '../../src/index.core.js'
import { createFakeServer, createVirtualClock, recordStates } from '../../src/index.testing.js'

it('README: testing an app reconnect in virtual time', () => {
  const clock = createVirtualClock()
  const server = createFakeServer({ clock })
  const socket = createSocket({ url: 'ws://app.test', WebSocket: server.WebSocket, timer: clock, random: () => 0.5 })
  const states = recordStates(socket)

  clock.advance(0)
  server.accept()
  server.drop()
  clock.advance(1_000)
  server.accept()
  expect(states.path).toEqual(['idle', 'connecting', 'open', 'backoff', 'connecting', 'open'])
})
