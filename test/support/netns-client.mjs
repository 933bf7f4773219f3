/**
 * Child process for the netns test: a lifeline-ws socket run inside a network namespace with
 * `ip netns exec`. argv: <bundle.cjs> <url> <options JSON>. The bundle is src/index.node.ts built
 * by the test (esbuild), because plain node cannot load the TypeScript sources.
 *
 * stdout, one JSON object a line: {"event": name, "args": [...]} for every socket event, and
 * {"rtt": ms} the first time a heartbeat is answered. It exits when its stdin closes.
 */
import { createRequire } from 'node:module'

const [bundle, url, json] = process.argv.slice(2)
if (!bundle || !url) throw new Error('usage: netns-client.mjs <bundle.cjs> <url> [options JSON]')
const { createSocket } = createRequire(import.meta.url)(bundle)
const say = (object) => process.stdout.write(`${JSON.stringify({ t: Date.now(), ...object })}\n`)

const socket = createSocket({ ...JSON.parse(json ?? '{}'), url, lazy: true })
for (const name of ['state', 'open', 'message', 'close', 'error', 'reconnecting', 'drop', 'giveup']) {
  socket.on(name, (...args) => {
    const plain = args.map((a) => (a instanceof Error ? { code: a.code, message: a.message } : a))
    say({ event: name, args: plain })
  })
}
socket.connect()

let reported = false
const poll = setInterval(() => {
  if (!reported && socket.rtt !== undefined) {
    reported = true
    say({ rtt: socket.rtt })
  }
}, 10)

process.stdin.resume()
process.stdin.on('end', () => {
  clearInterval(poll)
  process.exit(0)
})
