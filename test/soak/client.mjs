// Chaos soak: the client, run as its own child process against the BUILT package ('lifeline-ws'
// resolves to dist/index.mjs through the package's self-reference; run `npm run build` first).
//
// env SOAK_CLIENT: JSON { url, rate, seed, heartbeat, connectTimeout, backoff, queue }.
//
// It sends numbered text messages (`<seq> <padding>`) at a steady rate from the moment it starts,
// whatever the state of the link, each with sendAsync(), and records every message's fate:
// written to an open socket (and on which connection: the number of 'open' events so far), or
// dropped (with the reason). It reports every state change to the parent as it happens, and on
// { type: 'finish' } stops sending, lets the queue drain (bounded), closes, and reports everything.
import { createSocket } from 'lifeline-ws'
import { monitor } from 'lifeline-ws/monitor'
import { sendAsync } from 'lifeline-ws/promises'
import { mulberry32 } from './prng.mjs'

const config = JSON.parse(process.env.SOAK_CLIENT ?? '{}')
const send = (message) => process.connected && process.send(message)
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

const PENDING = 0
const WRITTEN = 1
const DROPPED = 2
/** Per seq: PENDING, WRITTEN or DROPPED. */
const fate = []
/** Per seq: the connection (1-based count of 'open' events) it was written on, when written. */
const writtenOn = []
/** Per seq: the reason it was dropped, when dropped. */
const dropReason = []
/** Every 'drop' event, as [seq, reason]. */
const dropEvents = []
/** The 'close' of each connection: { connection, code, reason, wasClean, t }. */
const closes = []
const errors = {}
const errorSamples = []
let opens = 0
let seq = 0

const socket = createSocket({
  url: config.url,
  heartbeat: config.heartbeat,
  connectTimeout: config.connectTimeout,
  backoff: config.backoff,
  queue: config.queue,
  random: mulberry32((config.seed ^ 0x9e3779b9) >>> 0),
  lazy: true,
})
const watch = monitor(socket)

const seqOf = (data) => Number(String(data).slice(0, String(data).indexOf(' ')))

socket.on('state', (next, prev, reason) => send({ type: 'state', next, prev, reason, t: Date.now() }))
socket.on('open', () => {
  opens++
})
socket.on('close', ({ code, reason, wasClean }) => closes.push({ connection: opens, code, reason, wasClean, t: Date.now() }))
socket.on('error', (error) => {
  errors[error.code] = (errors[error.code] ?? 0) + 1
  if (errorSamples.length < 20) errorSamples.push(`${error.code}: ${error.message}`)
})
socket.on('drop', ({ data, reason }) => dropEvents.push([seqOf(data), reason]))
socket.on('giveup', (info) => send({ type: 'giveup', info, t: Date.now() }))

const padding = 'x'.repeat(56)
function sendOne() {
  const n = seq++
  fate[n] = PENDING
  sendAsync(socket, `${n} ${padding}`).then(
    () => {
      fate[n] = WRITTEN
      // the promise settles in a microtask after the write: by then an 'open' that flushed the
      // queue has been counted (effects come before events, and both before microtasks)
      writtenOn[n] = opens
    },
    (error) => {
      fate[n] = DROPPED
      dropReason[n] = error?.reason ?? `not a DROPPED error: ${error?.code} ${error?.message}`
    },
  )
}

socket.connect()
const sender = setInterval(sendOne, Math.max(1, Math.round(1000 / config.rate)))

async function finish({ drainMs }) {
  clearInterval(sender)
  const deadline = Date.now() + drainMs
  while ((socket.queued > 0 || socket.state !== 'open') && Date.now() < deadline) await sleep(20)
  const drained = socket.queued === 0 && socket.state === 'open'
  const wasOpen = socket.state === 'open'
  const finalClose = wasOpen
    ? new Promise((resolve) => {
        const timer = setTimeout(() => resolve(null), 3_000)
        const off = socket.on('close', (close) => {
          clearTimeout(timer)
          off()
          resolve(close)
        })
      })
    : Promise.resolve(null)
  socket.close(1000, 'soak over')
  const last = await finalClose
  // let every sendAsync promise settle
  await sleep(0)
  await sleep(0)
  const report = {
    type: 'report',
    sent: seq,
    fate,
    writtenOn,
    dropReason,
    dropEvents,
    closes,
    opens,
    errors,
    errorSamples,
    drained,
    finalClose: last,
    finalConnection: wasOpen ? opens : null,
    stats: watch.stats(),
    history: watch.history(),
  }
  if (!process.connected) process.exit(0)
  process.send(report, () => process.exit(0))
}

process.on('message', (message) => {
  if (message?.type === 'finish') void finish(message)
})
process.on('disconnect', () => process.exit(0))
process.on('unhandledRejection', (error) => {
  console.error('[soak client] unhandled rejection', error)
  process.exit(2)
})
