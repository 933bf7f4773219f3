/**
 * What package.json says about the package agrees with what ships and with the README: the CDN
 * fields name the UMD file (global `Lifeline`), `engines` is the Node floor the README's runtime
 * table states, and the license it names is in a LICENSE file. Run `npm run build` first.
 */
import { existsSync, readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import vm from 'node:vm'
import { describe, expect, it } from 'vitest'

const ROOT = resolve(import.meta.dirname, '../..')
const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as Record<string, any>
const readme = readFileSync(join(ROOT, 'README.md'), 'utf8')

describe('package.json', () => {
  it.each(['unpkg', 'jsdelivr'])('"%s" names a shipped UMD file that, as a <script>, defines the global Lifeline', (field) => {
    const file = manifest[field] as string
    expect(file).toMatch(/^\.\/dist\/lifeline\.umd(\.min)?\.cjs$/)
    const path = join(ROOT, file)
    if (!existsSync(path)) throw new Error(`${file} is missing: run \`npm run build\` first`)
    const context = vm.createContext({})
    vm.runInContext(readFileSync(path, 'utf8'), context)
    expect(typeof (context as { Lifeline?: { ReconnectingWebSocket?: unknown } }).Lifeline?.ReconnectingWebSocket).toBe('function')
    expect(manifest.exports['./umd'].require.default).toBe('./dist/lifeline.umd.cjs')
  })

  it("engines.node is the floor the README's runtime table and build notes state", () => {
    const floor = /^>=(\d+)$/.exec(manifest.engines.node)?.[1]
    expect(floor, `engines.node ${manifest.engines.node}`).toBeDefined()
    const row = readme.split('\n').find((line) => /^\| Node \d/.test(line))
    expect(row, "the README's Node row").toBeDefined()
    expect(row).toContain(`(\`engines\`: \`${manifest.engines.node}\`)`)
    expect(/^\| Node (\d+)/.exec(row!)?.[1], 'the first Node version in the row').toBe(floor)
    expect(readme).toContain(`Node ${floor}+ (\`engines\``)
  })

  it('its license is in a LICENSE file that ships', () => {
    expect(manifest.license).toBe('MIT')
    expect(readFileSync(join(ROOT, 'LICENSE'), 'utf8')).toMatch(/^MIT License\n/)
    expect(manifest.files).toContain('LICENSE')
  })
})
