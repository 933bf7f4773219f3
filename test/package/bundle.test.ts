/**
 * What browser and worker users get from dist/ (run `npm run build` first; `npm test` does):
 * no Node-only imports in the browser, worker and UMD files, the size of every entry minified and
 * gzipped, and what a bundler resolves through the package's "exports".
 */
import { build, type BuildOptions } from 'esbuild'
import { existsSync, readFileSync } from 'node:fs'
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { gzipSync } from 'node:zlib'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const ROOT = resolve(import.meta.dirname, '../..')
const DIST = join(ROOT, 'dist')

/**
 * Size budgets (min+gzip -9), per export as a user pays for it after tree-shaking, and for whole
 * entries. They guard against regressions at today's level (+ ~2 %). The plan's target for the
 * browser entry was 3,000 B and is NOT met: the runtime measures about 12 kB, most of it the driver
 * (~25 % of the minified bytes), the transition function (~24 %) and options validation with its
 * exact error messages (~24 %). The move to classes (a third of the heap per idle connection on
 * Node) cost about 900 B here: class members keep their names where closure variables were
 * minified to one letter. The drop-in grew by ~720 B when it learnt the peers' behaviours (its own
 * unbounded queue, reconnect() after close(), typed events, peer option mapping; issue 17).
 * Issue 12's hardening cost ~1.2 kB more (own-property option reads, the redaction rule, the
 * no-heartbeat warning, the null rule and the config-error path, with their messages); issue 13
 * moves long messages into a development build. Lower these as the core shrinks.
 */
const BUDGETS: Record<string, number> = {
  // issue 12's send path (brand checks instead of tags, the queue's own copies, a Blob write whose
  // failure ws tells only through its callback) added ~400 B to the options hardening's ~1.2 kB.
  // Issue 13's core part added ~430 B (createSocket 14,282 -> 14,710; transition 3,247 -> 3,579):
  // the state events' cause codes, the queue's and every graceful close's decisions moved into the
  // core, and the driver in layers (their shared members keep their names); the development build
  // is where the bytes are to come back from
  'browser: createSocket': 14_800,
  'browser: ReconnectingWebSocket': 16_500,
  'browser (whole entry)': 16_650,
  'core: transition': 3_650,
  'testing (whole entry)': 1_800,
}

/** import/export-from/require/dynamic import of ws, isomorphic-ws or a node: builtin. */
const NODE_IMPORT =
  /(?:\bfrom\s*|\bimport\s*\(?\s*|\brequire\s*\(\s*)["'](?:ws|isomorphic-ws|node:[^"']*|(?:fs|net|tls|http|https|events|stream|crypto|zlib|buffer|url)(?:\/[^"']*)?)["']/

/** A dist file and every local chunk it imports or requires, transitively. */
function withChunks(file: string, seen = new Set<string>()): string[] {
  if (seen.has(file)) return []
  seen.add(file)
  const source = readFileSync(file, 'utf8')
  const local = /(?:\bfrom\s*|\bimport\s*|\brequire\s*\(\s*)["'](\.\/[^"']+)["']/g
  for (const match of source.matchAll(local)) withChunks(join(dirname(file), match[1]!), seen)
  return [...seen]
}

function read(files: string[]): string {
  return files.map((f) => readFileSync(f, 'utf8')).join('\n')
}

beforeAll(() => {
  if (!existsSync(join(DIST, 'browser.mjs'))) throw new Error('dist/ is missing: run `npm run build` first')
})

describe('no Node-only code for browsers and workers', () => {
  const files = ['browser.mjs', 'browser.cjs', 'worker.mjs', 'worker.cjs', 'lifeline.umd.cjs', 'lifeline.umd.min.cjs']

  it.each(files)('%s (with its chunks) imports no ws, isomorphic-ws or node: module', (name) => {
    const all = withChunks(join(DIST, name))
    const source = read(all)
    expect(source).not.toMatch(NODE_IMPORT)
    expect(source).not.toContain('isomorphic-ws')
    expect(source).not.toMatch(/["']node:/)
  })

  it('the check itself finds the Node entry importing isomorphic-ws', () => {
    expect(read(withChunks(join(DIST, 'index.mjs')))).toMatch(NODE_IMPORT)
    expect(read(withChunks(join(DIST, 'index.cjs')))).toMatch(NODE_IMPORT)
  })

  it.each(['worker.mjs', 'worker.cjs'])('%s never references the page (window, document)', (name) => {
    const source = read(withChunks(join(DIST, name)))
    expect(source).not.toMatch(/\bdocument\b|\bwindow\b|visibilitychange|pageshow/)
    expect(source).toContain('"online"')
  })

  it.each(['browser.mjs', 'browser.cjs', 'lifeline.umd.cjs'])('%s listens to the page signals', (name) => {
    const source = read(withChunks(join(DIST, name)))
    for (const event of ['online', 'offline', 'visibilitychange', 'pageshow']) expect(source).toContain(`"${event}"`)
  })

  it('nanoevents is bundled (it is ESM-only) in every build', () => {
    for (const name of ['index.mjs', 'index.cjs', 'browser.cjs', 'core.cjs']) {
      expect(read(withChunks(join(DIST, name)))).not.toMatch(/["']nanoevents["']/)
    }
  })
})

describe('size, minified + gzip -9', () => {
  const entries = ['browser', 'worker', 'index', 'core', 'testing']
  const sizes = new Map<string, { min: number; gzip: number }>()

  /** Bundle, minify (esbuild) and gzip -9 one input: what an app shipping it pays. */
  async function measure(input: Pick<BuildOptions, 'entryPoints' | 'stdin'>): Promise<{ min: number; gzip: number }> {
    const result = await build({
      ...input,
      bundle: true,
      minify: true,
      format: 'esm',
      platform: 'neutral',
      external: ['ws', 'isomorphic-ws'],
      write: false,
      logLevel: 'silent',
    })
    const code = result.outputFiles[0]!.contents
    return { min: code.length, gzip: gzipSync(code, { level: 9 }).length }
  }

  beforeAll(async () => {
    for (const entry of entries) sizes.set(entry, await measure({ entryPoints: [join(DIST, `${entry}.mjs`)] }))
    const umd = readFileSync(join(DIST, 'lifeline.umd.min.cjs'))
    sizes.set('lifeline.umd.min.cjs', { min: umd.length, gzip: gzipSync(umd, { level: 9 }).length })
    const rows = [...sizes].map(([name, s]) => `  ${name.padEnd(22)} ${String(s.min).padStart(7)} B min  ${String(s.gzip).padStart(6)} B min+gzip`)
    console.log(`bundle sizes (each ESM entry with its chunks):\n${rows.join('\n')}`)
  })

  /** What a bundle of `import { name } from dist/entry` costs. */
  async function exportSize(entry: string, name: string): Promise<number> {
    const stdin = { contents: `export { ${name} } from './dist/${entry}.mjs'`, resolveDir: ROOT, loader: 'js' as const }
    return (await measure({ stdin })).gzip
  }

  it('every export and entry stays within its budget', async () => {
    const measured: Record<string, number> = {
      'browser: createSocket': await exportSize('browser', 'createSocket'),
      'browser: ReconnectingWebSocket': await exportSize('browser', 'ReconnectingWebSocket'),
      'browser (whole entry)': sizes.get('browser')!.gzip,
      'core: transition': await exportSize('core', 'transition'),
      'testing (whole entry)': sizes.get('testing')!.gzip,
    }
    console.log(`size budgets (min+gzip):\n${Object.entries(measured).map(([k, v]) => `  ${k.padEnd(32)} ${String(v).padStart(6)} B  (budget ${BUDGETS[k]} B)`).join('\n')}`)
    for (const [key, bytes] of Object.entries(measured)) expect(bytes, key).toBeLessThanOrEqual(BUDGETS[key]!)
  })

  it('the UMD file costs about what the browser entry does (nothing else is pulled in)', () => {
    expect(sizes.get('lifeline.umd.min.cjs')!.gzip).toBeLessThanOrEqual(sizes.get('browser')!.gzip + 600)
  })
})

describe('a bundler resolving "lifeline-ws" through the exports map', () => {
  let app: string

  beforeAll(async () => {
    app = await mkdtemp(join(tmpdir(), 'lifeline-app-'))
    await mkdir(join(app, 'node_modules'))
    // the repository itself, as an installed package (its "exports" and dist/)
    await symlink(ROOT, join(app, 'node_modules/lifeline-ws'), 'junction')
    await writeFile(
      join(app, 'app.mjs'),
      `import { createSocket } from 'lifeline-ws'\nexport const socket = createSocket({ url: 'wss://example.test/live', lazy: true })\n`,
    )
    await writeFile(
      join(app, 'app.cjs'),
      `const { createSocket } = require('lifeline-ws')\nmodule.exports = createSocket({ url: 'wss://example.test/live', lazy: true })\n`,
    )
  })

  afterAll(async () => {
    if (app) await rm(app, { recursive: true, force: true })
  })

  async function bundle(entry: string, options: BuildOptions): Promise<{ code: string; inputs: string[] }> {
    const result = await build({
      entryPoints: [join(app, entry)],
      bundle: true,
      write: false,
      metafile: true,
      format: 'esm',
      logLevel: 'silent',
      absWorkingDir: app,
      ...options,
    })
    return { code: result.outputFiles![0]!.text, inputs: Object.keys(result.metafile!.inputs) }
  }

  it.each(['app.mjs', 'app.cjs'])('esbuild --platform=browser: %s gets the browser build, no ws, no node:', async (entry) => {
    const { code, inputs } = await bundle(entry, { platform: 'browser' })
    expect(inputs.some((p) => /dist[\\/]browser\.(mjs|cjs)$/.test(p))).toBe(true)
    expect(inputs.some((p) => /isomorphic-ws|[\\/]ws[\\/]/.test(p))).toBe(false)
    expect(code).not.toMatch(NODE_IMPORT)
    expect(code).not.toMatch(/["']node:/)
    expect(code).toContain('visibilitychange')
  })

  it.each([['worker'], ['workerd'], ['deno']])('condition "%s" gets the worker build', async (condition) => {
    const { code, inputs } = await bundle('app.mjs', { platform: 'neutral', conditions: [condition] })
    expect(inputs.some((p) => /dist[\\/]worker\.mjs$/.test(p))).toBe(true)
    expect(code).not.toMatch(NODE_IMPORT)
    expect(code).not.toContain('visibilitychange')
  })

  it('a bundler with no platform condition gets the standards-only worker build', async () => {
    const { inputs } = await bundle('app.mjs', { platform: 'neutral' })
    expect(inputs.some((p) => /dist[\\/]worker\.mjs$/.test(p))).toBe(true)
  })

  it('esbuild --platform=node gets the Node build, with ws left external', async () => {
    const { code, inputs } = await bundle('app.mjs', { platform: 'node', packages: 'external' })
    expect(code).toContain('lifeline-ws')
    expect(inputs).toEqual([expect.stringMatching(/app\.mjs$/)])
    const { code: inlined } = await bundle('app.mjs', { platform: 'node', external: ['ws', 'isomorphic-ws'] })
    expect(inlined).toMatch(/from\s*["']isomorphic-ws["']/)
  })
})
