// What confirmation costs, and how much of it is the ping frames: raw ws with and without a ping every
// 20 ms while it sends, beside lifeline-ws with confirmation off and on, the paced loop of bench
// delivery (send 1,000, yield, wait while > 1 MiB is buffered), counted at the server.
//   node --expose-gc bench/ab-ping.mjs     (N=200000 ROUNDS=5 ARMS="raw ws,lifeline on" to choose)
import { WebSocket as WS } from 'ws'
import { createSocket } from 'lifeline-ws'
import { opened } from 'lifeline-ws/promises'
import { startServer } from './lib/spawn.mjs'
import { fullGc, median, now, sleep } from './lib/util.mjs'
const N = Number(process.env.N ?? 200_000)
const ROUNDS = Number(process.env.ROUNDS ?? 5)
const PAYLOAD = 'x'.repeat(64)
const server = await startServer()
const url = `ws://127.0.0.1:${server.port}/sink?n=${N}`
async function raw(pings) {
  const ws = new WS(url)
  let finish; const done = new Promise((r) => (finish = r))
  ws.on('message', (d) => String(d) === 'done' && finish(now()))
  await new Promise((r) => ws.once('open', r))
  fullGc(); await sleep(5)
  const timer = pings ? setInterval(() => ws.ping(), 20) : undefined
  const c0 = process.cpuUsage(); const t0 = now()
  for (let i = 0; i < N; ) { const end = Math.min(N, i + 1000); for (; i < end; i++) ws.send(PAYLOAD); do await new Promise(setImmediate); while (ws.bufferedAmount > 1 << 20) }
  const t1 = await done; const cpu = process.cpuUsage(c0)
  clearInterval(timer); ws.close(); await sleep(20)
  return { rate: N / ((t1 - t0) / 1000), cpu: ((cpu.user + cpu.system) * 1000) / N }
}
async function life(confirm) {
  const s = createSocket({ url, heartbeat: confirm ? {} : false, queue: { maxMessages: N, maxBytes: N * 256 } })
  let finish; const done = new Promise((r) => (finish = r))
  s.on('message', (d) => String(d) === 'done' && finish(now()))
  await opened(s)
  fullGc(); await sleep(5)
  const c0 = process.cpuUsage(); const t0 = now()
  for (let i = 0; i < N; ) { const end = Math.min(N, i + 1000); for (; i < end; i++) s.send(PAYLOAD); do await new Promise(setImmediate); while (s.bufferedAmount > 1 << 20) }
  const t1 = await done; const cpu = process.cpuUsage(c0)
  s.close(); await sleep(20)
  return { rate: N / ((t1 - t0) / 1000), cpu: ((cpu.user + cpu.system) * 1000) / N }
}
const allArms = { 'raw ws': () => raw(false), 'raw ws + ping/20ms': () => raw(true), 'lifeline off': () => life(false), 'lifeline on': () => life(true) }
const arms = Object.fromEntries(Object.entries(allArms).filter(([k]) => !process.env.ARMS || process.env.ARMS.split(',').includes(k)))
const got = Object.fromEntries(Object.keys(arms).map((k) => [k, []]))
for (const k of Object.keys(arms)) await arms[k]() // warm-up
for (let r = 0; r < ROUNDS; r++) {
  const keys = Object.keys(arms); if (r % 2) keys.reverse()
  for (const k of keys) got[k].push(await arms[k]())
}
for (const [k, xs] of Object.entries(got)) console.log(k.padEnd(20), 'rate', Math.round(median(xs.map((x) => x.rate))), 'cpu ns/msg', Math.round(median(xs.map((x) => x.cpu))), 'rates', xs.map((x) => Math.round(x.rate / 1000)).join(' '))
await server.exit?.()
process.exit(0)
