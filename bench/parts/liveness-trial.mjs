// One liveness trial in its own process (so that reconnecting-websocket draws its per-process
// random base delay afresh): every client at once, against in-process servers on 127.0.0.1.
//  a) silent link: client → fault proxy → server; the proxy stops forwarding (silence()) at a
//     random moment; when does each client notice?
//  b) restart: client → server directly; the server drops every connection, is down for
//     OUTAGE ms, listens again on the same port; when is each client open again?
import http from 'node:http'
import { WebSocketServer } from 'ws'
import { createFaultProxy } from '../../test/support/fault-proxy.mjs'
import { connect } from '../lib/clients.mjs'
import { fail, report } from '../lib/spawn.mjs'
import { now, sleep } from '../lib/util.mjs'

const LIBS = ['lifeline-ws', 'reconnecting-websocket', 'partysocket', 'websocket-ts']
const WATCH = 10_000
const OUTAGE = Number(process.argv[2] ?? 1000)
const HEARTBEAT = { interval: 1000, timeout: 1000 }

function server(port = 0) {
  return new Promise((resolve) => {
    const h = http.createServer()
    const wss = new WebSocketServer({ server: h, perMessageDeflate: false })
    wss.on('connection', (ws) => ws.on('error', () => {}))
    h.listen(port, '127.0.0.1', () => resolve({ h, wss, port: h.address().port }))
  })
}

async function stop(s) {
  for (const ws of s.wss.clients) ws.terminate()
  await new Promise((r) => s.wss.close(() => r()))
  await new Promise((r) => s.h.close(() => r()))
}

async function silentLink() {
  const s = await server()
  const result = {}
  const clients = []
  const proxies = []
  let silencedAt = Infinity
  let watching = true
  await Promise.all(
    LIBS.map(async (lib) => {
      const proxy = createFaultProxy({ target: { host: '127.0.0.1', port: s.port } })
      proxies.push(proxy)
      let lastData = 0
      proxy.on('connection', (pair) => {
        // when the proxy last forwarded bytes to the client: the client's last inbound data
        const write = pair.down.write.bind(pair.down)
        pair.down.write = (chunk) => {
          if (proxy.mode !== 'silence') lastData = now()
          write(chunk)
        }
      })
      const port = await proxy.start()
      const noticed = () => {
        if (result[lib] || !watching || now() < silencedAt) return
        const t = now()
        result[lib] = { fromSilence: t - silencedAt, fromLastData: t - lastData }
      }
      const c = connect(lib, `ws://127.0.0.1:${port}/`, {
        heartbeat: lib === 'lifeline-ws' ? HEARTBEAT : undefined,
        onClose: noticed,
        onNotice: noticed,
      })
      clients.push(c)
      await c.opened
    }),
  )
  // silence at a random moment of the heartbeat cycle, every client's link at once
  await sleep(300 + Math.random() * 1000)
  silencedAt = now()
  for (const p of proxies) p.silence()
  const end = silencedAt + WATCH
  while (now() < end && LIBS.some((l) => !result[l])) await sleep(20)
  watching = false
  for (const c of clients) c.close()
  await Promise.all(proxies.map((p) => p.close()))
  await stop(s)
  return result
}

async function restart() {
  let s = await server()
  const port = s.port
  const result = {}
  const clients = []
  let upAt = Infinity
  await Promise.all(
    LIBS.map(async (lib) => {
      const c = connect(lib, `ws://127.0.0.1:${port}/`, {
        onOpen: () => {
          if (!result[lib] && now() >= upAt) result[lib] = { reopened: now() - upAt }
        },
      })
      clients.push(c)
      await c.opened
    }),
  )
  await sleep(200 + Math.random() * 300)
  await stop(s)
  await sleep(OUTAGE)
  s = await server(port)
  upAt = now()
  const end = upAt + WATCH
  while (now() < end && LIBS.some((l) => !result[l])) await sleep(20)
  for (const c of clients) c.close()
  await sleep(50)
  await stop(s)
  return result
}

try {
  const [silent, restarted] = await Promise.all([silentLink(), restart()])
  report({ silent, restarted })
} catch (error) {
  fail(error)
}
