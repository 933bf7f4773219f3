/**
 * Child process for the netns test: a lifeline-ws socket run inside a network namespace with
 * `ip netns exec`. argv: <bundle.cjs> <url> <options JSON> [<ms>]. The bundle is src/index.node.ts
 * built by the test (esbuild), because plain node cannot load the TypeScript sources. With <ms>,
 * it sends a numbered message ("1", "2"…) every <ms> while the socket is open.
 *
 * stdout, one JSON object a line: {"event": name, "args": [...]} for every socket event, and
 * {"rtt": ms} the first time a heartbeat is answered. It exits when its stdin closes.
 *
 * Delivery accounting (issue 14): when the bundle exports sendAsync and the options set `delivery`,
 * the messages are "0", "1"… sent with sendAsync() whatever the state, and it reports
 * {"sent": n}, then {"confirmed": n} or {"dropped": n, "reason": r}. A line "stop" on stdin stops sending.
 */
import { createRequire } from 'node:module'
import { createInterface } from 'node:readline'

const [bundle, url, json, every] = process.argv.slice(2)
if (!bundle || !url) throw new Error('usage: netns-client.mjs <bundle.cjs> <url> [options JSON]')
const { createSocket, sendAsync } = createRequire(import.meta.url)(bundle)
const options = JSON.parse(json ?? '{}')
const accounting = typeof sendAsync === 'function' && options.delivery !== undefined
const say = (object) => process.stdout.write(`${JSON.stringify({ t: Date.now(), ...object })}\n`)

const socket = createSocket({ ...options, url, lazy: true })
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

let sent = 0
const sendOne = accounting
  ? () => {
      const n = sent++
      say({ sent: n })
      sendAsync(socket, String(n)).then(
        () => say({ confirmed: n }),
        (error) => say({ dropped: n, reason: error.reason }),
      )
    }
  : () => socket.state === 'open' && socket.send(String(++sent))
const sender = every ? setInterval(sendOne, Number(every)) : undefined

createInterface({ input: process.stdin }).on('line', (line) => {
  if (line === 'stop') clearInterval(sender)
})
process.stdin.resume()
process.stdin.on('end', () => {
  clearInterval(poll)
  clearInterval(sender)
  process.exit(0)
})
