/**
 * The counting server and the delivery account over a real network, with a plain `ws` client (the
 * harness itself, before any delivery mode uses it): numbered messages are counted per connection
 * in read order, an app-level ping is answered in order, and a client writing into a silenced
 * proxy — today's silent loss — is caught by the account.
 */
import { afterEach, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { startCountingServer } from '../support/counting-server.js'
import { account, violations } from '../support/delivery-account.mjs'
import { createFaultProxy, type FaultProxy } from '../support/fault-proxy.mjs'
import { expectNoTcpHandles } from '../support/lifeline.js'
import { closeAllServers } from '../support/servers.js'
import { waitFor } from '../support/wait.js'

const proxies: FaultProxy[] = []
const clients: WebSocket[] = []
afterEach(async () => {
  for (const ws of clients.splice(0)) ws.terminate()
  for (const proxy of proxies.splice(0)) await proxy.close()
  await closeAllServers()
  await expectNoTcpHandles(2_000)
})

async function connect(url: string): Promise<{ ws: WebSocket; replies: string[] }> {
  const ws = new WebSocket(url)
  clients.push(ws)
  const replies: string[] = []
  ws.on('message', (data) => replies.push(String(data)))
  ws.on('error', () => {})
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve())
    ws.once('error', reject)
  })
  return { ws, replies }
}

describe('counting server', () => {
  it('records numbered messages per connection in read order, and answers an app-level ping after what came before it', async () => {
    const counting = await startCountingServer({ answer: (text) => (text === 'ping' ? 'pong' : undefined) })
    const first = await connect(counting.url)
    for (let seq = 0; seq < 5; seq++) first.ws.send(`${seq} payload`)
    first.ws.send('ping')
    await waitFor(() => first.replies.length === 1, 2_000, 'the pong')
    // the answer went out after the server had read every message written before the ping
    expect(first.replies).toEqual(['pong'])
    expect(counting.distinct).toBe(5)
    counting.server.killConnections()
    await waitFor(() => first.ws.readyState === WebSocket.CLOSED, 2_000, 'the first connection to close')

    const second = await connect(counting.url)
    second.ws.send('5')
    second.ws.send('6 x')
    await counting.waitForSeq(6, 2_000)
    expect(counting.record()).toEqual({
      connections: [
        { id: '1', seqs: [0, 1, 2, 3, 4] },
        { id: '2', seqs: [5, 6] },
      ],
    })
    const result = account({ sent: 7, confirmed: [0, 1, 2, 3, 4, 5, 6], dropped: [] }, counting.record())
    expect(violations(result, 'report')).toEqual([])
  })

  it('the account catches a silent loss: messages written into a silenced proxy never reach the server', async () => {
    const counting = await startCountingServer()
    const proxy = createFaultProxy({ target: { port: counting.server.port } })
    proxies.push(proxy)
    const port = await proxy.start()
    const { ws } = await connect(`ws://127.0.0.1:${port}/`)
    ws.send('0')
    await counting.waitForSeq(0, 2_000)
    proxy.silence()
    ws.send('1')
    ws.send('2')
    // written: the client's socket has handed both to the kernel, and the proxy discarded them
    await waitFor(() => ws.bufferedAmount === 0 && proxy.stats.up.discarded > 0, 2_000, 'the writes to be swallowed')
    // a plain client has no way to know: it would count them as sent, not dropped
    const result = account({ sent: 3, confirmed: [0, 1, 2], dropped: [] }, counting.record())
    expect(result.lost).toEqual([1, 2])
    expect(result.falselyConfirmed).toEqual([1, 2])
    expect(violations(result, 'report')[0]).toBe('2 lost silently (sent, never read, not reported): 1, 2')
  })
})
