// 5. Bundle size: what a browser app pays, min+gzip. Each entry is bundled by esbuild as an app's
// production build would be (minify, ESM, platform browser: the packages' "browser" conditions and
// fields apply; the 'production' export condition and NODE_ENV=production, as Vite's production
// build sets them) and gzipped at level 9 (zlib, as gzip -9). Then every file package.json exports,
// as shipped. Exact figures, not timings: one run.
import { gzipSync } from 'node:zlib'
import { readFileSync } from 'node:fs'
import { builtinModules } from 'node:module'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'
import { fmt } from '../lib/util.mjs'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const PKG = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'))
/** Issue 13: the browser `createSocket` production build, min+gzip: at most 7,000 B, aiming at 6,000 B. */
const TARGET = 7_000
const AIM = 6_000
/**
 * An app's production build: 'production' picks a production build where a package exports one
 * (lifeline-ws may); 'module' is listed because esbuild drops its default 'module' condition as
 * soon as any condition is given.
 */
const CONDITIONS = ['production', 'module']

export const ENTRIES = [
  { label: '**lifeline-ws** browser entry, `createSocket` only', code: "export { createSocket } from 'lifeline-ws'", target: true },
  { label: '**lifeline-ws** browser entry, `createSocket` with `session: true`\'s on-demand chunk counted in', code: "export { createSocket } from 'lifeline-ws'", onDemand: true },
  { label: '**lifeline-ws** browser entry, everything (`export *`)', code: "export * from 'lifeline-ws'" },
  { label: '**lifeline-ws** drop-in class only (`ReconnectingWebSocket`)', code: "export { ReconnectingWebSocket } from 'lifeline-ws'" },
  { label: '**lifeline-ws/core**, everything (state machine, simulateHerd…)', code: "export * from 'lifeline-ws/core'" },
  { label: '**lifeline-ws/core**, `transition` only', code: "export { transition } from 'lifeline-ws/core'" },
  { label: '**lifeline-ws/testing** (testing kit), everything', code: "export * from 'lifeline-ws/testing'" },
  { label: 'reconnecting-websocket 4.4', code: "export { default } from 'reconnecting-websocket'", peer: true },
  { label: 'partysocket 1.3, `partysocket/ws` (ReconnectingWebSocket)', code: "export { default } from 'partysocket/ws'", peer: true },
  { label: 'partysocket 1.3, main entry (PartySocket + WebSocket)', code: "export * from 'partysocket'", peer: true },
  { label: 'websocket-ts 2.3, everything', code: "export * from 'websocket-ts'", peer: true },
]

const ESBUILD = {
  bundle: true,
  minify: true,
  format: 'esm',
  // the builds are ES2022 (README): a lower target would make esbuild rewrite #private fields as WeakMaps
  target: 'es2022',
  write: false,
  logLevel: 'silent',
  legalComments: 'none',
  conditions: CONDITIONS,
  define: { 'process.env.NODE_ENV': '"production"' },
}

function sizes(bytes) {
  return { min: bytes.length, gzip: gzipSync(bytes, { level: 9 }).length }
}

/**
 * A chunk loaded with import() (the session code `session: true` loads) stays out, as a splitting
 * bundler (Vite, webpack, esbuild --splitting) fetches it only when used: the same rule as
 * test/package/bundle.test.ts, so both print the same figure.
 */
const leaveOutDynamicImports = {
  name: 'leave-out-dynamic-imports',
  setup(build) {
    build.onResolve({ filter: /.*/ }, (args) => (args.kind === 'dynamic-import' ? { path: args.path, external: true } : undefined))
  },
}

async function appBundle(code, onDemand = false) {
  const out = await build({
    ...ESBUILD,
    stdin: { contents: code, resolveDir: ROOT, loader: 'js', sourcefile: 'entry.mjs' },
    platform: 'browser',
    plugins: onDemand ? [] : [leaveOutDynamicImports],
  })
  return sizes(out.outputFiles[0].contents)
}

/** One shipped ES module with the chunks it imports, minified again; dependencies left out. */
async function fileBundle(file) {
  const external = [...Object.keys(PKG.dependencies ?? {}), ...Object.keys(PKG.peerDependencies ?? {}), ...builtinModules, 'node:*']
  const out = await build({ ...ESBUILD, entryPoints: [fileURLToPath(new URL(file, new URL('../../', import.meta.url)))], platform: 'neutral', external })
  return sizes(out.outputFiles[0].contents)
}

/**
 * Every JavaScript file package.json exports, with the subpaths and conditions that lead to it:
 * the import files (ES modules) and the UMD files (scripts, measured as they are).
 */
export function exportedFiles(exportsField = PKG.exports) {
  const files = new Map() // file → [how it is reached]
  const walk = (node, subpath, conditions) => {
    if (typeof node === 'string') {
      if (!/\.(m?js|cjs)$/.test(node)) return
      const isUmd = /umd/.test(node)
      if (conditions.includes('types') || conditions.includes('require') && !isUmd) return
      // "[node › import]", not "[node › import › default]"
      const shown = conditions.length > 1 && conditions.at(-1) === 'default' ? conditions.slice(0, -1) : conditions
      const via = `${subpath}${shown.length ? ` [${shown.join(' › ')}]` : ''}`
      files.set(node, [...(files.get(node) ?? []), via])
    } else if (node && typeof node === 'object') {
      for (const [key, value] of Object.entries(node)) {
        if (key.startsWith('.')) walk(value, key, [])
        else walk(value, subpath, [...conditions, key])
      }
    }
  }
  walk(typeof exportsField === 'string' ? { '.': exportsField } : exportsField, '.', [])
  return files
}

/** The files the CDN and bundler fields name (`main` is the .cjs twin of an export: left out). */
function fieldFiles() {
  const files = new Map()
  for (const field of ['module', 'browser', 'unpkg', 'jsdelivr']) {
    const file = PKG[field]
    if (typeof file !== 'string') continue
    const path = file.startsWith('./') ? file : `./${file}`
    files.set(path, [...(files.get(path) ?? []), `package.json "${field}"`])
  }
  return files
}

export async function run() {
  const rows = []
  const data = { app: {}, files: {} }
  for (const e of ENTRIES) {
    const s = await appBundle(e.code, e.onDemand)
    data.app[e.label] = s
    let target = ''
    if (e.target) {
      const verdict = s.gzip <= AIM ? `meets, and the aim of ≤ ${fmt(AIM)} B` : s.gzip <= TARGET ? `meets (aim ≤ ${fmt(AIM)} B: ${fmt(s.gzip - AIM)} B over)` : `**misses** by ${fmt(s.gzip - TARGET)} B (${fmt(s.gzip / TARGET, 2)}× the target)`
      target = `≤ ${fmt(TARGET)} B: ${verdict}`
    }
    rows.push([e.label, '`' + e.code + '`', fmt(s.min), fmt(s.gzip), target])
  }
  rows.push(["the browser's own WebSocket", '–', '0', '0', ''])

  const fileRows = []
  const all = exportedFiles()
  for (const [file, via] of fieldFiles()) all.set(file, [...(all.get(file) ?? []), ...via])
  for (const [file, via] of all) {
    let s
    try {
      s = /umd/.test(file) ? sizes(readFileSync(new URL(`../../${file}`, import.meta.url))) : await fileBundle(file)
    } catch (error) {
      fileRows.push([`\`${file}\``, via.join('<br>'), '–', `not measured: ${String(error.message ?? error).split('\n')[0]}`])
      continue
    }
    data.files[file] = { ...s, via }
    fileRows.push([`\`${file}\``, via.join('<br>'), fmt(s.min), fmt(s.gzip)])
  }
  // the peers' whole entries, from table 5 (everything they export: nothing to tree-shake away)
  for (const e of ENTRIES.filter((e) => e.peer)) fileRows.push([e.label, 'peer (table 5)', fmt(data.app[e.label].min), fmt(data.app[e.label].gzip)])
  return {
    data,
    tables: [
      {
        title: '5. Bundle size: what a browser app pays (bytes)',
        headers: ['what', 'entry bundled', 'min', 'min+gzip', 'target'],
        rows,
        notes: [
          `esbuild (bundle, minify, format esm, platform browser, target es2022, conditions ${CONDITIONS.map((c) => `'${c}'`).join(' and ')}, process.env.NODE_ENV "production") of a one-line entry, gzip level 9; tree-shaking applies, so "only" rows are what an app importing just that pays. An app's production build: where a package exports a 'production' build it is the one measured. Exact, not timings.`,
          `Issue 13's target: the browser \`createSocket\` production build ≤ ${fmt(TARGET)} B min+gzip, aiming at ${fmt(AIM)} B.`,
        ],
      },
      {
        title: '5b. Every file package.json exports or names for CDNs, as shipped (bytes)',
        headers: ['file', 'reached by (subpath [conditions])', 'min', 'min+gzip'],
        rows: fileRows,
        notes: [
          'Each ES module exported (import conditions; its .cjs twins hold the same code) bundled with the chunks it imports and minified by the same esbuild settings, nothing tree-shaken (everything it exports is kept), dependencies (ws, isomorphic-ws) and Node built-ins left out; UMD files measured as they are. Read beside the peers\' rows above.',
        ],
      },
    ],
  }
}
