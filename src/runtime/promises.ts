/** lifeline-ws/promises: a socket's moments as promises (the next open, one message written). */
import type { Data } from '../core/queue.js'
import { checkData } from '../options/validate.js'
import { LifelineError } from './errors.js'
import { checkSocket, driverOf } from './internals.js'
import type { LifelineSocket } from './socket.js'

/** Resolves when the socket is next open (at once if it is); rejects GIVEN_UP on give-up, CLOSED once closed for good. */
export function opened(socket: LifelineSocket): Promise<void> {
  checkSocket(socket, 'opened(socket)')
  const phase = socket.state
  if (phase === 'open') return Promise.resolve()
  if (phase === 'closed') return Promise.reject(closedError())
  return new Promise((resolve, reject) => {
    // 'giveup' is emitted before the 'closed' state event, so it wins when both come
    const offs = [
      socket.on('open', () => settle(resolve)),
      socket.on('giveup', ({ reason }) => settle(() => reject(new LifelineError('GIVEN_UP', `gave up: ${reason}`)))),
      socket.on('state', (next) => next === 'closed' && settle(() => reject(closedError()))),
    ]
    function settle(done: () => void): void {
      for (const off of offs) off()
      done()
    }
  })
}

/**
 * `send()` as a promise: resolves when the message is confirmed (an answered ping after it, or a
 * clean close: see README "Guarantees"; with a session, the server's ACK: its handler is done; with
 * no heartbeat, when it was written to an open socket);
 * rejects DROPPED with the drop reason as `.reason` ('unconfirmed': written, then its socket died
 * unconfirmed; a 'drop' event is emitted too, as for every message not sent).
 */
export function sendAsync(socket: LifelineSocket, data: Data): Promise<void> {
  const driver = driverOf(socket, 'sendAsync(socket, data)')
  checkData('sendAsync(socket, data): data', data)
  return new Promise((resolve, reject) => {
    driver.send(data, (dropped) => {
      if (dropped === undefined) resolve()
      else reject(Object.assign(new LifelineError('DROPPED', `message dropped: ${dropped}`), { reason: dropped }))
    })
  })
}

function closedError(): LifelineError {
  return new LifelineError('CLOSED', 'the socket was closed')
}
