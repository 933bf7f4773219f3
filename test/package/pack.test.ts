/**
 * The published package, as a user gets it: `npm pack` the built package (run `npm run build`
 * first; `npm test` does), install the tarball into a fresh consumer project (its dependencies,
 * `ws` and `isomorphic-ws`, come from the npm cache or the registry), and run an ESM and a CommonJS
 * script there against a local echo server.
 */
import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { WebSocketServer } from 'ws'

const run = promisify(execFile)
const ROOT = resolve(import.meta.dirname, '../..')
const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm'

let temp: string
let consumer: string
let packedFiles: string[]
let server: WebSocketServer
let url: string

beforeAll(async () => {
  if (!existsSync(join(ROOT, 'dist/index.mjs'))) throw new Error('dist/ is missing: run `npm run build` first')
  temp = await mkdtemp(join(tmpdir(), 'lifeline-pack-'))
  consumer = join(temp, 'consumer')

  const { stdout } = await run(NPM, ['pack', '--json', '--pack-destination', temp], { cwd: ROOT, env: npmEnv() })
  const [packed] = JSON.parse(stdout) as Array<{ filename: string; files: Array<{ path: string }> }>
  packedFiles = packed!.files.map((f) => f.path)

  await mkdir(consumer)
  await writeFile(join(consumer, 'package.json'), JSON.stringify({ name: 'consumer', version: '1.0.0', private: true }))
  // --prefer-offline: the npm cache answers when it can, the registry otherwise
  await run(
    NPM,
    ['install', join(temp, packed!.filename), '--no-audit', '--no-fund', '--prefer-offline', '--ignore-scripts', '--loglevel=error'],
    { cwd: consumer, env: npmEnv(), timeout: 90_000 },
  )

  server = new WebSocketServer({ host: '127.0.0.1', port: 0 })
  await new Promise<void>((done) => server.once('listening', done))
  server.on('connection', (ws) => ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary })))
  url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}`
}, 120_000)

afterAll(async () => {
  if (server) {
    for (const client of server.clients) client.terminate()
    await new Promise((done) => server.close(done))
  }
  if (temp) await rm(temp, { recursive: true, force: true })
})

/** The parent `npm test` exports npm_config_* and npm_package_* for its own package: not for ours. */
function npmEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env }
  for (const key of Object.keys(env)) {
    if (/^npm_(package|lifecycle|config_(prefix|global|workspaces?|include_workspace_root|dry_run))/i.test(key)) delete env[key]
  }
  return env
}

/** One round trip and a clean close; the process must then exit on its own (no stray timers). */
const SCRIPT_BODY = `
const url = process.argv[2]
const fail = (why) => { console.error(why); process.exit(1) }
setTimeout(() => fail('still running 10 s later: state ' + socket.state), 10_000).unref()
if (typeof core.createSocket !== 'function' || typeof core.transition !== 'function') fail('lifeline-ws/core exports are missing')
if (typeof testing.createVirtualClock !== 'function' || typeof testing.createFakeServer !== 'function') fail('lifeline-ws/testing exports are missing')
if (typeof promises.opened !== 'function' || typeof promises.sendAsync !== 'function' || typeof promises.closeOn !== 'function') fail('lifeline-ws/promises exports are missing')
if (typeof stream.messages !== 'function') fail('lifeline-ws/stream exports are missing')
const socket = createSocket({ url })
const watch = monitoring.monitor(socket)
const seen = []
socket.on('state', (next) => seen.push(next))
socket.on('error', (error) => fail('error event: ' + error.code + ' ' + error.message))
socket.on('open', () => socket.send('hello from ' + KIND))
socket.on('message', (data) => {
  if (String(data) !== 'hello from ' + KIND) fail('unexpected echo: ' + String(data))
  socket.close()
})
process.on('exit', (code) => {
  if (code === 0 && seen.join(',') !== 'connecting,open,closed') {
    console.error('states: ' + seen.join(','))
    process.exitCode = 1
  }
  const { opens, messagesIn, messagesOut } = watch.stats()
  if (code === 0 && [opens, messagesIn, messagesOut].join(',') !== '1,1,1') {
    console.error('lifeline-ws/monitor counted opens, in, out: ' + [opens, messagesIn, messagesOut].join(','))
    process.exitCode = 1
  }
  if (process.exitCode === undefined || process.exitCode === 0) console.log('ok ' + KIND)
})
`

const ESM_SCRIPT = `
import { createSocket, isLifelineError } from 'lifeline-ws'
import * as core from 'lifeline-ws/core'
import * as testing from 'lifeline-ws/testing'
import * as monitoring from 'lifeline-ws/monitor'
import * as promises from 'lifeline-ws/promises'
import * as stream from 'lifeline-ws/stream'
const KIND = 'esm'
if (typeof isLifelineError !== 'function') throw new Error('public exports missing')
${SCRIPT_BODY}`

const CJS_SCRIPT = `
const { createSocket, isLifelineError } = require('lifeline-ws')
const core = require('lifeline-ws/core')
const testing = require('lifeline-ws/testing')
const monitoring = require('lifeline-ws/monitor')
const promises = require('lifeline-ws/promises')
const stream = require('lifeline-ws/stream')
const KIND = 'cjs'
if (typeof isLifelineError !== 'function') throw new Error('public exports missing')
${SCRIPT_BODY}`

async function runScript(name: string, source: string): Promise<string> {
  await writeFile(join(consumer, name), source)
  const { stdout } = await run(process.execPath, [name, url], { cwd: consumer, timeout: 20_000 })
  return stdout.trim()
}

describe('npm pack', () => {
  it('ships dist/ and the package metadata only', () => {
    const stray = packedFiles.filter((path) => !/^(dist\/|package\.json$|README\.md$|LICENSE)/.test(path))
    expect(stray).toEqual([])
    for (const file of ['index', 'core', 'testing', 'browser', 'worker']) {
      for (const ext of ['.mjs', '.cjs', '.d.ts', '.d.cts']) expect(packedFiles).toContain(`dist/${file}${ext}`)
    }
    expect(packedFiles).toContain('dist/lifeline.umd.cjs')
    expect(packedFiles).toContain('dist/lifeline.umd.min.cjs')
    expect(packedFiles).toContain('dist/lifeline.umd.min.cjs.map')
    expect(packedFiles).toContain('LICENSE')
  })

  it('installs with its dependencies and nothing else', async () => {
    expect(existsSync(join(consumer, 'node_modules/ws/package.json'))).toBe(true)
    expect(existsSync(join(consumer, 'node_modules/isomorphic-ws/package.json'))).toBe(true)
    const manifest = JSON.parse(await readFile(join(consumer, 'node_modules/lifeline-ws/package.json'), 'utf8'))
    expect(Object.keys(manifest.dependencies ?? {}).sort()).toEqual(['isomorphic-ws', 'ws'])
  })

  it('resolves the Node build for import and require', async () => {
    const script = `
      console.log(require.resolve('lifeline-ws'))
      console.log(require.resolve('lifeline-ws/core'))
    `
    await writeFile(join(consumer, 'resolve.cjs'), script)
    const { stdout } = await run(process.execPath, ['resolve.cjs'], { cwd: consumer })
    const [main, core] = stdout.trim().split('\n')
    expect(main).toMatch(/node_modules[\\/]lifeline-ws[\\/]dist[\\/]index\.cjs$/)
    expect(core).toMatch(/dist[\\/]core\.cjs$/)
    await writeFile(join(consumer, 'resolve.mjs'), `console.log(import.meta.resolve('lifeline-ws'))`)
    const esm = await run(process.execPath, ['resolve.mjs'], { cwd: consumer })
    expect(esm.stdout.trim()).toMatch(/node_modules\/lifeline-ws\/dist\/index\.mjs$/)
  })

  it('ESM: import { createSocket } from "lifeline-ws" round-trips a message and exits', async () => {
    expect(await runScript('esm.mjs', ESM_SCRIPT)).toBe('ok esm')
  })

  it('CommonJS: require("lifeline-ws") round-trips a message and exits', async () => {
    expect(await runScript('cjs.cjs', CJS_SCRIPT)).toBe('ok cjs')
  })

  it('lifeline-ws/server: import and require both give attachSessions, which attaches to a ws server and lets go', async () => {
    const body = `
const wss = new WebSocketServer({ noServer: true })
const sessions = attachSessions(wss, { resumeWindow: 1000 })
if (sessions.size !== 0 || typeof memoryStore !== 'function') throw new Error('server exports missing')
sessions.close()
console.log('ok ' + KIND)`
    await writeFile(join(consumer, 'server.mjs'), `import { attachSessions, memoryStore } from 'lifeline-ws/server'\nimport { WebSocketServer } from 'ws'\nconst KIND = 'esm'\n${body}`)
    await writeFile(join(consumer, 'server.cjs'), `const { attachSessions, memoryStore } = require('lifeline-ws/server')\nconst { WebSocketServer } = require('ws')\nconst KIND = 'cjs'\n${body}`)
    for (const [file, kind] of [['server.mjs', 'esm'], ['server.cjs', 'cjs']] as const) {
      const { stdout } = await run(process.execPath, [file], { cwd: consumer, timeout: 20_000 })
      expect(stdout.trim()).toBe(`ok ${kind}`)
    }
  })
})
