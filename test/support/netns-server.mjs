/**
 * Child process for the netns test: a `ws` echo server on the address given in argv[2] (port 0),
 * run inside a network namespace with `ip netns exec`. It reports on stdout, one JSON object a line:
 * {"listening": port}, {"connection": n}. It exits when its stdin closes (the parent went away).
 */
import { WebSocketServer } from 'ws'

const host = process.argv[2]
if (!host) throw new Error('usage: netns-server.mjs <host>')
const say = (object) => process.stdout.write(`${JSON.stringify({ t: Date.now(), ...object })}\n`)

let connections = 0
const wss = new WebSocketServer({ host, port: 0 }, () => say({ listening: wss.address().port }))
wss.on('connection', (ws) => {
  say({ connection: ++connections })
  ws.on('error', () => {})
  ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }))
})

process.stdin.resume()
process.stdin.on('end', () => process.exit(0))
process.on('SIGTERM', () => process.exit(0))
