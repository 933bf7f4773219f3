// The worker side of session-worker.html: the same socket as session.html, in a module worker
// (dist/worker.mjs + dist/session.mjs); commands come by postMessage, reports go back the same way.
import { createSocket } from '/dist/worker.mjs'
import { session } from '/dist/session.mjs'

const report = (event) => postMessage(event)
let socket
onmessage = ({ data: cmd }) => {
  try {
    if (cmd.op === 'create') {
      socket = createSocket({ url: cmd.url, session: session(), lazy: true })
      socket.on('open', (info) => report({ kind: 'open', ...info }))
      socket.on('message', (data) => report({ kind: 'message', data }))
      socket.on('error', (error) => report({ kind: 'error', message: error.message }))
      socket.on('drop', ({ data, reason }) => report({ kind: 'drop', data: String(data), reason }))
      socket.on('state', (next) => report({ kind: 'state', next }))
      socket.connect()
    } else if (cmd.op === 'send') {
      for (const data of cmd.data) socket.send(data)
    } else if (cmd.op === 'close') {
      socket.close()
    }
  } catch (error) {
    report({ kind: 'fatal', message: String(error && error.stack ? error.stack : error) })
  }
}
report({ kind: 'loaded' })
