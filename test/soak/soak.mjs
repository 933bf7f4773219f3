// Chaos soak for lifeline-ws:  npm run soak -- --seconds N [--seed S] [--rate R] [--keep-logs]
//
// Three processes, all on 127.0.0.1:
//   server.mjs  a real `ws` server that logs every message it reads (connection, seq) to a file
//   this one    the fault proxy (test/support/fault-proxy.mjs) in front of the server, and the
//               seeded fault schedule
//   client.mjs  a lifeline-ws client from the BUILT package, sending numbered messages at a steady
//               rate with sendAsync(), through every outage
//
// Faults, drawn from a PRNG seeded with --seed (printed; the same seed replays the same schedule):
//   kill     SIGKILL the server process, restart it on the same port after a while
//   silence  the proxy forwards nothing and tells nobody (half-open), until the client has noticed
//   reset    the proxy resets every connection (RST both ways)
//   refuse   the proxy resets current and new connections for a while
//   slow     added latency and a rate limit for a while
//
// At the end every message sent is accounted for: (a) confirmed (sendAsync resolved: an answered
// ping behind it) and read by the server, or (b) reported dropped (sendAsync rejection and 'drop'
// event). 'unconfirmed' drops (written to a connection that died before a ping confirmed them) may
// or may not have been read: counted apart. Violations: (c) a message confirmed but never read (a
// silent loss), a message read and dropped for any other reason, duplicates, nothing out of order within a server connection, every sendAsync
// settled, every drop reported by both the promise and a 'drop' event, the client open again
// after every fault, and half-open links noticed within the heartbeat bound.
//
// Exit code 0 when every check holds; 1 with the seed printed otherwise. Every child process is
// killed on the way out, whatever happens.
import { fork } from 'node:child_process'
import { randomInt } from 'node:crypto'
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { createFaultProxy } from '../support/fault-proxy.mjs'
import { helpers, mulberry32 } from './prng.mjs'

const HERE = fileURLToPath(new URL('.', import.meta.url))

const { values: argv } = parseArgs({
  options: {
    seconds: { type: 'string', default: '30' },
    seed: { type: 'string' },
    rate: { type: 'string', default: '100' },
    'keep-logs': { type: 'boolean', default: false },
  },
  strict: true,
})
const SECONDS = Number(argv.seconds)
const SEED = argv.seed === undefined ? randomInt(0, 2 ** 31) : Number(argv.seed)
const RATE = Number(argv.rate)
if (!(SECONDS > 0) || !Number.isInteger(SEED) || SEED < 0 || !(RATE > 0 && RATE <= 1000)) {
  console.error('usage: soak.mjs --seconds N [--seed S (a whole number)] [--rate messages/s, <= 1000] [--keep-logs]')
  process.exit(2)
}

/** The client's settings: small heartbeat and connect timeout so faults are noticed quickly. */
const CLIENT = {
  heartbeat: { interval: 500, timeout: 500 },
  connectTimeout: 1_000,
  backoff: { initialDelay: 100, maxDelay: 1_000, resetAfter: 1_000 },
  queue: { maxMessages: 100 },
}
/** A half-open link must be noticed within interval + timeout (README); this much slack for a loaded machine. */
const DETECTION_BOUND = CLIENT.heartbeat.interval + CLIENT.heartbeat.timeout
const DETECTION_SLACK = 1_500
/** After a fault ends the client must be open again within this. */
const REOPEN_LIMIT = 8_000

const replay = `npm run soak -- --seconds ${SECONDS} --seed ${SEED}${argv.rate !== '100' ? ` --rate ${RATE}` : ''}`
console.log(`lifeline-ws chaos soak: seed=${SEED} seconds=${SECONDS} rate=${RATE}/s`)
console.log(`replay: ${replay}`)

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))
const dir = mkdtempSync(join(tmpdir(), 'lifeline-soak-'))
const violations = []
const violation = (text) => {
  violations.push(text)
  console.log(`  VIOLATION: ${text}`)
}

// ── child processes: every one is killed on the way out ────────────────────────────────────────
const children = new Set()
function killChildren() {
  for (const child of children) {
    try {
      child.kill('SIGKILL')
    } catch {
      // already gone
    }
  }
}
process.on('exit', killChildren)
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(signal, () => {
    console.log(`\nsoak interrupted by ${signal}; seed=${SEED}`)
    killChildren()
    process.exit(130)
  })
}
process.on('uncaughtException', (error) => {
  console.error(`soak crashed: ${error?.stack ?? error}\nFAIL seed=${SEED} (replay: ${replay}); logs in ${dir}`)
  killChildren()
  process.exit(1)
})
process.on('unhandledRejection', (error) => {
  console.error(`soak crashed (unhandled rejection): ${error?.stack ?? error}\nFAIL seed=${SEED} (replay: ${replay}); logs in ${dir}`)
  killChildren()
  process.exit(1)
})

function spawnChild(script, env) {
  const child = fork(join(HERE, script), [], { env: { ...process.env, ...env }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
  children.add(child)
  child.exited = new Promise((resolve) => {
    child.once('exit', (code, signal) => {
      children.delete(child)
      child.exitInfo = { code, signal }
      resolve(child.exitInfo)
    })
  })
  return child
}

/** The first IPC message matching `filter`, or a rejection after `ms` / when the child exits. */
function nextMessage(child, filter, ms, what) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => finish(new Error(`no ${what} within ${ms} ms`)), ms)
    const onMessage = (message) => filter(message) && finish(undefined, message)
    const onExit = (code, signal) => finish(new Error(`child exited (${code ?? signal}) before ${what}`))
    function finish(error, value) {
      clearTimeout(timer)
      child.off('message', onMessage)
      child.off('exit', onExit)
      if (error) reject(error)
      else resolve(value)
    }
    child.on('message', onMessage)
    child.on('exit', onExit)
  })
}

// ── the server ─────────────────────────────────────────────────────────────────────────────────
let server
let serverPort = 0
let incarnation = 0
async function startServer() {
  for (let tries = 1; ; tries++) {
    incarnation++
    const child = spawnChild('server.mjs', {
      SOAK_PORT: String(serverPort),
      SOAK_LOG: join(dir, `server-${incarnation}.log`),
      SOAK_INCARNATION: String(incarnation),
    })
    try {
      const { port } = await nextMessage(child, (m) => m?.type === 'listening', 5_000, "the server's 'listening'")
      serverPort = port
      server = child
      return
    } catch (error) {
      child.kill('SIGKILL')
      await child.exited
      // the port of a killed server can take a moment to be free again
      if (tries >= 20) throw error
      await sleep(100)
    }
  }
}
async function killServer() {
  const child = server
  server = undefined
  child.kill('SIGKILL')
  await Promise.race([child.exited, sleep(5_000)])
}

// ── start everything ───────────────────────────────────────────────────────────────────────────
await startServer()
const proxy = createFaultProxy({ target: { host: '127.0.0.1', port: serverPort } })
const proxyPort = await proxy.start()

const client = spawnChild('client.mjs', {
  SOAK_CLIENT: JSON.stringify({ url: `ws://127.0.0.1:${proxyPort}/soak`, rate: RATE, seed: SEED, ...CLIENT }),
})
/** Every state change of the client, with the time it happened there. */
const states = []
let clientState = 'idle'
client.on('message', (message) => {
  if (message?.type === 'state') {
    states.push(message)
    clientState = message.next
  } else if (message?.type === 'giveup') {
    violation(`the client gave up: ${JSON.stringify(message.info)}`)
  }
})
client.exited.then(({ code, signal }) => {
  if (code !== 0) violation(`the client process exited with ${code ?? signal}`)
})

async function until(predicate, ms) {
  const deadline = Date.now() + ms
  while (!predicate()) {
    if (Date.now() >= deadline) return false
    await sleep(10)
  }
  return true
}
const leftOpenSince = (t) => states.find((s) => s.prev === 'open' && s.t >= t)

// ── the fault schedule ─────────────────────────────────────────────────────────────────────────
const random = mulberry32(SEED)
const { between, shuffle } = helpers(random)
const KINDS = ['kill', 'silence', 'reset', 'refuse', 'slow']
let bag = []
/** One step of the schedule; every random draw happens here, in a fixed order, so a seed replays. */
function nextStep() {
  if (bag.length === 0) bag = shuffle(KINDS)
  const kind = bag.pop()
  const up = between(300, 900)
  const params = {
    kill: () => ({ downMs: between(200, 1_200) }),
    silence: () => ({ extraMs: between(0, 400) }),
    reset: () => ({}),
    refuse: () => ({ forMs: between(300, 1_200) }),
    slow: () => ({ latencyMs: between(20, 150), bytesPerSecond: between(20_000, 200_000), forMs: between(500, 1_500) }),
  }[kind]()
  return { kind, up, params }
}

const FAULTS = {
  async kill({ downMs }) {
    await killServer()
    await sleep(downMs)
    await startServer()
  },
  async silence({ extraMs }, record) {
    proxy.silence()
    // heal only once the client has noticed: healing earlier would let the bytes after the gap
    // through on the same TCP stream, which no real network does (TCP retransmits)
    if (record.wasOpen) {
      const noticed = await until(() => leftOpenSince(record.start), 5_000)
      if (!noticed) violation(`silence #${record.n}: the half-open link was not noticed within 5000 ms`)
    } else {
      await sleep(1_000)
    }
    await sleep(extraMs)
    proxy.heal()
  },
  async reset() {
    proxy.reset()
  },
  async refuse({ forMs }) {
    proxy.refuse(true)
    proxy.reset()
    await sleep(forMs)
    proxy.refuse(false)
  },
  async slow({ latencyMs, bytesPerSecond, forMs }) {
    proxy.slow({ latencyMs, bytesPerSecond })
    await sleep(forMs)
    proxy.forward()
  },
}

const started = Date.now()
const deadline = started + SECONDS * 1_000
const faults = []
if (!(await until(() => clientState === 'open', REOPEN_LIMIT))) violation(`the client did not open within ${REOPEN_LIMIT} ms of starting`)
while (Date.now() < deadline) {
  const step = nextStep()
  await sleep(Math.min(step.up, Math.max(0, deadline - Date.now())))
  if (Date.now() >= deadline) break
  const record = { n: faults.length + 1, kind: step.kind, params: step.params, start: Date.now(), wasOpen: clientState === 'open' }
  faults.push(record)
  await FAULTS[step.kind](step.params, record)
  record.end = Date.now()
  await sleep(50) // let the client hear of what just happened before judging its state
  if (!(await until(() => clientState === 'open', REOPEN_LIMIT))) {
    violation(`fault #${record.n} (${record.kind}): the client was not open again within ${REOPEN_LIMIT} ms after it ended (state ${clientState})`)
  }
}

// ── wind down: a healthy link, let the client drain its queue and close ────────────────────────
proxy.forward()
proxy.refuse(false)
if (!server) await startServer()
if (!(await until(() => clientState === 'open', REOPEN_LIMIT))) violation(`the client was not open at the end (state ${clientState})`)
const finishAt = Date.now()
const reportPromise = nextMessage(client, (m) => m?.type === 'report', 20_000, "the client's report")
client.send({ type: 'finish', drainMs: 5_000 })
let report
try {
  report = await reportPromise
} catch (error) {
  violation(`no report from the client: ${error.message}`)
}
// what a proxy pair still holds reaches the server before we read its log (bounded)
await until(() => proxy.connections === 0, 2_000)
await sleep(100)
await proxy.close()
if (server) {
  const child = server
  child.kill('SIGTERM')
  if ((await Promise.race([child.exited, sleep(3_000).then(() => 'timeout')])) === 'timeout') child.kill('SIGKILL')
}
const elapsed = Date.now() - started

// ── the account ────────────────────────────────────────────────────────────────────────────────
/** seq → server connections that logged it; connection → seqs in the order read. */
const readBy = new Map()
const perServerConnection = new Map()
let phantom = 0
for (const file of readdirSync(dir).filter((f) => f.startsWith('server-'))) {
  for (const line of readFileSync(join(dir, file), 'utf8').split('\n')) {
    const [connection, what] = line.split(' ')
    if (!connection || what === 'open' || what === 'close') continue
    const seq = Number(what)
    if (!Number.isInteger(seq) || seq < 0 || (report && seq >= report.sent)) {
      phantom++
      continue
    }
    if (!readBy.has(seq)) readBy.set(seq, [])
    readBy.get(seq).push(connection)
    if (!perServerConnection.has(connection)) perServerConnection.set(connection, [])
    perServerConnection.get(connection).push(seq)
  }
}

const WRITTEN = 1
const DROPPED = 2
const count = { sent: 0, received: 0, dropped: 0, inFlight: 0, both: 0, unconfirmedRead: 0, duplicates: 0, outOfOrder: 0, unsettled: 0, receivedNotWritten: 0 }
const droppedBy = {}
const inFlightBy = new Map() // client connection → lost seqs
const unexplained = []
if (report) {
  count.sent = report.sent
  const written = new Map() // client connection → seqs in write order
  for (let seq = 0; seq < report.sent; seq++) {
    const fate = report.fate[seq]
    const readers = readBy.get(seq) ?? []
    if (readers.length > 1) count.duplicates++
    if (fate === DROPPED) {
      count.dropped++
      const reason = report.dropReason[seq]
      droppedBy[reason] = (droppedBy[reason] ?? 0) + 1
      // 'unconfirmed': the server may have read it before the link died; any other reason: never written
      if (readers.length > 0) reason === 'unconfirmed' ? count.unconfirmedRead++ : count.both++
    } else if (fate === WRITTEN) {
      const connection = report.writtenOn[seq]
      if (!written.has(connection)) written.set(connection, [])
      written.get(connection).push(seq)
      if (readers.length > 0) count.received++
      else {
        count.inFlight++
        if (!inFlightBy.has(connection)) inFlightBy.set(connection, [])
        inFlightBy.get(connection).push(seq)
      }
    } else {
      count.unsettled++
      if (readers.length > 0) count.receivedNotWritten++
    }
  }
  // every drop is reported twice: the promise's rejection and a 'drop' event with the same reason
  const events = new Map(report.dropEvents.map(([seq, reason]) => [seq, reason]))
  if (report.dropEvents.length !== count.dropped) violation(`${report.dropEvents.length} 'drop' events for ${count.dropped} rejected sendAsync() promises`)
  for (const [seq, reason] of events) {
    if (report.fate[seq] !== DROPPED || report.dropReason[seq] !== reason) violation(`'drop' event for message ${seq} (${reason}) but its promise says ${report.fate[seq] === DROPPED ? report.dropReason[seq] : 'not dropped'}`)
  }
  // (c) explained: a tail of a connection that died, never of the final clean one
  const finalCleanConnection = report.finalClose?.wasClean && report.finalClose.code === 1000 ? report.finalConnection : null
  for (const [connection, lost] of inFlightBy) {
    const order = written.get(connection)
    const tail = order.slice(order.length - lost.length)
    const isTail = tail.every((seq, i) => seq === lost[i])
    const close = report.closes.find((c) => c.connection === connection)
    // what can be in flight when a link dies: what was written between its death and the client
    // noticing (at most the heartbeat bound), plus what sat in socket buffers
    const bound = Math.ceil((RATE * (DETECTION_BOUND + DETECTION_SLACK)) / 1000) + 20
    if (lost.length > bound) unexplained.push(`connection ${connection}: ${lost.length} written and never read, more than a link can swallow before the heartbeat notices (${bound})`)
    if (!isTail) unexplained.push(`connection ${connection}: ${lost.length} unread messages are not the tail of the ${order.length} written on it (first unread ${lost[0]}, last written ${order.at(-1)})`)
    if (connection === finalCleanConnection) unexplained.push(`connection ${connection} closed cleanly at the end, yet ${lost.length} messages written on it were never read`)
    if (close && close.wasClean && close.code === 1000 && close.reason === 'soak over') unexplained.push(`connection ${connection} ended with the final clean close, yet lost ${lost.length}`)
  }
  // one client connection maps to one server connection
  for (const [connection, seqs] of written) {
    const servers = new Set(seqs.flatMap((seq) => readBy.get(seq) ?? []))
    if (servers.size > 1) violation(`messages written on client connection ${connection} were read on ${servers.size} server connections`)
  }
}
for (const seqs of perServerConnection.values()) {
  for (let i = 1; i < seqs.length; i++) if (seqs[i] <= seqs[i - 1]) count.outOfOrder++
}

if (report) {
  if (count.received + count.dropped + count.inFlight + count.unsettled !== count.sent) violation('the account does not add up')
  if (count.inFlight) violation(`${count.inFlight} messages were confirmed (sendAsync resolved) but never read by the server`)
  if (count.both) violation(`${count.both} messages were both read by the server and reported dropped for a reason other than 'unconfirmed'`)
  if (count.duplicates) violation(`${count.duplicates} messages were read more than once`)
  if (count.outOfOrder) violation(`${count.outOfOrder} messages arrived out of order within a server connection`)
  if (count.unsettled) violation(`${count.unsettled} sendAsync() promises never settled`)
  if (count.receivedNotWritten) violation(`${count.receivedNotWritten} messages were read by the server but their sendAsync() never resolved`)
  if (phantom) violation(`${phantom} lines in the server log name a message that was never sent`)
  for (const text of unexplained) violation(`unexplained loss: ${text}`)
  if (!report.drained) violation('the queue did not drain at the end although the link was healthy')
  if (!report.finalClose || report.finalClose.code !== 1000 || !report.finalClose.wasClean) violation(`the final close was not clean: ${JSON.stringify(report.finalClose)}`)
  if (count.sent === 0) violation('nothing was sent')
}

// ── timings per fault ──────────────────────────────────────────────────────────────────────────
const rows = []
for (const [i, f] of faults.entries()) {
  // what the client did about this fault: it left 'open' before the next fault began
  const nextStart = faults[i + 1]?.start ?? finishAt
  const left = f.wasOpen ? leftOpenSince(f.start) : undefined
  const leftInTime = left && left.t < nextStart ? left : undefined
  const reopened = leftInTime ? states.find((s) => s.next === 'open' && s.t >= leftInTime.t) : undefined
  f.detectMs = leftInTime ? leftInTime.t - f.start : undefined
  f.reopenMs = reopened ? reopened.t - f.end : undefined
  f.leftReason = leftInTime?.reason
  if (f.kind === 'silence' && f.detectMs !== undefined && f.detectMs > DETECTION_BOUND + DETECTION_SLACK) {
    violation(`silence #${f.n}: noticed after ${f.detectMs} ms (bound interval + timeout = ${DETECTION_BOUND} ms, slack ${DETECTION_SLACK} ms)`)
  }
  const params = Object.entries(f.params)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ')
  rows.push([
    String(f.n),
    ((f.start - started) / 1000).toFixed(2),
    f.kind,
    params || '-',
    `${f.end - f.start}`,
    f.detectMs === undefined ? (f.wasOpen ? 'stayed open' : 'was not open') : `${f.detectMs}`,
    f.leftReason ?? '-',
    f.reopenMs === undefined ? '-' : f.reopenMs < 0 ? `during (${f.reopenMs})` : `${f.reopenMs}`,
  ])
}

function table(header, body) {
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((r) => r[i].length)))
  const line = (r) => `  ${r.map((c, i) => c.padEnd(widths[i])).join('  ')}`.trimEnd()
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...body.map(line)].join('\n')
}

console.log(`\nfaults (${faults.length} in ${(elapsed / 1000).toFixed(1)} s)`)
console.log(table(['#', 'at s', 'fault', 'params', 'lasted ms', 'left open after ms', 'why it left', 'open again ms after end'], rows))
const silences = faults.filter((f) => f.kind === 'silence' && f.detectMs !== undefined).map((f) => f.detectMs)
console.log(`  half-open detection: ${silences.length ? silences.map((ms) => `${ms} ms`).join(', ') : 'none measured'} (bound interval + timeout = ${DETECTION_BOUND} ms)`)
const reopens = faults.filter((f) => f.reopenMs !== undefined).map((f) => Math.max(0, f.reopenMs))
if (reopens.length) console.log(`  open again after a fault ended: max ${Math.max(...reopens)} ms, mean ${Math.round(reopens.reduce((a, b) => a + b, 0) / reopens.length)} ms`)

if (report) {
  const s = report.stats
  const lostWhere = [...inFlightBy].map(([c, lost]) => `#${c}: ${lost.length}`).join(', ')
  console.log('\nmessages')
  console.log(
    table(
      ['', 'count', 'note'],
      [
        ['sent', String(count.sent), `${RATE}/s with sendAsync(), through every outage`],
        ['(a) confirmed and read by the server', String(count.received), ''],
        ['(b) reported dropped', String(count.dropped), Object.entries(droppedBy).map(([r, n]) => `${r} ${n}`).join(', ')],
        ['    of which unconfirmed, yet read', String(count.unconfirmedRead), 'allowed: the link died before a ping confirmed them'],
        ['(c) confirmed, never read', String(count.inFlight), lostWhere ? `must be 0: connection ${lostWhere}` : 'must be 0'],
        ['read and dropped (other reasons)', String(count.both), 'must be 0'],
        ['read twice', String(count.duplicates), 'must be 0'],
        ['out of order in a connection', String(count.outOfOrder), 'must be 0'],
        ['never settled', String(count.unsettled), 'must be 0'],
      ],
    ),
  )
  console.log('\nclient (monitor(socket).stats())')
  const errors = Object.entries(report.errors).map(([code, n]) => `${code} ${n}`).join(', ') || 'none'
  console.log(
    table(
      ['', 'value'],
      [
        ['opens / disconnects', `${s.opens} / ${s.disconnects}`],
        ['attempts', String(s.attempts.total)],
        ['queue high-water', `${s.queueHighWater} (maxMessages ${CLIENT.queue.maxMessages})`],
        ['dropped', JSON.stringify(s.dropped)],
        ['errors', errors],
        ['uptime ratio', s.uptimeRatio.toFixed(3)],
        ['rtt ms (min/avg/max)', s.rtt.samples ? `${s.rtt.min} / ${s.rtt.avg.toFixed(1)} / ${s.rtt.max}` : 'none'],
        ['history causes', report.history.map((d) => d.cause).join(' ') || '-'],
      ],
    ),
  )
}

const summary = {
  seed: SEED,
  seconds: SECONDS,
  faults: faults.map((f) => f.kind),
  ...count,
  disconnects: report?.stats.disconnects,
  queueHighWater: report?.stats.queueHighWater,
  violations,
}
console.log(`\nSOAK_RESULT ${JSON.stringify(summary)}`)
if (violations.length) {
  console.log(`\nFAIL: ${violations.length} violation(s); seed=${SEED} (replay: ${replay}); server logs kept in ${dir}`)
  for (const v of violations) console.log(`  - ${v}`)
  killChildren()
  process.exit(1)
}
if (!argv['keep-logs']) rmSync(dir, { recursive: true, force: true })
else console.log(`server logs kept in ${dir}`)
console.log(`\nPASS seed=${SEED}`)
killChildren()
process.exit(0)
