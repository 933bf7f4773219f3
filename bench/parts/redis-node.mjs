// One node for the redis-store part: a `ws` server on 127.0.0.1:<port> with attachSessions() over
// redisStore(<url>) from dist/, whose application echoes every client message once the echo is
// durable. Answers { cmd: 'stats' } with its CPU time (µs) and the store's command count.
import { WebSocketServer } from 'ws'
import { attachSessions } from '../../dist/server.mjs'
import { redisStore } from '../../dist/server-redis.mjs'

const [port, url] = process.argv.slice(2)
const wss = new WebSocketServer({ host: '127.0.0.1', port: Number(port) })
await new Promise((resolve) => wss.once('listening', resolve))
const store = redisStore({ url })
const sessions = attachSessions(wss, { store, resumeWindow: 60_000 })
let errors = 0
sessions.on('error', () => void errors++)
sessions.on('session', (session) => session.on('message', (data) => session.send(`echo:${data}`)))
process.on('message', (m) => {
  if (m.cmd !== 'stats') return
  const cpu = process.cpuUsage()
  process.send({ id: m.id, result: { cpu: cpu.user + cpu.system, commands: store.commands, errors } })
})
process.send({ ready: true })
