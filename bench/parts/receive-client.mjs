// One receiving client in its own process, on one long-lived connection, for the steady-state
// receive figure (parts/receive.mjs). Args: lib port n size(comma-separated) warmupBursts.
// It opens its connection, warms up (warmupBursts bursts of n messages per size: the receive path
// gets optimised), reports ready, then answers { cmd: 'burst', size } with { ms, cpuNs }: the
// server pushes n messages; ms from the request until the listener saw the n-th, and this
// process's CPU time (user + system) over the same span, per message. Nothing here forces a GC:
// garbage is collected as it would be in an application.
//
// lib 'tcp' is the server's ceiling: a plain TCP reader that does the WebSocket handshake by hand
// and then only counts bytes (no frame parsing, no decode, no events).
import net from 'node:net'
import { connect } from '../lib/clients.mjs'
import { fail } from '../lib/spawn.mjs'
import { now, sleep } from '../lib/util.mjs'

const [lib, port, nArg, sizesArg, warmupArg] = process.argv.slice(2)
const n = Number(nArg)
const sizes = sizesArg.split(',').map(Number)
const warmup = Number(warmupArg ?? 3)
const frameBytes = (size) => size + (size < 126 ? 2 : 4)

/** A client: `burst(size)` resolves to the time the n-th message of this burst arrived. */
async function open() {
  if (lib === 'tcp') return openTcp()
  let count = 0
  let finish
  const client = connect(lib, `ws://127.0.0.1:${port}/push?c=${lib}`, {
    onMessage: () => {
      if (++count === n) finish(now())
    },
  })
  await client.opened
  return {
    burst(size) {
      count = 0
      const done = new Promise((resolve) => (finish = resolve))
      client.send(`push:${n}:${size}`)
      return done
    },
  }
}

async function openTcp() {
  const socket = net.connect(Number(port), '127.0.0.1')
  socket.setNoDelay(true)
  await new Promise((resolve, reject) => socket.once('connect', resolve).once('error', reject))
  const key = Buffer.from('lifeline-wsbench').toString('base64') // 16 bytes, as RFC 6455 requires
  socket.write(`GET /push?c=tcp HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`)
  let head = ''
  let expected = Infinity
  let received = 0
  let finish
  socket.on('data', (chunk) => {
    if (head !== null) {
      head += chunk.toString('latin1')
      const end = head.indexOf('\r\n\r\n')
      if (end < 0) return
      if (!head.startsWith('HTTP/1.1 101')) return failed(new Error(`tcp: the upgrade was refused: ${head.split('\r\n')[0]}`))
      chunk = Buffer.from(head.slice(end + 4), 'latin1')
      head = null
      opened()
    }
    received += chunk.length
    if (received >= expected) finish(now())
  })
  let opened
  let failed
  await new Promise((resolve, reject) => ((opened = resolve), (failed = reject)))
  return {
    burst(size) {
      received = 0
      expected = n * frameBytes(size)
      const done = new Promise((resolve) => (finish = resolve))
      // a masked client text frame (mask key 0: the payload goes as it is)
      const payload = Buffer.from(`push:${n}:${size}`)
      socket.write(Buffer.concat([Buffer.from([0x81, 0x80 | payload.length, 0, 0, 0, 0]), payload]))
      return done
    },
  }
}

async function measure(client, size) {
  const c0 = process.cpuUsage()
  const t0 = now()
  const t1 = await Promise.race([client.burst(size), sleep(60_000).then(() => NaN)])
  const cpu = process.cpuUsage(c0)
  if (Number.isNaN(t1)) throw new Error(`${lib}: ${n} × ${size} B not received within 60 s`)
  return { ms: t1 - t0, cpuNs: ((cpu.user + cpu.system) * 1000) / n }
}

try {
  const client = await open()
  for (let i = 0; i < warmup; i++) for (const size of sizes) await measure(client, size)
  process.on('message', async ({ cmd, id, size }) => {
    try {
      if (cmd === 'burst') process.send({ id, result: await measure(client, size) })
      else if (cmd === 'exit') process.exit(0)
    } catch (error) {
      fail(error)
    }
  })
  process.on('disconnect', () => process.exit(0))
  process.send({ ready: true })
} catch (error) {
  fail(error)
}
