// One flap trial in its own process: one client per library against a server that accepts and
// closes at once, for SECONDS; the server counts the attempts. Args: port trial seconds
import { connect } from '../lib/clients.mjs'
import { fail, report } from '../lib/spawn.mjs'
import { sleep } from '../lib/util.mjs'

const LIBS = ['lifeline-ws', 'reconnecting-websocket', 'partysocket', 'websocket-ts']
const [port, trial, seconds] = process.argv.slice(2)
try {
  const clients = LIBS.map((lib) => connect(lib, `ws://127.0.0.1:${port}/flap?c=${lib}@${trial}`))
  await sleep(Number(seconds) * 1000)
  for (const c of clients) c.close()
  await sleep(50)
  report({})
} catch (error) {
  fail(error)
}
