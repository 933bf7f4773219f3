// Profile one client's hot path: node --cpu-prof --cpu-prof-dir=bench/.out bench/profile.mjs <receive|send> <lib> [size] [n]
// or lifeline-ws's send with confirmation on or off (issue 14), the loop of bench delivery:
//   node --cpu-prof --cpu-prof-dir=bench/.out bench/profile.mjs delivery <on|off> [n]
// or a lifeline.v1 session vs plain (issue 15), the loops of bench session, profiling the server process too
// (and printing its CPU per message beside the client's):
//   node --cpu-prof --cpu-prof-dir=bench/.out bench/profile.mjs session <send|receive> <on|off> [size] [n]
// or N idle lifeline-ws sockets (or raw ws pinging from setInterval: the floor) with a heartbeat, for S seconds:
//   node --cpu-prof --cpu-prof-dir=bench/.out bench/profile.mjs heartbeat <lifeline-ws|ws-ping> [n] [intervalMs] [seconds]
// then summarise with: node bench/profile.mjs summary bench/.out/<file>.cpuprofile
import { readFileSync } from 'node:fs'

const [mode, a, b, c] = process.argv.slice(2)
if (mode === 'summary') {
  const profile = JSON.parse(readFileSync(a, 'utf8'))
  const self = new Map()
  const byId = new Map(profile.nodes.map((n) => [n.id, n]))
  const dt = new Map()
  for (let i = 0; i < profile.samples.length; i++) dt.set(profile.samples[i], (dt.get(profile.samples[i]) ?? 0) + (profile.timeDeltas[i] ?? 0))
  let total = 0
  for (const [id, t] of dt) {
    const n = byId.get(id)
    const f = n.callFrame
    const key = `${f.functionName || '(anonymous)'} ${f.url.replace(/^.*node_modules\//, '').replace(/^file:\/\/.*\/main\//, '')}:${f.lineNumber + 1}`
    self.set(key, (self.get(key) ?? 0) + t)
    total += t
  }
  const top = [...self].sort((x, y) => y[1] - x[1]).slice(0, Number(b ?? 25))
  for (const [k, t] of top) console.log(`${((t / total) * 100).toFixed(1).padStart(5)} %  ${(t / 1000).toFixed(0).padStart(6)} ms  ${k}`)
} else if (mode === 'session') {
  const { server, sendRate, receiveRate } = await import('./parts/session.mjs')
  const withSession = b === 'on'
  const size = Number(c ?? 64)
  const n = Number(process.argv[6] ?? 300_000)
  const srv = await server(['--cpu-prof', `--cpu-prof-dir=${new URL('./.out/', import.meta.url).pathname}`])
  const cpu0 = await srv.call('cpu')
  const m = await (a === 'receive' ? receiveRate : sendRate)(srv.url, withSession, n, size)
  const serverNs = (((await srv.call('cpu')) - cpu0) * 1000) / n
  console.log(`${a}, session ${b}, ${n} × ${size} B: ${m.rate.toFixed(0)} msgs/s, client CPU ${m.cpu.toFixed(0)} ns/msg, server CPU ${serverNs.toFixed(0)} ns/msg (the server's profile is the other new file in bench/.out)`)
  await srv.exit()
  process.exit(0)
} else if (mode === 'heartbeat') {
  const { createSocket } = await import('lifeline-ws')
  const { WebSocket: WS } = await import('ws')
  const { startServer } = await import('./lib/spawn.mjs')
  const lib = a ?? 'lifeline-ws'
  const n = Number(b ?? 2_000)
  const interval = Number(c ?? 1_000)
  const seconds = Number(process.argv[6] ?? 10)
  const server = await startServer()
  const url = `ws://127.0.0.1:${server.port}/idle`
  let opened = 0
  const onOpen = () => opened++
  const sockets = []
  for (let i = 0; i < n; i++) {
    if (lib === 'ws-ping') {
      const ws = new WS(url)
      ws.onopen = onOpen
      ws.on('pong', () => {})
      const timer = setInterval(() => ws.readyState === 1 && ws.ping(), interval)
      ws.on('close', () => clearInterval(timer))
      sockets.push(ws)
    } else {
      const s = createSocket({ url, heartbeat: { interval } })
      s.on('open', onOpen)
      sockets.push(s)
    }
    if (i % 250 === 249) while (opened <= i - 250) await new Promise((r) => setTimeout(r, 2))
  }
  while (opened < n) await new Promise((r) => setTimeout(r, 2))
  await new Promise((r) => setTimeout(r, interval))
  let pings = 0
  let bursts = 0
  let lastPing = -Infinity
  const ping = WS.prototype.ping
  WS.prototype.ping = function (...args) {
    pings++
    // pings less than 0.2 ms apart count as one burst (one timer's)
    const now = performance.now()
    if (now - lastPing > 0.2) bursts++
    lastPing = now
    return ping.apply(this, args)
  }
  const { Socket } = await import('node:net')
  let writes = 0
  const write = Socket.prototype.write
  Socket.prototype.write = function (...args) {
    writes++
    return write.apply(this, args)
  }
  const c0 = process.cpuUsage()
  await new Promise((r) => setTimeout(r, seconds * 1000))
  const cpu = process.cpuUsage(c0)
  const us = cpu.user + cpu.system
  console.log(`${lib}, ${n} idle sockets, heartbeat every ${interval} ms, ${seconds} s: ${pings} pings in ${bursts} bursts, ${writes} writes, ${(us / pings).toFixed(1)} µs per ping, ${(us / n / ((seconds * 1000) / interval)).toFixed(1)} µs per socket per interval`)
  for (const s of sockets) s.close()
  await server.exit()
  process.exit(0)
} else if (mode === 'delivery') {
  const { createSocket } = await import('lifeline-ws')
  const { opened } = await import('lifeline-ws/promises')
  const { startServer } = await import('./lib/spawn.mjs')
  const confirm = a === 'on'
  const n = Number(b ?? 300_000)
  const server = await startServer()
  let finish
  const done = new Promise((r) => (finish = r))
  const socket = createSocket({ url: `ws://127.0.0.1:${server.port}/sink?n=${n}`, heartbeat: confirm ? {} : false, queue: { maxMessages: n, maxBytes: n * 256 } })
  socket.on('message', (d) => String(d) === 'done' && finish())
  await opened(socket)
  const payload = 'x'.repeat(64)
  const c0 = process.cpuUsage()
  const t0 = performance.now()
  for (let i = 0; i < n; ) {
    for (const end = Math.min(n, i + 1000); i < end; i++) socket.send(payload)
    do await new Promise(setImmediate)
    while (socket.bufferedAmount > 1 << 20)
  }
  await done
  const cpu = process.cpuUsage(c0)
  console.log(`confirmation ${a}, ${n} × 64 B: ${((n / (performance.now() - t0)) * 1000).toFixed(0)} msgs/s, client CPU ${(((cpu.user + cpu.system) * 1000) / n).toFixed(0)} ns/msg`)
  socket.close()
  await server.exit()
  process.exit(0)
} else {
  const { connect } = await import('./lib/clients.mjs')
  const { startServer } = await import('./lib/spawn.mjs')
  const lib = a ?? 'lifeline-ws'
  const size = Number(b ?? 64)
  const n = Number(c ?? 1_000_000)
  const server = await startServer()
  const payload = 'x'.repeat(size)
  let count = 0
  let finish
  const done = new Promise((r) => (finish = r))
  const path = mode === 'receive' ? '/push' : `/sink?n=${n}`
  const client = connect(lib, `ws://127.0.0.1:${server.port}${path}`, {
    onMessage: (d) => {
      if (mode === 'receive' ? ++count === n : String(d) === 'done') finish()
    },
  })
  await client.opened
  const t0 = performance.now()
  if (mode === 'receive') client.send(`push:${n}:${size}`)
  else
    for (let i = 0; i < n; ) {
      for (const end = Math.min(n, i + 1000); i < end; i++) client.send(payload)
      while (client.bufferedAmount > 1 << 20) await new Promise(setImmediate)
    }
  await done
  console.log(`${lib} ${mode} ${n} × ${size} B: ${((n / (performance.now() - t0)) * 1000).toFixed(0)} msgs/s`)
  client.close()
  await server.exit()
  process.exit(0)
}
