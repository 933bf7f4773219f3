/**
 * dist/ layout:
 *   index|core|testing|browser|worker|react|tabs|monitor|session|stream|promises .mjs + .d.ts   (ESM, development: full error messages)
 *   index|core|testing|browser|worker|react|tabs|monitor|session|stream|promises .cjs + .d.cts  (CommonJS, development)
 *   server, server-redis .mjs/.cjs (Node only), server-unsupported .mjs/.cjs: what lifeline-ws/server resolves to outside
 *   Node (throws, saying so)
 *   index|core|browser|worker|react|tabs|monitor|session|stream|promises .prod.mjs, .prod.cjs   (production: the same checks, short
 *   messages; package.json's "production" export condition picks them, the types are the development ones)
 *   lifeline.umd.cjs, lifeline.umd.min.cjs           (UMD of the browser entry with the optional APIs, production, global
 *   `Lifeline`; .cjs as Vite's library mode names it in a "type": "module" package, so require() in
 *   Node loads it)
 * plus shared chunks and a source map for every .mjs/.cjs/.js file.
 *
 * The two builds differ in their message modules: the production build resolves every
 * messages.dev.ts (src/options, src/react, src/tabs) to its messages.prod.ts twin. Only the Node
 * entry reads process.env (the proxy environment), so an ESM file runs in a browser without a bundler.
 *
 * `ws` and `isomorphic-ws` stay external (they are dependencies, reached only from the Node and server entries);
 * so does `react`, an optional peer dependency imported only by the react entry.
 */
import { build as esbuild, type BuildOptions, type Plugin } from 'esbuild'
import { join } from 'node:path'
import { build as tsup, defineConfig, type Options } from 'tsup'

const TARGET = 'es2022'

/** The entries that validate options, so have a production variant (testing has no messages; react, tabs and the optional APIs share the runtime's chunks, so a production app must get theirs too). */
const RUNTIME_ENTRIES = {
  index: 'src/index.node.ts',
  core: 'src/index.core.ts',
  browser: 'src/index.browser.ts',
  worker: 'src/index.worker.ts',
  react: 'src/index.react.ts',
  tabs: 'src/index.tabs.ts',
  // the optional APIs, each its own import, sharing the runtime's chunks
  monitor: 'src/index.monitor.ts',
  // lifeline.v1 sessions (the `session` option): the protocol only in apps that ask for it
  session: 'src/index.session.ts',
  stream: 'src/index.stream.ts',
  promises: 'src/index.promises.ts',
}

/** Resolves the development messages module to its production twin. */
const productionMessages: Plugin = {
  name: 'production-messages',
  setup(build) {
    build.onResolve({ filter: /[\\/]messages\.dev\.js$/ }, (args) => ({
      path: join(args.resolveDir, args.path.replace(/messages\.dev\.js$/, 'messages.prod.ts')),
    }))
  },
}

/** What the development and production builds share. */
const BOTH = {
  format: ['esm', 'cjs'],
  // one copy of the runtime shared by every entry (in CommonJS too), so importing 'lifeline-ws' and
  // 'lifeline-ws/core' together does not load the state machine twice
  splitting: true,
  sourcemap: true,
  target: TARGET,
  // neutral: nothing Node-specific is assumed; the only import left unbundled is isomorphic-ws
  platform: 'neutral',
  external: ['ws', 'isomorphic-ws', 'react', 'redis'],
} satisfies Options

export default defineConfig({
  ...BOTH,
  entry: {
    ...RUNTIME_ENTRIES,
    testing: 'src/index.testing.ts',
    // Node only (the "node" condition; no production variant: it never ships to browsers); other
    // conditions get the stub that says so
    server: 'src/index.server.ts',
    // the Redis store: its own entry, so lifeline-ws/server never loads `redis` (an optional peer)
    'server-redis': 'src/index.server-redis.ts',
    'server-unsupported': 'src/index.server-unsupported.ts',
  },
  outExtension: ({ format }) => (format === 'cjs' ? { js: '.cjs', dts: '.d.cts' } : { js: '.mjs', dts: '.d.ts' }),
  dts: true,
  clean: true,
  onSuccess: async () => {
    await Promise.all([buildProduction(), buildUmd()])
  },
})

/**
 * The production variants, `<entry>.prod.mjs|cjs`, with their own shared chunks (so importing
 * 'lifeline-ws' and 'lifeline-ws/core' together loads one runtime in production too). Built after
 * the development build, whose `clean` would otherwise race with it.
 */
async function buildProduction(): Promise<void> {
  await tsup({
    ...BOTH,
    config: false,
    entry: Object.fromEntries(Object.entries(RUNTIME_ENTRIES).map(([name, path]) => [`${name}.prod`, path])),
    outExtension: ({ format }) => ({ js: format === 'cjs' ? '.cjs' : '.mjs' }),
    dts: false,
    clean: false,
    esbuildPlugins: [productionMessages],
    silent: true,
  })
}

/**
 * tsup has no UMD format: esbuild builds an IIFE of the browser entry assigned to a local
 * `Lifeline`, and the banner/footer wrap it in the classic UMD prelude (AMD define, CommonJS
 * module.exports, else a global). esbuild shifts the source map past the banner itself. It is the
 * production build: a <script> from a CDN is what ships.
 */
async function buildUmd(): Promise<void> {
  const banner =
    '(function (root, factory) {\n' +
    "  if (typeof define === 'function' && define.amd) define([], factory)\n" +
    "  else if (typeof module === 'object' && module.exports) module.exports = factory()\n" +
    '  else root.Lifeline = factory()\n' +
    "})(typeof globalThis !== 'undefined' ? globalThis : typeof self !== 'undefined' ? self : this, function () {"
  const common: BuildOptions = {
    entryPoints: ['src/index.umd.ts'],
    bundle: true,
    format: 'iife',
    globalName: 'Lifeline',
    platform: 'browser',
    target: TARGET,
    sourcemap: true,
    banner: { js: banner },
    footer: { js: 'return Lifeline\n})' },
    plugins: [productionMessages],
    logLevel: 'warning',
  }
  await Promise.all([
    esbuild({ ...common, outfile: 'dist/lifeline.umd.cjs' }),
    esbuild({ ...common, outfile: 'dist/lifeline.umd.min.cjs', minify: true }),
  ])
}
