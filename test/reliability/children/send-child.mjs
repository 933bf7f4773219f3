// Child process for test/reliability/hardening-send.test.ts, run as
// `node --expose-gc --max-old-space-size=256 send-child.mjs <core bundle> <mode>` against a bundle of
// src/index.core.ts the test builds with esbuild (so that it tests the source, not dist/). It prints
// one JSON line `RESULT {...}` on stdout. The socket never opens (its WebSocket stays connecting), so
// every send() goes to the queue. Modes:
//
//   memory   68 × 8 MiB views sent with maxMessages 4 and 'drop-oldest': ArrayBuffer memory after GC
//   forged   send() of an object whose Symbol.toStringTag says 'Blob', with 'drop-oldest': what it
//            throws (the memory limit ends a process whose eviction loop never stops)
import { pathToFileURL } from 'node:url'

const [bundle, mode] = process.argv.slice(2)
const { createSocket } = await import(pathToFileURL(bundle).href)
if (typeof globalThis.gc !== 'function') throw new Error('run with --expose-gc')

const MiB = 1 << 20
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

/** A WebSocket that stays connecting for ever. */
class NeverOpens {
  readyState = 0
  binaryType = 'arraybuffer'
  protocol = ''
  extensions = ''
  onopen = null
  onclose = null
  onerror = null
  onmessage = null
  send() {
    throw new Error('not open')
  }
  close() {}
}

function offlineSocket(queue) {
  return createSocket({
    url: 'ws://127.0.0.1:9/',
    WebSocket: NeverOpens,
    timer: { setTimeout, clearTimeout, now: Date.now },
    random: Math.random,
    heartbeat: false,
    lazy: true,
    queue,
  })
}

function result(value) {
  process.stdout.write(`RESULT ${JSON.stringify(value)}\n`)
  // the socket's connect timer would keep the process alive: the figures are taken
  process.exit(0)
}

if (mode === 'memory') {
  const socket = offlineSocket({ maxMessages: 4, maxBytes: 64 * MiB, overflow: 'drop-oldest' })
  let drops = 0
  socket.on('drop', ({ reason }) => reason === 'overflow' && drops++)
  for (let i = 0; i < 68; i++) socket.send(new Uint8Array(8 * MiB))
  // several rounds: array buffers are swept after the collection that found them dead
  for (let i = 0; i < 4; i++) {
    globalThis.gc()
    await sleep(10)
  }
  result({ queued: socket.queued, queuedBytes: socket.bufferedAmount, drops, arrayBuffers: process.memoryUsage().arrayBuffers })
} else if (mode === 'forged') {
  const socket = offlineSocket({ maxMessages: 4, overflow: 'drop-oldest' })
  try {
    socket.send({ [Symbol.toStringTag]: 'Blob' })
    result({ threw: null, queued: socket.queued })
  } catch (error) {
    result({ threw: `${error.name}: ${error.message}`, queued: socket.queued })
  }
} else throw new Error(`unknown mode ${mode}`)
