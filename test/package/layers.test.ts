/**
 * The folders of src/ form layers, and no two of them import each other (directly or round a
 * loop): the pure core imports nothing outside itself, options know nothing of the runtime, and
 * only the entries import the entries. Read from the import statements of every src/ file
 * (type-only imports included: a cycle in types is a cycle in the design).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'

const SRC = resolve(import.meta.dirname, '../../src')

/** `import … from './x.js'`, `export … from '../y.js'`, `import './z.js'`, `import('./w.js')`: the relative specifiers. */
const IMPORT = /(?:^|[;\n])\s*(?:import|export)\b[^'"]*?\bfrom\s*['"](\.[^'"]+)['"]|(?:^|[;\n])\s*import\s*['"](\.[^'"]+)['"]|\bimport\s*\(\s*['"](\.[^'"]+)['"]\s*\)/g

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name)
    return entry.isDirectory() ? sourceFiles(path) : entry.name.endsWith('.ts') ? [path] : []
  })
}

/**
 * A file's layer: its folder under src/, or for a file directly in src/ its own name, except the
 * entries (index.*.ts and the exports they share, public.ts), which are one layer.
 */
function layerOf(file: string): string {
  const path = relative(SRC, file).split(/[\\/]/)
  if (path.length > 1) return path[0]!
  return /^index\..*\.ts$|^public\.ts$/.test(path[0]!) ? 'entries' : path[0]!
}

/** Every import between files of src/, as [from, to] absolute paths of .ts files. */
function importsOf(files: string[]): Array<[string, string]> {
  return files.flatMap((file) => {
    const source = readFileSync(file, 'utf8')
    return [...source.matchAll(IMPORT)].map((match): [string, string] => {
      const specifier = (match[1] ?? match[2] ?? match[3])!
      const target = resolve(dirname(file), specifier.replace(/\.js$/, '.ts'))
      if (!existsSync(target)) throw new Error(`${relative(SRC, file)} imports ${specifier}, which is not a file of src/`)
      return [file, target]
    })
  })
}

/** Folder → the folders it imports (itself left out). */
function layerGraph(imports: Array<[string, string]>): Map<string, Set<string>> {
  const graph = new Map<string, Set<string>>()
  for (const [from, to] of imports) {
    const a = layerOf(from)
    const b = layerOf(to)
    if (!graph.has(a)) graph.set(a, new Set())
    if (!graph.has(b)) graph.set(b, new Set())
    if (a !== b) graph.get(a)!.add(b)
  }
  return graph
}

/** One loop in the graph, as the list of its nodes (first repeated last), or undefined. */
function findCycle(graph: Map<string, Set<string>>): string[] | undefined {
  const done = new Set<string>()
  const path: string[] = []
  const visit = (node: string): string[] | undefined => {
    const at = path.indexOf(node)
    if (at !== -1) return [...path.slice(at), node]
    if (done.has(node)) return undefined
    path.push(node)
    for (const next of graph.get(node) ?? []) {
      const cycle = visit(next)
      if (cycle) return cycle
    }
    path.pop()
    done.add(node)
    return undefined
  }
  for (const node of graph.keys()) {
    const cycle = visit(node)
    if (cycle) return cycle
  }
  return undefined
}

const files = sourceFiles(SRC)
const imports = importsOf(files)
const graph = layerGraph(imports)

/** Which imports cross from `layer` into a layer it may not use. */
function forbidden(layer: string, allowed: readonly string[]): string[] {
  return imports
    .filter(([from, to]) => layerOf(from) === layer && layerOf(to) !== layer && !allowed.includes(layerOf(to)))
    .map(([from, to]) => `${relative(SRC, from)} → ${relative(SRC, to)}`)
}

describe('the layers of src/', () => {
  it('reads the imports it should (the parser sees real edges)', () => {
    expect(files.length).toBeGreaterThan(20)
    expect(graph.get('runtime')).toContain('core')
    expect(graph.get('runtime')).toContain('options')
    expect(graph.get('entries')).toContain('runtime')
  })

  it('no two folders import each other, directly or round a loop', () => {
    expect(findCycle(graph), JSON.stringify(Object.fromEntries([...graph].map(([k, v]) => [k, [...v]])))).toBeUndefined()
  })

  it('src/core imports nothing outside src/core', () => {
    expect(forbidden('core', [])).toEqual([])
  })

  it('src/ports.ts imports nothing', () => {
    expect(forbidden('ports.ts', [])).toEqual([])
  })

  it('src/options imports only the core and the ports (never the runtime, adapters or compat)', () => {
    expect(forbidden('options', ['core', 'ports.ts'])).toEqual([])
  })

  it('only the entries import the entries', () => {
    const intoEntries = imports.filter(([from, to]) => layerOf(to) === 'entries' && layerOf(from) !== 'entries')
    expect(intoEntries.map(([from, to]) => `${relative(SRC, from)} → ${relative(SRC, to)}`)).toEqual([])
  })

  it('the cycle check finds a loop of three and passes a chain', () => {
    const edges = (pairs: string[]) => new Map(pairs.map((p) => [p[0]!, new Set(p.slice(1).split(''))]))
    expect(findCycle(edges(['ab', 'bc', 'ca']))).toEqual(['a', 'b', 'c', 'a'])
    expect(findCycle(edges(['ab', 'bc', 'c']))).toBeUndefined()
  })
})
