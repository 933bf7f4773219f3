// The in-browser side of test/browser/chromium.test.ts, shared by the pages and the workers. A
// plain script that only assigns globalThis.createHarness, so it loads as a classic <script>, via
// importScripts() in a classic worker, and via import in a module worker alike.
//
// createHarness(api, emit) takes the lifeline-ws exports (`Lifeline` from the UMD file, or the ESM
// module) and a function that reports to the test; it returns { command(cmd) }. Every event of the
// socket is reported as a plain object, so the test in Node sees the socket's life as it happens.
globalThis.createHarness = function createHarness(api, emit) {
  let socket
  const names = ['state', 'open', 'message', 'close', 'error', 'reconnecting', 'drop', 'giveup']

  function describe(name, args) {
    const [a, b, c] = args
    switch (name) {
      case 'state':
        return { next: a, prev: b, reason: c }
      case 'open':
        return { protocol: a.protocol }
      case 'message':
        return { data: typeof a === 'string' ? a : `<${Object.prototype.toString.call(a)}>` }
      case 'close':
        return { code: a.code, reason: a.reason, wasClean: a.wasClean }
      case 'error':
        return { code: a.code, message: a.message }
      case 'reconnecting':
        return { attempt: a.attempt, delay: a.delay }
      case 'drop':
        return { data: typeof a.data === 'string' ? a.data : '<binary>', reason: a.reason }
      case 'giveup':
        return { reason: a.reason, attempt: a.attempt }
    }
    return {}
  }

  function run(cmd) {
    switch (cmd.op) {
      case 'create': {
        if (socket) throw new Error('create: a socket exists already')
        // lazy, so that every listener is attached before the first event, then connect
        socket = api.createSocket({ ...cmd.options, lazy: true })
        for (const name of names) {
          socket.on(name, (...args) => emit({ kind: name, state: socket.state, ...describe(name, args) }))
        }
        socket.connect()
        return
      }
      case 'send':
        for (const data of cmd.data) emit({ kind: 'sent', data, ok: socket.send(data), state: socket.state })
        return
      // Queue messages the moment the socket leaves 'open' (from inside the 'state' listener, so the
      // reconnect cannot overtake them): the drop itself is caused by the test.
      case 'send-when-down': {
        const off = socket.on('state', (next, prev) => {
          if (prev !== 'open' || next === 'open') return
          off()
          const ok = cmd.data.map((data) => socket.send(data))
          emit({ kind: 'queued', data: cmd.data, ok, queued: socket.queued, state: socket.state })
        })
        return
      }
      case 'close':
        socket.close()
        emit({ kind: 'closed-by-user', state: socket.state })
        return
      default:
        throw new Error(`unknown command ${JSON.stringify(cmd)}`)
    }
  }

  return {
    command(cmd) {
      try {
        run(cmd)
      } catch (error) {
        emit({ kind: 'fatal', message: `${cmd.op}: ${error && error.stack ? error.stack : error}` })
      }
    },
  }
}
