// 5. Bundle size: what a browser app pays, min+gzip. Each entry is bundled by esbuild (minify,
// ESM, platform browser: the packages' "browser" conditions/fields apply) and gzipped at level 9
// (zlib, as gzip -9). Exact figures, not timings: one run.
import { gzipSync } from 'node:zlib'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'
import { fmt } from '../lib/util.mjs'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const TARGET = 2_500

export const ENTRIES = [
  { label: '**lifeline-ws** browser entry, `createSocket` only', code: "export { createSocket } from 'lifeline-ws'", target: true },
  { label: '**lifeline-ws** browser entry, everything (`export *`)', code: "export * from 'lifeline-ws'", target: true },
  { label: '**lifeline-ws** drop-in class only (`ReconnectingWebSocket`)', code: "export { ReconnectingWebSocket } from 'lifeline-ws'" },
  { label: '**lifeline-ws/core**, everything (state machine, simulateHerd…)', code: "export * from 'lifeline-ws/core'" },
  { label: '**lifeline-ws/core**, `transition` only', code: "export { transition } from 'lifeline-ws/core'" },
  { label: '**lifeline-ws/testing** (testing kit), everything', code: "export * from 'lifeline-ws/testing'" },
  { label: 'reconnecting-websocket 4.4', code: "export { default } from 'reconnecting-websocket'" },
  { label: 'partysocket 1.3, `partysocket/ws` (ReconnectingWebSocket)', code: "export { default } from 'partysocket/ws'" },
  { label: 'partysocket 1.3, main entry (PartySocket + WebSocket)', code: "export * from 'partysocket'" },
  { label: 'websocket-ts 2.3, everything', code: "export * from 'websocket-ts'" },
]

async function size(code) {
  const out = await build({
    stdin: { contents: code, resolveDir: ROOT, loader: 'js', sourcefile: 'entry.mjs' },
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'browser',
    // the builds are ES2022 (README): a lower target would make esbuild rewrite #private fields as WeakMaps
    target: 'es2022',
    write: false,
    logLevel: 'silent',
    legalComments: 'none',
  })
  const bytes = out.outputFiles[0].contents
  return { min: bytes.length, gzip: gzipSync(bytes, { level: 9 }).length }
}

export async function run() {
  const rows = []
  const data = {}
  for (const e of ENTRIES) {
    const s = await size(e.code)
    data[e.label] = s
    const verdict = e.target ? (s.gzip <= TARGET ? 'meets' : `**misses**: ${fmt(s.gzip)} B is ${fmt(s.gzip / TARGET, 1)}× the budget`) : ''
    rows.push([e.label, '`' + e.code + '`', fmt(s.min), fmt(s.gzip), e.target ? `≤ ${fmt(TARGET)} B: ${verdict}` : ''])
  }
  const umd = readFileSync(new URL('../../dist/lifeline.umd.min.cjs', import.meta.url))
  const umdSize = { min: umd.length, gzip: gzipSync(umd, { level: 9 }).length }
  data['dist/lifeline.umd.min.cjs'] = umdSize
  rows.push(['**lifeline-ws** UMD file as shipped (dist/lifeline.umd.min.cjs)', '–', fmt(umdSize.min), fmt(umdSize.gzip), ''])
  rows.push(['the browser\'s own WebSocket', '–', '0', '0', ''])
  return {
    data,
    tables: [
      {
        title: '5. Bundle size (bytes)',
        headers: ['what', 'entry bundled', 'min', 'min+gzip', 'target'],
        rows,
        notes: [
          'esbuild (bundle, minify, format esm, platform browser, target es2022) of a one-line entry, gzip level 9; tree-shaking applies, so "only" rows are what an app importing just that pays. Exact, not timings.',
          `**We miss the browser budget plainly**: the target is ≤ ${fmt(TARGET)} B min+gzip; lifeline-ws is several times that (the numbers above), larger than every peer.`,
        ],
      },
    ],
  }
}
