// npm run demo — a lifeline-ws client living through a bad network, in about 25 seconds.
//
// A local `ws` server sits behind a TCP fault proxy. The client sends a numbered message every
// 100 ms throughout. On a schedule the demo kills the server's TCP connections without a close
// frame, stops the server for a few seconds, and makes the link go silent (half-open: both TCP
// sockets stay up, nothing gets through), which only a heartbeat can notice. It prints one line per
// state change and ends with an account of every message.
import { createServer } from 'node:http'
import { WebSocketServer } from 'ws'
import { createSocket } from 'lifeline-ws'
import { createFaultProxy } from '../test/support/fault-proxy.mjs'

const started = Date.now()
const stamp = () => `[${((Date.now() - started) / 1000).toFixed(3).padStart(7)}s]`
const say = (text) => console.log(`${stamp()} ${text}`)

// ── the server: counts what it receives ────────────────────────────────────────────────────────
const delivered = new Set()
let duplicates = 0
let server
let serverPort = 0
async function startServer() {
  const http = createServer()
  const wss = new WebSocketServer({ server: http })
  wss.on('connection', (ws) => {
    ws.on('message', (data) => {
      const n = Number(String(data).slice(4))
      if (delivered.has(n)) duplicates++
      delivered.add(n)
    })
  })
  await new Promise((resolve) => http.listen(serverPort, '127.0.0.1', resolve))
  serverPort = http.address().port
  server = { http, wss }
}
async function stopServer() {
  for (const ws of server.wss.clients) ws._socket?.destroy()
  server.wss.close()
  await new Promise((resolve) => server.http.close(resolve))
}
function killConnections() {
  for (const ws of server.wss.clients) ws._socket?.destroy() // no close frame: the network "just broke"
}

await startServer()
const proxy = createFaultProxy({ target: { host: '127.0.0.1', port: serverPort } })
const proxyPort = await proxy.start()

// ── the client ─────────────────────────────────────────────────────────────────────────────────
const socket = createSocket({
  url: `ws://127.0.0.1:${proxyPort}/demo?token=secret-demo-token`,
  heartbeat: { interval: 1_000, timeout: 1_000 },
  backoff: { initialDelay: 300, maxDelay: 2_000 },
  connectTimeout: 2_000, // an attempt started while the link is silent must not hang for the default 10 s
  queue: { maxMessages: 200 },
})

const drops = {}
const disconnects = []
let downSince = 0
let silentAt = 0
let detection
socket.on('state', (next, prev, reason) => {
  say(`${prev.padEnd(10)} → ${next.padEnd(10)} ${reason}`)
  if (prev === 'open') downSince = Date.now()
  if (next === 'open' && downSince) {
    disconnects.push(Date.now() - downSince)
    downSince = 0
  }
  if (silentAt && prev === 'open' && detection === undefined) detection = Date.now() - silentAt
})
socket.on('error', (error) => say(`  error ${error.code}: ${error.message}`))
socket.on('close', ({ code, reason, wasClean }) => say(`  close ${code} ${JSON.stringify(reason)} wasClean=${wasClean}`))
socket.on('reconnecting', ({ attempt, delay }) => say(`  retry #${attempt} in ${Math.round(delay)} ms`))
const reported = new Set()
socket.on('drop', ({ data, reason }) => {
  drops[reason] = (drops[reason] ?? 0) + 1
  reported.add(Number(String(data).slice(4)))
})

let sent = 0
const sender = setInterval(() => socket.send(`msg ${sent++}`), 100)

// ── the schedule ───────────────────────────────────────────────────────────────────────────────
const at = (seconds, what) => new Promise((resolve) => setTimeout(() => resolve(what()), seconds * 1000 - (Date.now() - started)))
await at(3, () => {
  say('FAULT: the server drops every TCP connection (no close frame)')
  killConnections()
})
await at(7, async () => {
  say('FAULT: the server stops for 3 s')
  await stopServer()
})
await at(10, async () => {
  await startServer()
  say('the server is back')
})
await at(14, () => {
  say('FAULT: the link goes silent (half-open: TCP stays up, nothing gets through)')
  silentAt = Date.now()
  proxy.silence()
})
await at(18, () => {
  say('the link heals')
  proxy.heal()
})
await at(22, () => {
  clearInterval(sender)
  say(`stopped sending after ${sent} messages; waiting for the queue to drain`)
})
// let the last messages arrive, bounded
const deadline = Date.now() + 3_000
while ((socket.queued > 0 || socket.state !== 'open') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50))
await new Promise((r) => setTimeout(r, 300))
const closed = new Promise((resolve) => {
  socket.on('close', resolve)
  setTimeout(resolve, 2_000) // bounded: a close handshake on a dead link is abandoned anyway
})
socket.close()
await closed

// ── the account ────────────────────────────────────────────────────────────────────────────────
const dropped = Object.values(drops).reduce((a, b) => a + b, 0)
// every message the server did not read must have been reported: that is the promise
let lostSilently = 0
let reportedButRead = 0
for (let n = 0; n < sent; n++) {
  if (!delivered.has(n) && !reported.has(n)) lostSilently++
  if (delivered.has(n) && reported.has(n)) reportedButRead++
}
console.log('\nSummary')
console.log(`  sent                     ${sent}`)
console.log(`  delivered                ${delivered.size}`)
console.log(`  dropped (reported)       ${dropped}${dropped ? ` ${JSON.stringify(drops)}` : ''}`)
console.log(`  reported, yet read       ${reportedButRead}  ('unconfirmed': written to a link that died before a ping confirmed them; the server may have read them)`)
console.log(`  lost silently            ${lostSilently}  (neither read by the server nor reported)`)
console.log(`  duplicates               ${duplicates}`)
console.log(`  disconnects              ${disconnects.length}: ${disconnects.map((ms) => `${(ms / 1000).toFixed(2)} s`).join(', ')}`)
console.log(`  silent link noticed in   ${detection === undefined ? 'never' : `${detection} ms`} (bound: interval + timeout = 2000 ms after the last data)`)

await proxy.close()
await stopServer()
process.exit(duplicates === 0 && lostSilently === 0 && detection !== undefined ? 0 : 1)
