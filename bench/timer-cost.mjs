// How much memory does one armed heartbeat timer per socket cost, against one shared timer that
// scans a list of deadlines? Run: node --expose-gc bench/timer-cost.mjs
const N = 100_000
const gc = globalThis.gc ?? (() => {})
const heap = () => {
  gc()
  gc()
  return process.memoryUsage().heapUsed
}

function perSocketTimers() {
  const before = heap()
  const handles = []
  for (let i = 0; i < N; i++) handles.push(setTimeout(() => {}, 25_000 + (i % 100)))
  const after = heap()
  for (const h of handles) clearTimeout(h) // (also keeps the handles alive past the measurement)
  return (after - before) / N
}

function sharedTimer() {
  const before = heap()
  // the cheapest shared design: one interval timer and a Float64Array of deadlines, one slot a socket
  const deadlines = new Float64Array(N)
  const callbacks = []
  for (let i = 0; i < N; i++) {
    deadlines[i] = Date.now() + 25_000
    callbacks.push(() => {})
  }
  const timer = setInterval(() => {}, 1_000)
  const after = heap()
  clearInterval(timer)
  if (deadlines.length + callbacks.length === 0) console.log('') // keep both alive past the measurement
  return (after - before) / N
}

const rounds = 5
const a = []
const b = []
for (let r = 0; r < rounds; r++) {
  a.push(perSocketTimers())
  b.push(sharedTimer())
}
const median = (xs) => xs.sort((x, y) => x - y)[Math.floor(xs.length / 2)]
console.log(`| design | heap per socket (bytes, median of ${rounds}) |`)
console.log('| --- | --- |')
console.log(`| one Node timer per socket | ${median(a).toFixed(0)} |`)
console.log(`| one shared timer + deadline slot and callback per socket | ${median(b).toFixed(0)} |`)
console.log(`\nNode ${process.version}; N = ${N}. Node already groups timers of equal duration into one list`)
console.log('with a single underlying libuv timer, so per-socket timers do not add wake-ups; the shared design')
console.log('saves memory only. lifeline-ws uses it on Node and in lifeline-ws/core (src/runtime/scheduler.ts:')
console.log('one port timer per clock, a heap of socket timer tables); browsers and workers keep one per socket.')
