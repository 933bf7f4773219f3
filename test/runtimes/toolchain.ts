/**
 * Where the runtimes of runtimes.test.ts come from. Node 20 is the Node running the tests; Node 22,
 * Node 24, Bun and Deno are npm packages that ship the real binaries:
 *
 *   node22 → `npm:node@22`, node24 → `npm:node@24`, bun → `bun`, deno → `deno`
 *
 * They are looked up, in order, in
 *   1. $LIFELINE_RUNTIMES_DIR (a node_modules folder), when set;
 *   2. test/runtimes/toolchain/node_modules (`npm ci --prefix test/runtimes/toolchain`): the
 *      separate install keeps the `node` binaries off the project's node_modules/.bin, where they
 *      would shadow the system Node in every npm script;
 *   3. the project's node_modules.
 * $LIFELINE_NODE22, $LIFELINE_NODE24, $LIFELINE_BUN, $LIFELINE_DENO name a binary directly.
 *
 * Every candidate is checked by running `--version`, and its major version must match. A runtime
 * that cannot be found throws (the test fails with the message): it is never skipped.
 */
import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { promisify } from 'node:util'

const run = promisify(execFile)

export type RuntimeName = 'node20' | 'node22' | 'node24' | 'bun' | 'deno'

export interface Runtime {
  name: RuntimeName
  /** e.g. 'Node 22' */
  label: string
  /** The binary. */
  path: string
  /** Arguments before the script: Deno needs `run` and its permissions. */
  runArgs: string[]
  /** e.g. '22.23.3', '1.4.5', '2.9.6' */
  version: string
}

interface Spec {
  label: string
  env: string
  /** Paths inside a node_modules folder, first match wins. */
  inside: string[]
  runArgs: string[]
  /** The version from `--version` output. */
  parse: (output: string) => string | undefined
  major?: number
}

const platform = `${process.platform}-${process.arch}`
const nodeVersion = (out: string) => /^v(\d+\.\d+\.\d+)/.exec(out.trim())?.[1]

const SPECS: Record<Exclude<RuntimeName, 'node20'>, Spec> = {
  node22: {
    label: 'Node 22',
    env: 'LIFELINE_NODE22',
    // bin/node is put there by the package's preinstall; node-<platform> is where it comes from
    inside: ['node22/bin/node', `node22/node_modules/node-${platform}/bin/node`],
    runArgs: [],
    parse: nodeVersion,
    major: 22,
  },
  node24: {
    label: 'Node 24',
    env: 'LIFELINE_NODE24',
    inside: ['node24/bin/node', `node24/node_modules/node-${platform}/bin/node`],
    runArgs: [],
    parse: nodeVersion,
    major: 24,
  },
  bun: {
    label: 'Bun',
    env: 'LIFELINE_BUN',
    // bin/bun.exe is replaced by the real binary in the package's postinstall
    inside: [
      'bun/bin/bun.exe',
      `@oven/bun-${platform}/bin/bun`,
      `@oven/bun-${platform}-baseline/bin/bun`,
      `@oven/bun-${platform}-musl/bin/bun`,
    ],
    runArgs: ['run', '--no-install'],
    parse: (out) => /^(\d+\.\d+\.\d+)/.exec(out.trim())?.[1],
  },
  deno: {
    label: 'Deno',
    env: 'LIFELINE_DENO',
    inside: ['deno/deno', `@deno/${platform}-glibc/deno`, `@deno/${platform}/deno`],
    runArgs: ['run', '--no-prompt', '--allow-net', '--allow-read', '--allow-env'],
    parse: (out) => /^deno (\d+\.\d+\.\d+)/.exec(out.trim())?.[1],
  },
}

const INSTALL_HINT =
  'Install the runtimes with `npm ci --prefix test/runtimes/toolchain` (they are pinned in ' +
  'test/runtimes/toolchain/package-lock.json), or point $LIFELINE_RUNTIMES_DIR at a node_modules folder that has them.'

/** Find and check one runtime; throws a message that says what was tried and how to fix it. */
export async function findRuntime(name: RuntimeName, root: string): Promise<Runtime> {
  if (name === 'node20') {
    const version = process.versions.node
    if (!version.startsWith('20.')) {
      throw new Error(
        `Node 20 is the Node that runs the tests (${process.execPath}), but it is ${version}. ` +
          'Is a `node` binary from an npm package (node_modules/.bin/node) shadowing the system Node in this npm script?',
      )
    }
    return { name, label: 'Node 20', path: process.execPath, runArgs: [], version }
  }

  const spec = SPECS[name]
  const folders = [process.env.LIFELINE_RUNTIMES_DIR, join(root, 'test/runtimes/toolchain/node_modules'), join(root, 'node_modules')]
  const candidates = [
    ...(process.env[spec.env] ? [process.env[spec.env]!] : []),
    ...folders.flatMap((folder) => (folder ? spec.inside.map((inside) => join(folder, inside)) : [])),
  ]
  const problems: string[] = []
  for (const path of candidates) {
    if (!existsSync(path)) continue
    let output: string
    try {
      output = (await run(path, ['--version'], { timeout: 20_000 })).stdout
    } catch (error) {
      problems.push(`${path}: \`--version\` failed: ${(error as Error).message.split('\n')[0]}`)
      continue
    }
    const version = spec.parse(output)
    if (!version) {
      problems.push(`${path}: unexpected \`--version\` output ${JSON.stringify(output.slice(0, 80))}`)
      continue
    }
    if (spec.major !== undefined && Number(version.split('.')[0]) !== spec.major) {
      problems.push(`${path} is ${version}, not ${spec.major}.x`)
      continue
    }
    return { name, label: spec.label, path, runArgs: spec.runArgs, version }
  }
  throw new Error(
    `${spec.label} was not found. ${INSTALL_HINT}\n` +
      `Looked for: ${candidates.length > 0 ? candidates.join(', ') : '(no candidates)'}` +
      (problems.length > 0 ? `\nRejected: ${problems.join('; ')}` : ''),
  )
}
