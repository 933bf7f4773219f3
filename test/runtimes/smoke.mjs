// A smoke run of lifeline-ws in one real runtime (Node, Bun or Deno), driven by runtimes.test.ts.
//
// The test copies this file into a temporary consumer project whose node_modules/lifeline-ws links
// to the repository, so `import 'lifeline-ws'` resolves the way that runtime resolves it through
// package.json "exports" (Node and Bun: the "node" condition, dist/index.mjs with `ws`; Deno: the
// "deno" condition, dist/worker.mjs with Deno's own WebSocket).
//
//   <runtime> smoke.mjs <ws-url> [default|global]
//
// "global" passes the runtime's own `globalThis.WebSocket` as the WebSocket option (Node 22+): it
// cannot send ping frames, so the heartbeat must fall back to the 'ping' message.
//
// Steps (each bounded): connect, echo, one heartbeat round trip, print READY (the test then kills
// the server's TCP connections without a close frame), queue three messages while the link is
// down, reconnect, echo again, close. Every line the test reads starts with "SMOKE " and carries
// JSON. The process must then exit 0 on its own: a timer or socket left behind keeps it alive and
// the test's deadline catches that.
import { createSocket } from 'lifeline-ws'

const deno = globalThis.Deno
const bun = globalThis.Bun
const args = deno ? deno.args : process.argv.slice(2)
const [url, which = 'default'] = args
/** @type {import('lifeline-ws').LifelineSocket | undefined} */
let socket
const states = []
const messages = []
const errors = []

function report(step, detail = {}) {
  console.log(`SMOKE ${JSON.stringify({ step, ...detail })}`)
}

function exit(code) {
  if (deno) deno.exit(code)
  else process.exit(code)
}

function fail(why) {
  report('fail', { why, state: socket?.state, states })
  exit(1)
}

/** A timer that does not keep the process alive (Node/Bun: unref; Deno: Deno.unrefTimer). */
function unrefTimeout(callback, ms) {
  const handle = setTimeout(callback, ms)
  if (typeof handle === 'object' && handle !== null && typeof handle.unref === 'function') handle.unref()
  else if (deno && typeof deno.unrefTimer === 'function') deno.unrefTimer(handle)
  return handle
}

/**
 * Resolve when `predicate()` holds, checked after every event of the socket and every 10 ms (a
 * heartbeat answer raises no event); fail after `ms`.
 */
function until(what, predicate, ms) {
  if (predicate()) return Promise.resolve()
  return new Promise((resolve) => {
    const offs = []
    const timer = unrefTimeout(() => fail(`timed out after ${ms} ms waiting for ${what}`), ms)
    const poll = setInterval(() => check(), 10)
    const check = () => {
      if (!predicate()) return
      clearTimeout(timer)
      clearInterval(poll)
      for (const off of offs) off()
      resolve()
    }
    for (const name of ['state', 'message', 'open']) offs.push(socket.on(name, check))
  })
}

if (!url) {
  console.error('usage: smoke.mjs <ws-url> [default|global]')
  exit(2)
}

const runtime = deno ? 'deno' : bun ? 'bun' : 'node'
const version = deno ? deno.version.deno : bun ? bun.version : process.versions.node

let WebSocketOption
if (which === 'global') {
  WebSocketOption = globalThis.WebSocket
  if (typeof WebSocketOption !== 'function') {
    report('fail', { why: `this runtime (${runtime} ${version}) has no global WebSocket` })
    exit(1)
  }
}

// The whole run must finish well within this; a hang prints where it stood.
unrefTimeout(() => fail('still running after 20 s'), 20_000)

socket = createSocket({
  url,
  ...(WebSocketOption ? { WebSocket: WebSocketOption } : {}),
  connectTimeout: 3_000,
  backoff: { initialDelay: 50, maxDelay: 200 },
  // mode 'auto': protocol ping frames where the WebSocket has them, else the 'ping' message
  heartbeat: { interval: 200, timeout: 2_000, message: 'ping' },
})
socket.on('state', (next) => states.push(next))
socket.on('message', (data) => messages.push(typeof data === 'string' ? data : `<binary ${data?.byteLength ?? data?.size}>`))
socket.on('error', (error) => errors.push(error.code))

/** Which file of dist/ this runtime resolved 'lifeline-ws' to. */
function resolvedBuild() {
  try {
    const resolved = import.meta.resolve('lifeline-ws')
    return resolved.slice(resolved.lastIndexOf('/') + 1)
  } catch (error) {
    return `unknown (${error?.message ?? error})`
  }
}

report('runtime', { runtime, version, websocket: which, build: resolvedBuild() })

await until("'open'", () => socket.state === 'open', 5_000)
socket.send('echo-1')
await until("the echo of 'echo-1'", () => messages.includes('echo-1'), 3_000)
// an idle link is pinged after 200 ms; rtt is set once a ping was answered (frame or message)
await until('a heartbeat round trip (socket.rtt)', () => socket.rtt !== undefined, 3_000)
const rtt = socket.rtt

// While the link is down, queue three messages: sent from the first 'state' that is not 'open',
// so they cannot race the reconnect.
let queuedAt
const offDown = socket.on('state', (next, prev) => {
  if (prev !== 'open' || next === 'open') return
  offDown()
  for (const n of [1, 2, 3]) {
    if (!socket.send(`queued-${n}`)) fail(`send('queued-${n}') was refused in state ${socket.state}`)
  }
  queuedAt = socket.queued
})

const opensBefore = states.filter((s) => s === 'open').length
report('ready', { rtt })
await until('the socket to notice the dropped link', () => queuedAt !== undefined, 5_000)
await until("'open' again after the drop", () => states.filter((s) => s === 'open').length > opensBefore, 5_000)
if (socket.queued !== 0) fail(`${socket.queued} message(s) still queued after the reconnect`)
socket.send('echo-2')
await until("the echo of 'echo-2'", () => messages.includes('echo-2'), 3_000)

socket.close()
if (socket.state !== 'closed') fail(`close() left the socket in ${socket.state}`)
report('done', { states, messages, errors, rtt, queuedWhileDown: queuedAt })
// no exit() here: the runtime must exit by itself, with nothing left running
