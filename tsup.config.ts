/**
 * dist/ layout:
 *   index|core|testing|browser|worker|react|tabs|server .mjs + .d.ts   (ESM)
 *   index|core|testing|browser|worker|react|tabs|server .cjs + .d.cts  (CommonJS)
 *   server-unsupported .mjs/.cjs: what lifeline-ws/server resolves to outside Node (throws, saying so)
 *   lifeline.umd.cjs, lifeline.umd.min.cjs           (UMD of the browser entry, global `Lifeline`; .cjs as
 *   Vite's library mode names it in a "type": "module" package, so require() in Node loads it)
 * plus shared chunks and a source map for every .mjs/.cjs/.js file.
 *
 * `nanoevents` is bundled: it is ESM-only, so the CommonJS build could not require() it on Node 20.
 * `ws` and `isomorphic-ws` stay external (they are dependencies, reached only from the Node and server entries);
 * so does `react`, an optional peer dependency imported only by the react entry.
 */
import { build as esbuild, type BuildOptions } from 'esbuild'
import { defineConfig } from 'tsup'

const TARGET = 'es2022'

export default defineConfig({
  entry: {
    index: 'src/index.node.ts',
    core: 'src/index.core.ts',
    testing: 'src/index.testing.ts',
    browser: 'src/index.browser.ts',
    worker: 'src/index.worker.ts',
    react: 'src/index.react.ts',
    tabs: 'src/index.tabs.ts',
    // Node only (the "node" condition); other conditions get the stub that says so
    server: 'src/index.server.ts',
    'server-unsupported': 'src/index.server-unsupported.ts',
  },
  format: ['esm', 'cjs'],
  outExtension: ({ format }) => (format === 'cjs' ? { js: '.cjs', dts: '.d.cts' } : { js: '.mjs', dts: '.d.ts' }),
  dts: true,
  // one copy of the runtime shared by every entry (in CommonJS too), so importing 'lifeline-ws' and
  // 'lifeline-ws/core' together does not load the state machine twice
  splitting: true,
  sourcemap: true,
  clean: true,
  target: TARGET,
  // neutral: nothing Node-specific is assumed; the only import left unbundled is isomorphic-ws
  platform: 'neutral',
  noExternal: ['nanoevents'],
  external: ['ws', 'isomorphic-ws', 'react'],
  onSuccess: buildUmd,
})

/**
 * tsup has no UMD format: esbuild builds an IIFE of the browser entry assigned to a local
 * `Lifeline`, and the banner/footer wrap it in the classic UMD prelude (AMD define, CommonJS
 * module.exports, else a global). esbuild shifts the source map past the banner itself.
 */
async function buildUmd(): Promise<void> {
  const banner =
    '(function (root, factory) {\n' +
    "  if (typeof define === 'function' && define.amd) define([], factory)\n" +
    "  else if (typeof module === 'object' && module.exports) module.exports = factory()\n" +
    '  else root.Lifeline = factory()\n' +
    "})(typeof globalThis !== 'undefined' ? globalThis : typeof self !== 'undefined' ? self : this, function () {"
  const common: BuildOptions = {
    entryPoints: ['src/index.browser.ts'],
    bundle: true,
    format: 'iife',
    globalName: 'Lifeline',
    platform: 'browser',
    target: TARGET,
    sourcemap: true,
    banner: { js: banner },
    footer: { js: 'return Lifeline\n})' },
    logLevel: 'warning',
  }
  await Promise.all([
    esbuild({ ...common, outfile: 'dist/lifeline.umd.cjs' }),
    esbuild({ ...common, outfile: 'dist/lifeline.umd.min.cjs', minify: true }),
  ])
}
