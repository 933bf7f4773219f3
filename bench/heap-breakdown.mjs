// Where does the heap of one idle connection go? Opens 2,000 connections of one library (lean, as
// bench/parts/memory-child.mjs does) between two heap snapshots and prints the difference per
// connection by kind of object, and the closures by name.
//   node --expose-gc bench/heap-breakdown.mjs [ws|lifeline-ws] [count]
// Snapshots go to bench/.out/ (git-ignored) and are deleted afterwards.
import { readFileSync, rmSync } from 'node:fs'
import v8 from 'node:v8'
import { WebSocket as WS } from 'ws'
import { createSocket } from 'lifeline-ws'
import { startServer } from './lib/spawn.mjs'
import { fullGc, sleep } from './lib/util.mjs'

const lib = process.argv[2] ?? 'lifeline-ws'
const N = Number(process.argv[3] ?? 2000)
const server = await startServer()
const url = `ws://127.0.0.1:${server.port}/idle`
let opened = 0
const onOpen = () => opened++
const noop = () => {}
const create = () => {
  if (lib === 'ws') {
    const ws = new WS(url)
    ws.onopen = onOpen
    ws.onerror = noop
    return ws
  }
  const s = createSocket({ url })
  s.on('open', onOpen)
  return s
}
const snap = (name) => {
  fullGc()
  return v8.writeHeapSnapshot(new URL(`./.out/heap-${lib}-${name}-${process.pid}.heapsnapshot`, import.meta.url).pathname)
}
const keep = [create()]
while (opened < 1) await sleep(5)
keep.pop().close()
opened = 0
await sleep(200)
const before = snap('before')
for (let i = 0; i < N; i++) keep.push(create())
while (opened < N) await sleep(5)
await sleep(200)
const after = snap('after')
await server.exit()

function aggregate(file) {
  const s = JSON.parse(readFileSync(file, 'utf8'))
  const f = s.snapshot.meta.node_fields
  const types = s.snapshot.meta.node_types[0]
  const [iType, iName, iSize] = ['type', 'name', 'self_size'].map((k) => f.indexOf(k))
  const kinds = new Map()
  const closures = new Map()
  const add = (m, k, size) => {
    const e = m.get(k) ?? [0, 0]
    e[0]++
    e[1] += size
    m.set(k, e)
  }
  for (let i = 0; i < s.nodes.length; i += f.length) {
    const t = types[s.nodes[i + iType]]
    const n = s.strings[s.nodes[i + iName]]
    const size = s.nodes[i + iSize]
    const kind =
      t === 'closure' ? 'closures (per-instance functions)'
      : n === 'system / Context' ? 'closure contexts'
      : n === '(object properties)' ? 'dictionary-mode property stores'
      : n === 'system / AccessorPair' ? 'accessor pairs (per-instance get/set)'
      : t === 'object' && n === 'Object' ? 'plain objects'
      : t === 'object' && n === 'Array' ? 'arrays'
      : n === 'system / PropertyArray' ? 'out-of-object property arrays'
      : t === 'array' && n === '' ? 'Map/Set hash tables'
      : `${t}:${n}`.slice(0, 50)
    add(kinds, kind, size)
    if (t === 'closure') add(closures, n || '(anonymous)', size)
  }
  return { kinds, closures }
}
const a = aggregate(before)
const b = aggregate(after)
rmSync(before)
rmSync(after)
const diff = (ma, mb) =>
  [...mb].map(([k, [c, sz]]) => [k, (c - (ma.get(k)?.[0] ?? 0)) / N, (sz - (ma.get(k)?.[1] ?? 0)) / N]).sort((x, y) => y[2] - x[2])
const kinds = diff(a.kinds, b.kinds)
console.log(`${lib}: ${N} idle connections; heap per connection ${kinds.reduce((s, [, , x]) => s + x, 0).toFixed(0)} B`)
console.log('\n| kind | bytes/conn | objects/conn |\n| --- | ---: | ---: |')
for (const [k, c, sz] of kinds.filter(([, , sz]) => sz >= 20)) console.log(`| ${k} | ${sz.toFixed(0)} | ${c.toFixed(1)} |`)
console.log('\nclosures per connection by name:', diff(a.closures, b.closures).filter(([, c]) => c >= 0.9).map(([k, c]) => `${k}×${c.toFixed(0)}`).join(', '))
process.exit(0)
