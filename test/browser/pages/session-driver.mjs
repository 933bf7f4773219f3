// What session.html (a page) and session-worker.mjs (a module worker) both run: one socket with
// `session: session()` and default options otherwise, driven by commands, every event reported.
// Each passes its own build's createSocket (dist/browser.mjs or dist/worker.mjs) and its own report.
export function sessionDriver(createSocket, session, report) {
  let socket
  return (cmd) => {
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
}
