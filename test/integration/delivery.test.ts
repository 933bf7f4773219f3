/**
 * Issue 14 over a real network: lifeline-ws (Node entry) → fault proxy → a counting `ws` server on
 * 127.0.0.1, at 1,000 and 4,000 messages/s, through a kill (FIN, no close frame), a reset (RST), a
 * silence (half-open), a one-way drop each way and a graceful restart (1012, then the listener
 * restarts); and a drop towards the server while the server keeps pushing (inbound data must not
 * stand in for the confirmation ping's answer: the drop is healed only once the client gave up on
 * that connection, so a client that waits forever fails the test). Every message is numbered and sent with sendAsync(); the server counts what it reads
 * per connection, and the account (test/support/delivery-account.mjs) checks:
 * - 'report': no silent loss (every message read or reported), never a duplicate;
 * - 'resend': no loss and no 'unconfirmed' report, duplicates only among resent messages;
 * - both: every message confirmed or dropped, once; a confirmed one was read; order kept within each connection.
 */
import { afterEach, describe, expect, it, onTestFinished } from 'vitest'
import type { LifelineSocket } from '../../src/index.node.js'
import { sendAsync } from '../../src/index.promises.js'
import { startCountingServer, type CountingServer } from '../support/counting-server.js'
import { account, violations } from '../support/delivery-account.mjs'
import type { FaultProxy } from '../support/fault-proxy.mjs'
import { cleanup, connect, startProxy } from '../support/lifeline.js'
import { waitFor } from '../support/wait.js'

afterEach(cleanup)

type Fault = 'kill' | 'reset' | 'silence' | 'drop up' | 'drop down' | 'drop up, server pushing' | 'graceful restart'

const SENDING_MS = 1_200
const FAULT_AT_MS = 300
const HEAL_AT_MS = 900

/** Inflict the fault; returns what heals it (undefined: nothing to heal). */
async function inflict(fault: Fault, counting: CountingServer, proxy: FaultProxy): Promise<(() => void) | undefined> {
  switch (fault) {
    case 'kill':
      counting.server.killConnections()
      return undefined
    case 'reset':
      proxy.reset()
      return undefined
    case 'silence':
      proxy.silence()
      return () => proxy.heal()
    case 'drop up':
    case 'drop up, server pushing':
      proxy.drop('up')
      return () => proxy.heal()
    case 'drop down':
      proxy.drop('down')
      return () => proxy.heal()
    case 'graceful restart': {
      for (const ws of counting.server.clients) ws.close(1012, 'restart')
      await waitFor(() => counting.server.clients.size === 0, 2_000, 'the close handshakes')
      await counting.server.restart()
      return undefined
    }
  }
}

async function run(mode: 'report' | 'resend', rate: number, fault: Fault) {
  const counting = await startCountingServer()
  const proxy = await startProxy(counting.server.port)
  const { socket, rec, monitor } = connect({
    url: `ws://127.0.0.1:${proxy.port}/`,
    delivery: mode,
    confirmDelay: 20,
    heartbeat: { interval: 1_000, timeout: 400 },
    connectTimeout: 1_000,
    backoff: { initialDelay: 50, maxDelay: 200, jitter: 'none' },
    queue: { maxMessages: 50_000, maxBytes: 50_000_000 },
  })
  await rec.waitFor('open', 2_000)
  const pushing = fault === 'drop up, server pushing'
  // the server pushes every 50 ms, well within the heartbeat interval: the link is never quiet
  const pusher = pushing ? setInterval(() => counting.server.clients.forEach((ws) => ws.send('tick')), 50) : undefined
  onTestFinished(() => clearInterval(pusher))
  const gaveUp = () => rec.of('error').some(([error]) => error.code === 'HEARTBEAT_TIMEOUT')
  const confirmed: number[] = []
  const dropped: [number, string][] = []
  let sent = 0
  const sendOne = (s: LifelineSocket) => {
    const seq = sent++
    sendAsync(s, `${seq} ${'x'.repeat(32)}`).then(
      () => confirmed.push(seq),
      (error: { reason?: string }) => dropped.push([seq, error.reason ?? 'unknown']),
    )
  }
  // send at `rate` per second in 10 ms ticks, by elapsed time (a late tick catches up)
  const start = performance.now()
  let heal: (() => void) | undefined
  let faulted = false
  let healed = false
  await new Promise<void>((resolve) => {
    const tick = setInterval(() => {
      const elapsed = performance.now() - start
      const due = Math.min(Math.floor((elapsed * rate) / 1_000), Math.floor((SENDING_MS * rate) / 1_000))
      while (sent < due) sendOne(socket)
      if (!faulted && elapsed >= FAULT_AT_MS) {
        faulted = true
        void inflict(fault, counting, proxy).then((h) => (heal = h))
      }
      if (!healed && elapsed >= HEAL_AT_MS && heal && (!pushing || gaveUp())) {
        healed = true
        heal()
      }
      if (elapsed >= SENDING_MS && faulted) {
        clearInterval(tick)
        resolve()
      }
    }, 10)
  })
  if (pushing) {
    await waitFor(gaveUp, 3_000, 'the client to give up on the connection whose pings go unanswered', { describe: () => rec.dump() })
  }
  if (heal && !healed) heal()
  // every message settles: confirmed, or reported
  await waitFor(() => confirmed.length + dropped.length === sent, 8_000, 'every message confirmed or dropped', {
    describe: () => `sent ${sent}, confirmed ${confirmed.length}, dropped ${dropped.length}; ${JSON.stringify(monitor.stats().held)}; ${rec.dump()}`,
  })
  const result = account({ sent, confirmed, dropped }, counting.record())
  expect(violations(result, mode)).toEqual([])
  expect(result.read).toBeGreaterThan(0)
  if (mode === 'resend') expect(result.droppedBy).toEqual({})
  return { result, stats: monitor.stats(), connections: counting.record().connections.length }
}

const FAULTS: Fault[] = ['kill', 'reset', 'silence', 'drop up', 'drop down', 'drop up, server pushing', 'graceful restart']

describe.each(['report', 'resend'] as const)("delivery: '%s' over a real network", (mode) => {
  describe.each([1_000, 4_000])('%i messages/s', (rate) => {
    it.each(FAULTS)('%s', async (fault) => {
      const { result, stats, connections } = await run(mode, rate, fault)
      // the fault really cut the connection (a restart, a reset…): the scenario tested something
      expect(connections).toBeGreaterThanOrEqual(2)
      if (mode === 'report') expect(stats.resent).toBe(0)
      expect(result.lost).toEqual([])
    }, 20_000)
  })
})
