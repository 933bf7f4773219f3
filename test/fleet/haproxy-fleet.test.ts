/**
 * Issue 16's fleet, smaller: haproxy (round-robin, no stickiness) in front of 3 node processes
 * (test/fleet/session-node.mjs, from dist/: npx tsup) sharing a real redis-server; 10 protocol test
 * clients send 100 messages/s in total and get each one echoed back. Midway one node is SIGKILLed
 * and restarted on its port, and another drains. Counted at both ends: nothing lost, nothing out of
 * order in either direction, and a message handled twice only ever flagged `redelivered`.
 */
import { expect, it } from 'vitest'
import { startNode, type Got } from '../support/fleet-node.js'
import { startHaproxy } from '../support/haproxy.js'
import { freePort, useRedisForFile } from '../support/redis.js'
import { SessionClient } from '../support/session-client.js'
import { waitFor } from '../support/wait.js'

const { fleet, cleanups } = useRedisForFile()

/** Reconnect (through the balancer) whenever the connection drops, as the product's client would. */
function keepConnected(c: SessionClient): void {
  let connecting = false
  const reconnect = (): void => {
    if (connecting || c.connected) return
    connecting = true
    c.connect(3_000).then(
      () => void (connecting = false),
      () => {
        connecting = false
        setTimeout(reconnect, 50)
      },
    )
  }
  c.on('close', () => setTimeout(reconnect, 20))
}

it('haproxy round-robin over 3 nodes, one SIGKILLed and restarted, one drained: nothing lost or reordered either way, repeats only flagged', async () => {
  const got: Got[] = []
  const errors: string[] = []
  const ports = [await freePort(), await freePort(), await freePort()]
  const nodes = await Promise.all(ports.map((port, i) => startNode(i, port, fleet.redis.url, { got, errors, cleanups })))
  const proxy = await startHaproxy(ports)
  cleanups.push(() => proxy.stop())

  const CLIENTS = 10
  const PER_CLIENT = 50 // 10/s each for 5 s: 100 messages/s in total
  const clients = Array.from({ length: CLIENTS }, () => new SessionClient(proxy.url))
  for (const c of clients) cleanups.push(() => c.kill())
  await Promise.all(clients.map((c) => c.connect(5_000)))
  for (const c of clients) keepConnected(c)

  let sent = 0
  const pump = setInterval(() => {
    sent++
    for (const [k, c] of clients.entries()) c.send(`c${k}:${sent}`)
    if (sent === PER_CLIENT) clearInterval(pump)
  }, 100)
  cleanups.push(() => clearInterval(pump))

  await waitFor(() => sent >= 15, 5_000, '1.5 s of traffic')
  nodes[0]!.child.kill('SIGKILL')
  await waitFor(() => sent >= 25, 5_000, '1 s more traffic without node 0')
  nodes[0] = await startNode(0, ports[0]!, fleet.redis.url, { got, errors, cleanups })
  nodes[1]!.send({ drain: 500 })
  await waitFor(() => sent === PER_CLIENT, 10_000, 'all messages sent')
  const echoes = (c: SessionClient): string[] => c.received.map(String).filter((r, i, all) => all.indexOf(r) === i)
  await waitFor(() => clients.every((c) => c.outbound.acked === PER_CLIENT && echoes(c).length === PER_CLIENT), 15_000, 'every message acknowledged and echoed', {
    describe: () => clients.map((c, k) => `c${k}: acked ${c.outbound.acked}, echoes ${echoes(c).length}, opens ${c.opens.length}`).join('; '),
  })

  for (const [k, c] of clients.entries()) {
    const expected = Array.from({ length: PER_CLIENT }, (_, i) => `c${k}:${i + 1}`)
    const handled = got.filter(([, , data]) => data.startsWith(`c${k}:`))
    // client → server: each message handled, none lost; a repeat only ever flagged
    const firsts = handled.filter(([, , data], i) => handled.findIndex(([, , d]) => d === data) === i).map(([, , data]) => data)
    expect(new Set(firsts)).toEqual(new Set(expected))
    for (const [, , data, redelivered] of handled.filter(([, , data], i) => handled.findIndex(([, , d]) => d === data) !== i)) {
      expect({ data, redelivered }).toEqual({ data, redelivered: true })
    }
    // in order on each node (each node's reports reach this process in the order it handled them)
    for (const node of [0, 1, 2]) {
      const seqs = handled.filter(([n, , , redelivered]) => n === node && !redelivered).map(([, , data]) => Number(data.split(':')[1]))
      expect(seqs).toEqual([...seqs].sort((x, y) => x - y))
    }
    // server → client: every echo, in order, at the client
    expect(echoes(c)).toEqual(expected.map((m) => `echo:${m}`))
    expect(c.outbound.acked).toBe(PER_CLIENT)
  }
  // the clients really moved (the kill and the drain), and each kept its one session throughout
  expect(clients.some((c) => c.opens.includes(true))).toBe(true)
  expect(clients.every((c) => c.opens.filter((resumed) => !resumed).length === 1)).toBe(true)
  // and no node reported a store failure
  expect(errors).toEqual([])
}, 30_000)
