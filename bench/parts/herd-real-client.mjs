// 500 real lifeline-ws clients (default options) in one process, for bench/parts/herd-real.mjs.
// Args: port count. Reports ready once all are open; exits when the parent disconnects.
import { createSocket } from 'lifeline-ws'
import { fail } from '../lib/spawn.mjs'
import { sleep } from '../lib/util.mjs'

const [port, count] = process.argv.slice(2).map(Number)
const sockets = []
let open = 0
try {
  for (let i = 0; i < count; i++) {
    const s = createSocket({ url: `ws://127.0.0.1:${port}/idle?c=${i}` })
    s.on('open', () => open++)
    sockets.push(s)
    if (i % 100 === 99) await sleep(20)
  }
  const deadline = Date.now() + 30_000
  while (open < count) {
    if (Date.now() > deadline) throw new Error(`only ${open} of ${count} opened`)
    await sleep(10)
  }
  process.send({ ready: true })
  process.on('disconnect', () => process.exit(0))
} catch (error) {
  fail(error)
}
