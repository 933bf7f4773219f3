// Chaos soak: the WebSocket server, run as its own child process so that the soak can SIGKILL it.
//
// env: SOAK_PORT (0 for any free port; a restart passes the first one), SOAK_LOG (a file this
// incarnation appends to), SOAK_INCARNATION (a number naming this process in the log).
//
// Every message is written to SOAK_LOG with writeSync before anything else happens to it, one line
// `<connection> <seq>`; that line is the proof that the server read the message. Nothing is
// buffered in this process, so a SIGKILL loses only what the server had not read yet (which is
// exactly what "written to a socket that died before the server read it" means). Connection
// opens and closes are logged too (`<connection> open` / `<connection> close <code>`).
//
// IPC to the parent: { type: 'listening', port } once listening. The process exits when the IPC
// channel goes away, so it can never outlive the soak.
import { closeSync, openSync, writeSync } from 'node:fs'
import { createServer } from 'node:http'
import { WebSocketServer } from 'ws'

const port = Number(process.env.SOAK_PORT ?? 0)
const logPath = process.env.SOAK_LOG
const incarnation = process.env.SOAK_INCARNATION ?? '0'
if (!logPath) throw new Error('server.mjs: SOAK_LOG is required')

const fd = openSync(logPath, 'a')
const log = (line) => writeSync(fd, `${line}\n`)

const http = createServer((_req, res) => res.writeHead(426).end('upgrade required'))
const wss = new WebSocketServer({ server: http })
let connections = 0
wss.on('connection', (ws) => {
  const id = `${incarnation}.${++connections}`
  log(`${id} open`)
  ws.on('error', () => {}) // a peer that vanishes mid-frame is part of the plan
  ws.on('message', (data) => {
    const text = String(data)
    const space = text.indexOf(' ')
    log(`${id} ${space > 0 ? text.slice(0, space) : text}`)
  })
  ws.on('close', (code) => log(`${id} close ${code}`))
})
http.on('error', (error) => {
  console.error(`[soak server] ${error.message}`)
  process.exit(3)
})
http.listen(port, '127.0.0.1', () => {
  process.send?.({ type: 'listening', port: http.address().port })
})

const quit = () => {
  try {
    closeSync(fd)
  } finally {
    process.exit(0)
  }
}
process.on('disconnect', quit)
process.on('SIGTERM', quit)
