/**
 * Child process for the netns test: a `ws` echo server on the address given in argv[2] (port 0),
 * run inside a network namespace with `ip netns exec`. It reports on stdout, one JSON object a line:
 * {"listening": port}, {"connection": n}, {"got": message, "on": n} for every message received on
 * connection n, and {"closed": n}. A line "ping" on stdin pings every open connection. It exits
 * when its stdin closes (the parent went away).
 */
import { createInterface } from 'node:readline'
import { WebSocketServer } from 'ws'

const host = process.argv[2]
if (!host) throw new Error('usage: netns-server.mjs <host>')
const say = (object) => process.stdout.write(`${JSON.stringify({ t: Date.now(), ...object })}\n`)

let connections = 0
const wss = new WebSocketServer({ host, port: 0 }, () => say({ listening: wss.address().port }))
wss.on('connection', (ws) => {
  const n = ++connections
  say({ connection: n })
  ws.on('error', () => {})
  ws.on('close', () => say({ closed: n }))
  ws.on('message', (data, isBinary) => {
    say({ got: String(data), on: n })
    ws.send(data, { binary: isBinary })
  })
})

createInterface({ input: process.stdin }).on('line', (line) => {
  if (line === 'ping') for (const ws of wss.clients) ws.ping()
})
process.stdin.on('end', () => process.exit(0))
process.on('SIGTERM', () => process.exit(0))
