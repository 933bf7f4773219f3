/**
 * dist/lifeline.umd(.min).cjs under each loader it supports (a plain script, AMD define, CommonJS
 * module.exports), its source maps, and require() of it in plain Node. Run `npm run build` first
 * (`npm test` does); the browser half is test/browser/umd.test.ts.
 *
 * The files end in .cjs (as Vite's library mode names them in a "type": "module" package): Node
 * reads a .js file in this package as ESM, so only a .cjs name lets require() load the UMD wrapper.
 */
import { execFile } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { SourceMap } from 'node:module'
import { join, resolve } from 'node:path'
import { promisify } from 'node:util'
import vm from 'node:vm'
import { describe, expect, it } from 'vitest'

const DIST = resolve(import.meta.dirname, '../../dist')
const UMD_FILES = ['lifeline.umd.cjs', 'lifeline.umd.min.cjs']

function umd(name: string): string {
  const path = join(DIST, name)
  if (!existsSync(path)) throw new Error('dist/ is missing: run `npm run build` first')
  return readFileSync(path, 'utf8')
}

function expectApi(api: unknown): void {
  const exports = api as Record<string, unknown>
  expect(typeof exports.createSocket).toBe('function')
  expect(typeof exports.isLifelineError).toBe('function')
  expect(typeof exports.LifelineError).toBe('function')
  // a <script> tag cannot import the optional entries: the UMD file carries them
  for (const name of ['monitor', 'messages', 'opened', 'sendAsync', 'closeOn']) expect(typeof exports[name], name).toBe('function')
}

describe.each(UMD_FILES)('%s', (name) => {
  it('as a plain <script>: defines the global Lifeline and nothing else', () => {
    const context = vm.createContext({})
    const before = new Set(Object.keys(context))
    vm.runInContext(umd(name), context)
    expectApi((context as { Lifeline?: unknown }).Lifeline)
    expect(Object.keys(context).filter((k) => !before.has(k))).toEqual(['Lifeline'])
  })

  it('under AMD: calls define() with the factory and sets no global', () => {
    let defined: unknown
    const define = Object.assign(
      (deps: unknown, factory: () => unknown) => {
        expect(deps).toEqual([])
        defined = factory()
      },
      { amd: {} },
    )
    const context = vm.createContext({ define })
    vm.runInContext(umd(name), context)
    expectApi(defined)
    expect((context as { Lifeline?: unknown }).Lifeline).toBeUndefined()
  })

  it('under CommonJS: fills module.exports and sets no global', () => {
    const module = { exports: {} as unknown }
    const context = vm.createContext({ module, exports: module.exports })
    vm.runInContext(umd(name), context)
    expectApi(module.exports)
    expect((context as { Lifeline?: unknown }).Lifeline).toBeUndefined()
  })

  it('has a source map that points back into src/ past the UMD prelude', () => {
    const code = umd(name)
    expect(code.trimEnd().split('\n').at(-1)).toBe(`//# sourceMappingURL=${name}.map`)
    const map = JSON.parse(readFileSync(join(DIST, `${name}.map`), 'utf8'))
    expect(map.sources.some((s: string) => s.endsWith('src/adapters/browser.ts'))).toBe(true)
    // where the generated code says "visibilitychange", the map must say browser.ts
    const lines = code.split('\n')
    const line = lines.findIndex((l) => l.includes('"visibilitychange"'))
    const column = lines[line]!.indexOf('"visibilitychange"')
    const entry = new SourceMap(map).findEntry(line, column) as { originalSource?: string; originalLine?: number }
    expect(entry.originalSource).toMatch(/src\/adapters\/browser\.ts$/)
    const original = readFileSync(resolve(DIST, entry.originalSource!), 'utf8')
    expect(original.split('\n')[entry.originalLine!]).toContain('visibilitychange')
  })
})

describe('require() in plain Node', () => {
  const run = promisify(execFile)
  const ROOT = resolve(import.meta.dirname, '../..')

  /** A fresh Node process (not vitest's loader): CommonJS require() exactly as a user's script does it. */
  async function requireIn(specifier: string): Promise<{ exports: string[]; global: string }> {
    const script = `
      const api = require(${JSON.stringify(specifier)})
      console.log(JSON.stringify({ exports: Object.keys(api).sort(), global: typeof globalThis.Lifeline }))
    `
    const { stdout } = await run(process.execPath, ['-e', script], { cwd: ROOT, timeout: 10_000 })
    return JSON.parse(stdout)
  }

  it.each(UMD_FILES)('require("./dist/%s") returns the API and sets no global', async (name) => {
    umd(name) // dist/ must be built
    const { exports, global } = await requireIn(`./dist/${name}`)
    expect(exports).toEqual(expect.arrayContaining(['createSocket', 'ReconnectingWebSocket', 'LifelineError', 'isLifelineError']))
    expect(global).toBe('undefined')
  })

  it('require("lifeline-ws/umd") resolves to the UMD file through the exports map', async () => {
    const { stdout } = await run(process.execPath, ['-p', 'require.resolve("lifeline-ws/umd")'], { cwd: ROOT })
    expect(stdout.trim()).toBe(join(DIST, 'lifeline.umd.cjs'))
    const { exports } = await requireIn('lifeline-ws/umd')
    expect(exports).toContain('createSocket')
  })
})
