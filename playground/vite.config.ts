/**
 * The playground's Vite config (root: playground/). `npm run playground` starts it through
 * playground/server.mjs (dev server + control API); `npm run playground:build` builds it to
 * playground/dist/ as static files.
 *
 * The page imports the SDK exactly as a user does — `from 'lifeline-ws'` and `from 'lifeline-ws/core'`
 * — and gets the built package (dist/), chosen by the package's own "exports" map with the browser
 * conditions, never src/.
 */
import { readFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { defineConfig, type Plugin } from 'vite'

const HERE = dirname(fileURLToPath(import.meta.url))
const PACKAGE_ROOT = resolve(HERE, '..')

type Exports = string | null | { [key: string]: Exports }

/**
 * Node and TypeScript let files inside a package import it by its own name ("self-reference");
 * Vite does not (it only looks in node_modules/). This resolves `lifeline-ws` and `lifeline-ws/<sub>`
 * the way an installed copy is resolved: through package.json "exports", taking the first
 * condition that applies, in the map's own order, from browser › import › default.
 */
export function packageSelfReference(conditions: readonly string[] = ['browser', 'import', 'default']): Plugin {
  const pkg = JSON.parse(readFileSync(join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { name: string; exports: Record<string, Exports> }
  const pick = (entry: Exports): string | null => {
    if (entry === null || typeof entry === 'string') return entry
    for (const [condition, value] of Object.entries(entry)) {
      if (!conditions.includes(condition)) continue
      const found = pick(value)
      if (found !== null) return found
    }
    return null
  }
  return {
    name: 'lifeline-ws:package-self-reference',
    enforce: 'pre',
    resolveId(source) {
      if (source !== pkg.name && !source.startsWith(`${pkg.name}/`)) return null
      const subpath = `.${source.slice(pkg.name.length)}`
      const entry = pkg.exports[subpath]
      const target = entry === undefined ? null : pick(entry)
      if (target === null) {
        throw new Error(`${source}: package subpath "${subpath}" is not exported for ${conditions.join('/')} by ${pkg.name}'s package.json`)
      }
      return resolve(PACKAGE_ROOT, target)
    },
  }
}

export default defineConfig({
  root: HERE,
  base: './',
  // the playground's own files only: nothing from the repository's public/ or .env
  publicDir: false,
  envDir: false,
  clearScreen: false,
  plugins: [packageSelfReference()],
  // workers get the package's worker build (the "worker" condition), as a bundler targeting a worker does
  worker: { format: 'es', plugins: () => [packageSelfReference(['worker', 'import', 'default'])] },
  server: {
    host: '127.0.0.1',
    // the built package lives outside the root
    fs: { allow: [HERE, join(PACKAGE_ROOT, 'dist')] },
  },
  preview: { host: '127.0.0.1' },
  build: {
    outDir: join(HERE, 'dist'),
    emptyOutDir: true,
    target: 'es2022',
    reportCompressedSize: false,
  },
})
