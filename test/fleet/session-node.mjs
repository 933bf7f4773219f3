// One node of the fleet tests: a `ws` server on 127.0.0.1:<port> with attachSessions() over
// redisStore(<url>) (or memoryStore() when the url is "memory"), from the built package (dist/).
// Its application echoes each client message back ("echo:" + data) and acknowledges the client's
// message only once the echo is durable; it reports to the parent (IPC) every message its handler
// got, with the redelivered flag, and every store error. Parent commands: { drain: ms }, { stop }.
import { WebSocketServer } from 'ws'
import { attachSessions, memoryStore } from '../../dist/server.mjs'
import { redisStore } from '../../dist/server-redis.mjs'

const [port, url, leaseTtl] = process.argv.slice(2)
const wss = new WebSocketServer({ host: '127.0.0.1', port: Number(port) })
await new Promise((resolve) => wss.once('listening', resolve))
const store = url === 'memory' ? memoryStore() : redisStore({ url, leaseTtl: Number(leaseTtl), commandTimeout: 1_000 })
const sessions = attachSessions(wss, { store, resumeWindow: 60_000, ackDelay: 10 })
sessions.on('error', (error) => process.send({ error: String(error?.message ?? error) }))
sessions.on('session', (session) => {
  session.on('message', (data, { redelivered }) => {
    process.send({ got: [session.id, data, redelivered] })
    return session.send(`echo:${data}`)
  })
})
process.on('message', async (m) => {
  if (m.drain !== undefined) {
    await sessions.drain({ within: m.drain })
    process.send({ drained: true })
  } else if (m.stop) {
    sessions.close()
    wss.close()
    setTimeout(() => process.exit(0), 200)
  }
})
process.send({ ready: true })
