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
  const shapes = new Map()
  const ef = s.snapshot.meta.edge_fields
  const edgeTypes = s.snapshot.meta.edge_types[0]
  const [eType, eName] = ['type', 'name_or_index'].map((k) => ef.indexOf(k))
  const iEdges = f.indexOf('edge_count')
  const eTo = ef.indexOf('to_node')
  const owners = new Map()
  let edge = 0
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
    const edges = s.nodes[i + iEdges]
    if (t === 'object' && (n === 'Object' || n === 'Array')) {
      // a plain object's shape: its own property names, so the breakdown says which literal it is
      const keys = []
      for (let e = edge; e < edge + edges * ef.length; e += ef.length) {
        if (edgeTypes[s.edges[e + eType]] === 'property') keys.push(s.strings[s.edges[e + eName]])
      }
      add(shapes, `${n}{${keys.slice(0, 6).join(',')}${keys.length > 6 ? ',…' : ''}}`, size)
    }
    // who holds each dictionary-mode property store (an object that went slow, and how big it got)
    for (let e = edge; e < edge + edges * ef.length; e += ef.length) {
      const to = s.edges[e + eTo]
      const toName = s.strings[s.nodes[to + iName]]
      if (toName === '(object properties)' || toName === '(object elements)') add(owners, `${toName} of ${t}:${n}`.slice(0, 70), s.nodes[to + iSize])
    }
    edge += edges * ef.length
  }
  return { kinds, closures, shapes, owners }
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
console.log('\nplain objects per connection by shape:')
for (const [k, c, sz] of diff(a.shapes, b.shapes).filter(([, c]) => c >= 0.9)) console.log(`  ${k} ×${c.toFixed(1)} ${sz.toFixed(0)} B`)
console.log('\nproperty and element stores per connection by owner:')
for (const [k, c, sz] of diff(a.owners, b.owners).filter(([, c]) => c >= 0.5)) console.log(`  ${k} ×${c.toFixed(1)} ${sz.toFixed(0)} B`)
process.exit(0)
