#!/usr/bin/env node
/**
 * npm run playground         build the package if dist/ is missing, then start the app server,
 *                            the fault proxy and the Vite dev server (with the control API) on
 *                            127.0.0.1, and print the URL. PORT=… picks the web port (default 5173).
 * npm run playground:build   build the package if needed, then the static page into playground/dist/.
 * node playground/cli.mjs --static   serve that static build (with the servers and the control API).
 */
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { PACKAGE_ROOT, PLAYGROUND_DIR, startPlayground } from './server.mjs'

/** The page imports the built package (dist/), as a user would: build it once if it is not there. */
function ensurePackageBuilt() {
  const needed = ['browser.mjs', 'worker.mjs', 'core.mjs', 'monitor.mjs', 'session.mjs', 'server.mjs'].map((file) => join(PACKAGE_ROOT, 'dist', file))
  if (needed.every((file) => existsSync(file))) return
  console.log('[playground] dist/ is missing: building the package (npx tsup)…')
  const result = spawnSync('npx', ['tsup'], { cwd: PACKAGE_ROOT, stdio: 'inherit' })
  if (result.status !== 0) {
    console.error('[playground] the package build failed')
    process.exit(result.status ?? 1)
  }
}

const args = process.argv.slice(2)
ensurePackageBuilt()

if (args.includes('--build')) {
  const { build } = await import('vite')
  await build({ configFile: join(PLAYGROUND_DIR, 'vite.config.ts') })
  console.log(`[playground] static build in ${join(PLAYGROUND_DIR, 'dist')} (serve it with: node playground/cli.mjs --static)`)
} else {
  const playground = await startPlayground({
    port: Number(process.env.PORT ?? 5173),
    staticDir: args.includes('--static') ? join(PLAYGROUND_DIR, 'dist') : undefined,
  })
  console.log(`\n  lifeline-ws playground  ${playground.url}\n`)
  console.log(`  page → ${playground.wsUrl} (fault proxy) → app server on 127.0.0.1:${playground.app.port}`)
  console.log('  Ctrl+C to stop\n')
  let stopping = false
  const stop = async () => {
    if (stopping) return
    stopping = true
    await playground.close()
    process.exit(0)
  }
  process.on('SIGINT', stop)
  process.on('SIGTERM', stop)
}
