/**
 * dist/lifeline.umd(.min).js under each loader it supports (a plain script, AMD define, CommonJS
 * module.exports), its source maps, and the browser builds in a real Chromium against a local
 * `ws` echo server. Run `npm run build` first (`npm test` does).
 *
 * Node itself cannot require() the UMD file: the package is "type": "module", so Node reads any
 * .js in it as ESM. The CommonJS branch is for CommonJS loaders that do not apply that rule
 * (browserify, RequireJS's CommonJS wrapper, older bundlers); Node users have dist/index.cjs.
 */
import { existsSync, readFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import { SourceMap } from 'node:module'
import type { AddressInfo } from 'node:net'
import { join, resolve } from 'node:path'
import vm from 'node:vm'
import { chromium, type Browser, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { WebSocketServer } from 'ws'
import { CHROMIUM, CHROMIUM_ARGS, requireChromium } from '../support/chromium.js'

const DIST = resolve(import.meta.dirname, '../../dist')
const UMD_FILES = ['lifeline.umd.js', 'lifeline.umd.min.js']

function umd(name: string): string {
  const path = join(DIST, name)
  if (!existsSync(path)) throw new Error('dist/ is missing: run `npm run build` first')
  return readFileSync(path, 'utf8')
}

function expectApi(api: unknown): void {
  const exports = api as Record<string, unknown>
  expect(typeof exports.createSocket).toBe('function')
  expect(typeof exports.isLifelineError).toBe('function')
  expect(typeof exports.LifelineError).toBe('function')
}

describe.each(UMD_FILES)('%s', (name) => {
  it('as a plain <script>: defines the global Lifeline and nothing else', () => {
    const context = vm.createContext({})
    const before = new Set(Object.keys(context))
    vm.runInContext(umd(name), context)
    expectApi((context as { Lifeline?: unknown }).Lifeline)
    expect(Object.keys(context).filter((k) => !before.has(k))).toEqual(['Lifeline'])
  })

  it('under AMD: calls define() with the factory and sets no global', () => {
    let defined: unknown
    const define = Object.assign(
      (deps: unknown, factory: () => unknown) => {
        expect(deps).toEqual([])
        defined = factory()
      },
      { amd: {} },
    )
    const context = vm.createContext({ define })
    vm.runInContext(umd(name), context)
    expectApi(defined)
    expect((context as { Lifeline?: unknown }).Lifeline).toBeUndefined()
  })

  it('under CommonJS: fills module.exports and sets no global', () => {
    const module = { exports: {} as unknown }
    const context = vm.createContext({ module, exports: module.exports })
    vm.runInContext(umd(name), context)
    expectApi(module.exports)
    expect((context as { Lifeline?: unknown }).Lifeline).toBeUndefined()
  })

  it('has a source map that points back into src/ past the UMD prelude', () => {
    const code = umd(name)
    expect(code.trimEnd().split('\n').at(-1)).toBe(`//# sourceMappingURL=${name}.map`)
    const map = JSON.parse(readFileSync(join(DIST, `${name}.map`), 'utf8'))
    expect(map.sources.some((s: string) => s.endsWith('src/adapters/browser.ts'))).toBe(true)
    // where the generated code says "visibilitychange", the map must say browser.ts
    const lines = code.split('\n')
    const line = lines.findIndex((l) => l.includes('"visibilitychange"'))
    const column = lines[line]!.indexOf('"visibilitychange"')
    const entry = new SourceMap(map).findEntry(line, column) as { originalSource?: string; originalLine?: number }
    expect(entry.originalSource).toMatch(/src\/adapters\/browser\.ts$/)
    const original = readFileSync(resolve(DIST, entry.originalSource!), 'utf8')
    expect(original.split('\n')[entry.originalLine!]).toContain('visibilitychange')
  })
})

describe('in Chromium', () => {
  let http: Server
  let wss: WebSocketServer
  let origin: string
  let browser: Browser

  beforeAll(async () => {
    http = createServer((req, res) => {
      const path = new URL(req.url ?? '/', 'http://x').pathname
      if (path === '/') {
        res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>lifeline-ws</title>')
        return
      }
      const file = join(DIST, path.slice(1))
      if (!file.startsWith(DIST) || !existsSync(file)) {
        res.writeHead(404).end()
        return
      }
      res.writeHead(200, { 'content-type': file.endsWith('.map') ? 'application/json' : 'text/javascript' })
      res.end(readFileSync(file))
    })
    wss = new WebSocketServer({ server: http })
    wss.on('connection', (ws) => ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary })))
    await new Promise<void>((done) => http.listen(0, '127.0.0.1', done))
    origin = `127.0.0.1:${(http.address() as AddressInfo).port}`
    requireChromium()
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS })
  }, 30_000)

  afterAll(async () => {
    await browser?.close()
    for (const client of wss?.clients ?? []) client.terminate()
    wss?.close()
    await new Promise((done) => (http ? http.close(done) : done(undefined)))
  })

  /**
   * In the page: count the listeners added to window and document, echo one message, go offline
   * and online again (the socket must drop and come back), restore from the bfcache, close, and
   * check that every listener was removed.
   */
  async function scenario(page: Page, url: string): Promise<unknown> {
    return page.evaluate(async (url) => {
      const api = (window as unknown as { lifeline: { createSocket: (o: { url: string }) => any } }).lifeline
      let net = 0
      for (const target of [window, document] as EventTarget[]) {
        const add = target.addEventListener.bind(target)
        const remove = target.removeEventListener.bind(target)
        target.addEventListener = (...args: Parameters<EventTarget['addEventListener']>) => (net++, add(...args))
        target.removeEventListener = (...args: Parameters<EventTarget['removeEventListener']>) => (net--, remove(...args))
      }
      const socket = api.createSocket({ url })
      const listening = net
      const states: string[] = []
      const signals: string[] = []
      const signal = socket.signal.bind(socket)
      socket.signal = (name: string) => (signals.push(name), signal(name))
      socket.on('state', (next: string) => states.push(next))
      const next = (event: string) => new Promise<any>((done) => { const off = socket.on(event, (v: unknown) => (off(), done(v))) })

      await next('open')
      socket.send('hello')
      const echo = await next('message')
      window.dispatchEvent(new Event('offline'))
      const afterOffline = socket.state
      window.dispatchEvent(new Event('online'))
      await next('open')
      window.dispatchEvent(new PageTransitionEvent('pageshow', { persisted: true }))
      window.dispatchEvent(new PageTransitionEvent('pageshow', { persisted: false }))
      socket.close()
      return { echo, listening, afterOffline, states, signals, left: net, final: socket.state }
    }, url)
  }

  const expected = {
    echo: 'hello',
    listening: 4, // window: online, offline, pageshow; document: visibilitychange
    afterOffline: 'backoff',
    states: ['connecting', 'open', 'backoff', 'connecting', 'open', 'closed'],
    signals: ['offline', 'online', 'visible'],
    left: 0,
    final: 'closed',
  }

  it('the UMD file under <script> echoes, follows online/offline/pageshow and cleans up', async () => {
    const page = await browser.newPage()
    try {
      await page.goto(`http://${origin}/`)
      await page.addScriptTag({ url: '/lifeline.umd.min.js' })
      await page.evaluate(() => {
        ;(window as unknown as { lifeline: unknown }).lifeline = (window as unknown as { Lifeline: unknown }).Lifeline
      })
      expect(await scenario(page, `ws://${origin}/`)).toEqual(expected)
    } finally {
      await page.close()
    }
  })

  it('the ESM browser build loads unbundled (<script type=module>) and does the same', async () => {
    const page = await browser.newPage()
    try {
      await page.goto(`http://${origin}/`)
      await page.addScriptTag({ type: 'module', content: `import * as lifeline from '/browser.mjs'; window.lifeline = lifeline` })
      await page.waitForFunction(() => 'lifeline' in window)
      expect(await scenario(page, `ws://${origin}/`)).toEqual(expected)
    } finally {
      await page.close()
    }
  })
})
