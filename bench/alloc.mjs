// Does the hot path allocate? Sends 1,000,000 messages through an open lifeline socket, and delivers
// 1,000,000 inbound messages to a listener, without and then with lifeline-ws/monitor attached,
// against a stub WebSocket port that does no work and
// allocates nothing itself (it reuses one event object). With a young generation of 1 MB, 16 bytes
// per message would force about 15 young-generation collections per million; an allocation-free
// path causes none (a compile or two may still show up as 1). Counted with a PerformanceObserver.
//   npm run bench:alloc      (node --max-semi-space-size=1 bench/alloc.mjs)
//
// The receive path reads the clock once per message (the heartbeat and the idle watchdog need the
// time of the last inbound data), and V8 returns Date.now() as a freshly boxed number: 16 bytes of
// young garbage per message, the one allocation left there. Reading it less often would make the
// idle watchdog guess when the last message came, which is how false IDLE_TIMEOUTs happen.
import { PerformanceObserver } from 'node:perf_hooks'
import { createSocket } from 'lifeline-ws/core'
import { monitor } from 'lifeline-ws/monitor'
import { opened } from 'lifeline-ws/promises'

const N = 1_000_000
const EVENT = { data: 'x'.repeat(64), target: undefined }

class StubWebSocket {
  readyState = 0
  binaryType = 'arraybuffer'
  protocol = ''
  extensions = ''
  bufferedAmount = 0
  onopen = null
  onmessage = null
  onclose = null
  onerror = null
  constructor() {
    EVENT.target = this
    setTimeout(() => {
      this.readyState = 1
      this.onopen?.({ target: this })
    }, 0)
  }
  send() {}
  close() {}
  /** What a runtime does per inbound message: call the handler with this = the socket. */
  deliver() {
    this.onmessage.call(this, EVENT)
  }
}

let stub
const Port = class extends StubWebSocket {
  constructor(...args) {
    super(...args)
    stub = this
  }
}
const socket = createSocket({
  url: 'ws://stub.invalid/',
  WebSocket: Port,
  timer: { setTimeout, clearTimeout, now: Date.now },
  random: Math.random,
  heartbeat: false,
})
let received = 0
socket.on('message', () => received++)
await opened(socket)

let minor = 0
const observer = new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) if (entry.detail?.kind === 1 /* NODE_PERFORMANCE_GC_MINOR */) minor++
})
observer.observe({ entryTypes: ['gc'] })
const settle = () => new Promise((resolve) => setTimeout(resolve, 50))

async function count(label, body) {
  body(10_000) // warm up: let the JIT compile the path before counting
  await settle()
  minor = 0
  body(N)
  await settle() // the observer reports asynchronously
  console.log(`| ${label} | ${N.toLocaleString('en-US')} | ${minor} |`)
}

const message = 'x'.repeat(64)
console.log('| path | messages | young-generation collections |')
console.log('| --- | ---: | ---: |')
await count('send() to an open socket, 64 B text', (n) => {
  for (let i = 0; i < n; i++) socket.send(message)
})
await count("an inbound message to one 'message' listener", (n) => {
  for (let i = 0; i < n; i++) stub.deliver()
})
// lifeline-ws/monitor counts both paths through the driver's observer: still nothing allocated
monitor(socket)
await count('send() to an open socket, 64 B text, monitor(socket) attached', (n) => {
  for (let i = 0; i < n; i++) socket.send(message)
})
await count("an inbound message to one 'message' listener, monitor(socket) attached", (n) => {
  for (let i = 0; i < n; i++) stub.deliver()
})
// Issue 14: with a heartbeat, each written message is held until a ping confirms it: one small
// record per message (data, size, settle, time) until the pong. The stub answers the confirmation
// ping at once; the loop yields every 1,000 messages so the ping timer can fire. The queue's limits
// (1,000 messages by default, which unconfirmed ones count against) are raised: a batch written
// while the previous one's ping is still unanswered must not overflow, or this measures the drop
// path (half the messages dropped, 'drop' events allocated) instead of the write path.
class PingingWebSocket extends StubWebSocket {
  ping(data) {
    setTimeout(() => this.onpong?.call(this, data), 0)
  }
}
// ping frames count only where the class has `onpong` to hear the answers (options/validate.ts)
PingingWebSocket.prototype.onpong = null
const confirming = createSocket({
  url: 'ws://stub.invalid/',
  WebSocket: PingingWebSocket,
  timer: { setTimeout, clearTimeout, now: Date.now },
  random: Math.random,
  heartbeat: { mode: 'protocol' },
  confirmDelay: 0,
  queue: { maxMessages: 10_000 },
})
let dropped = 0
confirming.on('drop', () => dropped++)
await opened(confirming)
{
  const body = async (n) => {
    for (let i = 0; i < n; i += 1_000) {
      for (let j = 0; j < 1_000; j++) confirming.send(message)
      await new Promise((resolve) => setTimeout(resolve, 0))
    }
  }
  await body(10_000)
  await settle()
  minor = 0
  await body(N)
  await settle()
  const stats = monitor(confirming).stats()
  console.log(`| send() to an open socket, 64 B text, confirmation on (heartbeat, 1,000 per ping) | ${N.toLocaleString('en-US')} | ${minor} |${stats.held.messages === 0 ? '' : ' (not all confirmed!)'}${dropped === 0 ? '' : ` (${dropped.toLocaleString('en-US')} dropped!)`}`)
}
confirming.close()
console.log(`\nNode ${process.version}, young generation ${process.execArgv.join(' ') || '(default size)'}; ${received.toLocaleString('en-US')} messages received in all.`)
console.log('An allocation of 16 B per message would show as about 15 collections per million; the receive')
console.log("path's is the boxed number Date.now() returns (see the top of this file).")
observer.disconnect()
socket.close()
