/**
 * The development and production builds (run `npm run build` first; `npm test` does). The
 * production build keeps every check and throws the same error classes, with short messages
 * naming the option and the value; the "production" export condition reaches it; the UMD files are
 * it; and no file of dist/ reads process.env (an ESM file must run in a browser without a bundler).
 */
import { execFile } from 'node:child_process'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { promisify } from 'node:util'
import vm from 'node:vm'
import { build } from 'esbuild'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import * as source from '../../src/index.core.js'
import { createFakeServer, createVirtualClock } from '../../src/index.testing.js'
import * as devMessages from '../../src/options/messages.dev.js'
import * as prodMessages from '../../src/options/messages.prod.js'

const ROOT = resolve(import.meta.dirname, '../..')
const DIST = join(ROOT, 'dist')

type Core = typeof source

let development: Core
let production: Core

beforeAll(async () => {
  if (!existsSync(join(DIST, 'core.prod.mjs'))) throw new Error('dist/ is missing: run `npm run build` first')
  development = await import(pathToFileURL(join(DIST, 'core.mjs')).href)
  production = await import(pathToFileURL(join(DIST, 'core.prod.mjs')).href)
})

// compile time: the production messages module stands in for the development one, so it must
// export the same functions with the same signatures (tsc -p . checks these two lines)
const asDevelopment: typeof devMessages = prodMessages
const asProduction: typeof prodMessages = devMessages

it('messages.prod.ts exports exactly what messages.dev.ts does', () => {
  expect(Object.keys(asDevelopment).sort()).toEqual(Object.keys(asProduction).sort())
})

const clock = createVirtualClock()
const ports = { WebSocket: createFakeServer({ clock }).WebSocket, timer: clock, random: () => 0.5 }

/** Bad options, the class both builds throw, and the production message. */
const BAD: Array<[string, Record<string, unknown>, string, string]> = [
  ['initialDelay below 10 ms', { backoff: { initialDelay: 1e-9 } }, 'RangeError', 'backoff.initialDelay: 1e-9'],
  ['a typo', { conectTimeout: 5 }, 'TypeError', 'Unknown option "conectTimeout"'],
  ['a typo in a group', { backoff: { maxDelays: 5 } }, 'TypeError', 'Unknown option "backoff.maxDelays"'],
  ['lazy not a boolean', { lazy: 'yes' }, 'TypeError', 'lazy: "yes"'],
  ['url not a string', { url: 42 }, 'TypeError', 'url: 42'],
  ['url scheme (redacted)', { url: 'ftp://x.test/?token=abc' }, 'SyntaxError', 'url: "ftp://x.test/?token=***"'],
  ['url fragment', { url: 'wss://x.test/#access_token=abc' }, 'SyntaxError', 'url: "wss://x.test/#***"'],
  ['repeated subprotocol', { protocols: ['a', 'a'] }, 'SyntaxError', 'protocols[1]: repeated'],
  ['invalid subprotocol (never quoted)', { protocols: ['bearer', 'secret token'] }, 'SyntaxError', 'protocols[1]: invalid'],
  ['overflow not a choice', { queue: { overflow: 'drop' } }, 'TypeError', 'queue.overflow: "drop"'],
  ['maxDelay below initialDelay', { backoff: { maxDelay: 500 } }, 'RangeError', 'backoff.maxDelay: 500 < 1000'],
  ['heartbeat null', { heartbeat: null }, 'TypeError', 'heartbeat: null'],
  ['protocol pings without ping frames', { heartbeat: { mode: 'protocol' } }, 'TypeError', 'heartbeat.mode: "protocol" (no ping frames)'],
  ['message pings without a message', { heartbeat: { mode: 'message' } }, 'TypeError', 'heartbeat.message: undefined'],
  ['connectTimeout zero', { connectTimeout: 0 }, 'RangeError', 'connectTimeout: 0'],
  ['random not a function', { random: 1 }, 'TypeError', 'random: 1'],
]

function thrown(core: Core, options: Record<string, unknown>): Error {
  try {
    core.resolveOptions({ url: 'wss://x.test/live', ...ports, ...options } as never)
  } catch (error) {
    return error as Error
  }
  throw new Error('nothing thrown')
}

describe('the production build keeps every check, with short messages', () => {
  it.each(BAD)('%s', (_, options, errorClass, message) => {
    const dev = thrown(development, options)
    const prod = thrown(production, options)
    // the development build says what the source says, in full
    expect(dev.message).toBe(thrown(source, options).message)
    expect([dev.constructor.name, prod.constructor.name]).toEqual([errorClass, errorClass])
    expect(prod.message).toBe(message)
    expect(prod.message.length).toBeLessThan(dev.message.length)
  })

  it('send() of a wrong value: the same TypeError, named, short', () => {
    const socket = production.createSocket({ url: 'wss://x.test/live', ...ports, lazy: true, heartbeat: false })
    expect(() => socket.send(Symbol('x') as never)).toThrow(new TypeError('send(data): data: Symbol(x)'))
    socket.close()
  })

  /** A misuse of a socket's method, the class both builds throw, and the production message. */
  const MISUSE: Array<[string, (socket: ReturnType<Core['createSocket']>) => void, string, string]> = [
    ['close() with a reserved code', (s) => s.close(1001), 'RangeError', 'close(code): code: 1001'],
    ['close() with a reason not a string', (s) => s.close(1000, 7 as never), 'TypeError', 'close(code, reason): reason: 7'],
    ['close() with a reason too long', (s) => s.close(1000, 'x'.repeat(124)), 'SyntaxError', `close(code, reason): reason: "${'x'.repeat(57)}..."`],
    ['on() an unknown event', (s) => s.on('opne' as never, (() => {}) as never), 'TypeError', 'on(event): "opne"'],
    ['on() without a function', (s) => s.on('open', 'fn' as never), 'TypeError', 'on("open", listener): listener: "fn"'],
    ['signal() an unknown name', (s) => s.signal('sleep' as never), 'TypeError', 'signal(name): "sleep"'],
    ['binaryType set to a wrong value', (s) => (s.binaryType = 'text' as never), 'TypeError', 'binaryType: "text"'],
  ]

  it.each(MISUSE)('%s: the same error class, a short message', (_, misuse, errorClass, message) => {
    const caught = (core: Core): Error => {
      const socket = core.createSocket({ url: 'wss://x.test/live', ...ports, lazy: true, heartbeat: false })
      try {
        misuse(socket)
      } catch (error) {
        return error as Error
      } finally {
        socket.close()
      }
      throw new Error('nothing thrown')
    }
    const dev = caught(development)
    const prod = caught(production)
    expect(dev.message).toBe(caught(source).message)
    expect([dev.constructor.name, prod.constructor.name]).toEqual([errorClass, errorClass])
    expect(prod.message).toBe(message)
    expect(prod.message.length).toBeLessThan(dev.message.length)
  })
})

describe('the "production" export condition', () => {
  let app: string
  const run = promisify(execFile)

  beforeAll(async () => {
    app = await mkdtemp(join(tmpdir(), 'lifeline-conditions-'))
    await mkdir(join(app, 'node_modules'))
    await symlink(ROOT, join(app, 'node_modules/lifeline-ws'), 'junction')
    await writeFile(join(app, 'app.mjs'), `export { createSocket } from 'lifeline-ws'\nexport { transition } from 'lifeline-ws/core'\n`)
  })

  afterAll(async () => {
    if (app) await rm(app, { recursive: true, force: true })
  })

  async function inputs(platform: 'browser' | 'neutral' | 'node', conditions: string[]): Promise<string[]> {
    const result = await build({
      entryPoints: [join(app, 'app.mjs')],
      bundle: true,
      write: false,
      metafile: true,
      format: 'esm',
      platform,
      conditions,
      external: ['ws', 'isomorphic-ws'],
      absWorkingDir: app,
      logLevel: 'silent',
    })
    return Object.keys(result.metafile.inputs)
      .filter((p) => /dist[\\/]/.test(p))
      .map((p) => p.replace(/^.*dist[\\/]/, ''))
  }

  it.each([
    ['browser', [], 'browser.mjs', 'core.mjs'],
    ['browser', ['development'], 'browser.mjs', 'core.mjs'],
    ['browser', ['production'], 'browser.prod.mjs', 'core.prod.mjs'],
    ['neutral', ['worker', 'production'], 'worker.prod.mjs', 'core.prod.mjs'],
    ['node', ['production'], 'index.prod.mjs', 'core.prod.mjs'],
  ] as const)('esbuild --platform=%s --conditions=%j: %s and %s', async (platform, conditions, entry, core) => {
    const files = await inputs(platform, [...conditions])
    expect(files).toContain(entry)
    expect(files).toContain(core)
    // one build only: a production bundle never pulls in a development chunk, nor the reverse
    const production = files.some((f) => f.includes('.prod.'))
    // chunks are named chunk-<hash>, or <module>-<hash> when loaded with import() (`session: true`'s option-<hash>)
    const chunk = (f: string): boolean => f.startsWith('chunk-') || /^option-\w+\.mjs$/.test(f)
    expect(files.filter((f) => /\.(mjs|cjs)$/.test(f) && !chunk(f) && f.includes('.prod.') !== production)).toEqual([])
  })

  it('node --conditions=production: import and require() get the production Node build; without it, the development one', async () => {
    const resolveIn = async (flags: string[], type: 'module' | 'commonjs') => {
      const script = type === 'module' ? `console.log(import.meta.resolve('lifeline-ws'))` : `console.log(require.resolve('lifeline-ws'))`
      const { stdout } = await run(process.execPath, [...flags, `--input-type=${type}`, '-e', script], { cwd: app, timeout: 10_000 })
      return stdout.trim().replace(/^.*dist[\\/]/, '')
    }
    expect(await resolveIn(['--conditions=production'], 'module')).toBe('index.prod.mjs')
    expect(await resolveIn(['--conditions=production'], 'commonjs')).toBe('index.prod.cjs')
    expect(await resolveIn([], 'module')).toBe('index.mjs')
    expect(await resolveIn([], 'commonjs')).toBe('index.cjs')
  })
})

describe('the UMD files are the production build', () => {
  it.each(['lifeline.umd.cjs', 'lifeline.umd.min.cjs'])('%s throws the production messages', (name) => {
    const code = readFileSync(join(DIST, name), 'utf8')
    expect(code).not.toContain('did you mean')
    const context = vm.createContext({ URL })
    vm.runInContext(code, context)
    const api = (context as { Lifeline: Core }).Lifeline
    for (const [, options, errorClass, message] of BAD.slice(0, 8)) {
      let error: Error | undefined
      try {
        api.createSocket({ url: 'wss://x.test/live', ...ports, ...options } as never)
      } catch (caught) {
        error = caught as Error
      }
      expect(error?.constructor.name).toBe(errorClass)
      expect(error?.message).toBe(message)
    }
  })
})

describe('no file a browser, worker or bundler loads reads process.env', () => {
  /** A bare `process.env`, `process?.env` or `process["env"]` (a ReferenceError where there is no `process`). */
  const READS_ENV = /(?<![\w$.])process\s*(?:\??\.\s*env\b|(?:\?\.)?\[\s*["'`]env["'`]\s*\])/

  it('the check finds the forms a build could contain', () => {
    for (const code of ['process.env.NODE_ENV', 'if (process .env.DEBUG)', 'process?.env', '(process["env"])']) expect(code).toMatch(READS_ENV)
    for (const code of ['processEnv', 'preprocess.envelope', 'globalThis.process?.env']) expect(code).not.toMatch(READS_ENV)
  })

  it('every .mjs/.cjs file, development and production, UMD included, but the Node entry (it reads the proxy environment)', () => {
    const files = readdirSync(DIST).filter((f) => /\.(mjs|cjs)$/.test(f))
    expect(files).toEqual(expect.arrayContaining(['browser.mjs', 'browser.prod.mjs', 'lifeline.umd.min.cjs']))
    const nodeOnly = /^index(\.prod)?\.(mjs|cjs)$/
    expect(files.filter((f) => READS_ENV.test(readFileSync(join(DIST, f), 'utf8')) && !nodeOnly.test(f))).toEqual([])
  })
})
