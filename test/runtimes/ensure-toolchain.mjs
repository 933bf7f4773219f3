// Installs the runtimes that test/runtimes/runtimes.test.ts needs (Node 22, Node 24, Bun, Deno:
// real binaries shipped in npm packages, pinned in toolchain/package-lock.json) into
// test/runtimes/toolchain/node_modules, unless what is there already matches the lockfile.
//
//   node test/runtimes/ensure-toolchain.mjs
//
// A separate install on purpose: in the project's own node_modules, the `node` packages would put
// their binary at node_modules/.bin/node, and every npm script (vitest, tsc, tsup) would then run
// on Node 22 or 24 instead of the system Node.
import { execFileSync } from 'node:child_process'
import { existsSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'

const dir = join(import.meta.dirname, 'toolchain')
const lock = JSON.parse(readFileSync(join(dir, 'package-lock.json'), 'utf8'))

/** Each package, and the binary its install scripts leave in place (bigger than any stub). */
const WANTED = {
  node22: 'bin/node',
  node24: 'bin/node',
  bun: 'bin/bun.exe',
  deno: 'deno',
}

function missing() {
  const problems = []
  for (const [name, binary] of Object.entries(WANTED)) {
    const locked = lock.packages[`node_modules/${name}`]?.version
    const manifest = join(dir, 'node_modules', name, 'package.json')
    const installed = existsSync(manifest) ? JSON.parse(readFileSync(manifest, 'utf8')).version : undefined
    const bin = join(dir, 'node_modules', name, binary)
    if (!locked) problems.push(`${name} is not in toolchain/package-lock.json`)
    else if (installed !== locked) problems.push(`${name}: ${installed ?? 'not installed'}, locked ${locked}`)
    else if (!existsSync(bin) || statSync(bin).size < 1_000_000) problems.push(`${name}: ${bin} is missing or a stub`)
  }
  return problems
}

const before = missing()
const runtimes = Object.keys(WANTED).map((name) => `${name}@${lock.packages[`node_modules/${name}`]?.version ?? '?'}`)
if (before.length === 0) {
  console.log(`[runtimes] ${runtimes.join(', ')} are installed in test/runtimes/toolchain: nothing to install`)
  process.exit(0)
}
console.log(
  `[runtimes] installing ${runtimes.join(', ')} (npm packages shipping real binaries, pinned in ` +
    `test/runtimes/toolchain/package-lock.json) into test/runtimes/toolchain/node_modules for ` +
    `test/runtimes/runtimes.test.ts, because:\n${before.map((why) => `  - ${why}`).join('\n')}`,
)

// Run from an npm script, npm's own settings for this project are in the environment: drop them.
const env = { ...process.env }
for (const key of Object.keys(env)) {
  if (/^npm_(package|lifecycle|config_(prefix|global|workspaces?|include_workspace_root|dry_run|ignore_scripts))/i.test(key)) delete env[key]
}
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm'
execFileSync(npm, ['ci', '--prefix', dir, '--no-audit', '--no-fund', '--loglevel=error'], { stdio: 'inherit', env })

const after = missing()
if (after.length > 0) {
  console.error(`test/runtimes/toolchain: still incomplete after npm ci: ${after.join('; ')}`)
  process.exit(1)
}
