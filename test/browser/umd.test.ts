/**
 * The UMD file and the ESM browser build in a real Chromium (Debian's, /usr/bin/chromium) against a
 * local `ws` echo server. Run `npm run build` first (`npm test` does). Moved here from
 * test/package/umd.test.ts so that `npm run test:quick` (no browsers) runs the loader tests alone.
 */
import { existsSync, readFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join, resolve } from 'node:path'
import { chromium, type Browser, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { WebSocketServer } from 'ws'
import { CHROMIUM, CHROMIUM_ARGS, requireChromium } from '../support/chromium.js'

const DIST = resolve(import.meta.dirname, '../../dist')

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
    listening: 7, // window: online, offline, pagehide, pageshow; document: visibilitychange, freeze, resume
    afterOffline: 'backoff',
    states: ['connecting', 'open', 'backoff', 'connecting', 'open', 'closed'],
    // a page restored from the back/forward cache resumes; a pageshow that is not a restore is no news
    signals: ['offline', 'online', 'resume'],
    left: 0,
    final: 'closed',
  }

  it('the UMD file under <script> echoes, follows online/offline/pageshow and cleans up', async () => {
    const page = await browser.newPage()
    try {
      await page.goto(`http://${origin}/`)
      await page.addScriptTag({ url: '/lifeline.umd.min.cjs' })
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

  /**
   * The drop-in keeps the page's WebSocket default for binaryType (issue 17), so binary event.data
   * stays a Blob after migrating from reconnecting-websocket or partysocket; createSocket keeps its own.
   */
  it.each([
    { loader: 'the UMD file under <script>', load: (page: Page) => page.addScriptTag({ url: '/lifeline.umd.min.cjs' }).then(() => page.evaluate(() => ((window as any).lifeline = (window as any).Lifeline))) },
    { loader: 'the ESM browser build', load: (page: Page) => page.addScriptTag({ type: 'module', content: `import * as lifeline from '/browser.mjs'; window.lifeline = lifeline` }).then(() => page.waitForFunction(() => 'lifeline' in window)) },
  ])("$loader: the drop-in's binaryType is the page WebSocket's ('blob'), binary event.data a Blob; createSocket's stays 'arraybuffer'", async ({ load }) => {
    const page = await browser.newPage()
    try {
      await page.goto(`http://${origin}/`)
      await load(page)
      const seen = await page.evaluate(async (url) => {
        const api = (window as unknown as { lifeline: { createSocket: (o: object) => any; ReconnectingWebSocket: new (url: string, p?: unknown, o?: object) => any } }).lifeline
        const native = new WebSocket(url)
        const platform = native.binaryType
        native.close()
        const ws = new api.ReconnectingWebSocket(url, undefined, { heartbeat: false })
        const dropIn = ws.binaryType
        const data = await new Promise<unknown>((done) => {
          ws.onopen = () => ws.send(new Uint8Array([1, 2, 3]))
          ws.onmessage = (event: MessageEvent) => done(event.data)
        })
        ws.close()
        const socket = api.createSocket({ url, lazy: true })
        const own = socket.binaryType
        socket.close()
        return { platform, dropIn, blob: data instanceof Blob, bytes: data instanceof Blob ? [...new Uint8Array(await data.arrayBuffer())] : data, own }
      }, `ws://${origin}/`)
      expect(seen).toEqual({ platform: 'blob', dropIn: 'blob', blob: true, bytes: [1, 2, 3], own: 'arraybuffer' })
    } finally {
      await page.close()
    }
  })
})
