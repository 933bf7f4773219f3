/**
 * The browser and worker adapters against a fake page: which environment events become which
 * signals, that every listener is gone once the socket is closed, and that importing the built
 * entries touches nothing. (test/package/umd.test.ts runs the same code in a real Chromium.)
 */
import { existsSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { afterEach, describe, expect, it, onTestFinished, vi } from 'vitest'
import { attachBrowserSignals, browserDefaults } from '../../src/adapters/browser.js'
import { ONLINE_POLL_MS, workerAdapter, workerDefaults } from '../../src/adapters/worker.js'
import type { EnvSignal } from '../../src/core/state.js'
import { createSocket as createBrowserSocket } from '../../src/index.browser.js'
import { createSocket as createWorkerSocket } from '../../src/index.worker.js'
import { createVirtualClock } from '../../src/testing/clock.js'
import { createFakeServer } from '../../src/testing/fake-websocket.js'

type Listener = (event: unknown) => void

/** An EventTarget that records its listeners, to dispatch plain objects and count what is left. */
function fakeTarget() {
  const listeners = new Map<string, Set<Listener>>()
  return {
    listeners,
    get count() {
      let n = 0
      for (const set of listeners.values()) n += set.size
      return n
    },
    addEventListener(type: string, listener: Listener) {
      if (!listeners.has(type)) listeners.set(type, new Set())
      listeners.get(type)!.add(listener)
    },
    removeEventListener(type: string, listener: Listener) {
      listeners.get(type)?.delete(listener)
    },
    dispatch(type: string, event: object = {}) {
      for (const listener of [...(listeners.get(type) ?? [])]) listener({ type, ...event })
    },
  }
}

/** globalThis as a window (an EventTarget) with a document. */
function fakePage() {
  const win = fakeTarget()
  const doc = Object.assign(fakeTarget(), { visibilityState: 'visible' })
  vi.stubGlobal('addEventListener', win.addEventListener)
  vi.stubGlobal('removeEventListener', win.removeEventListener)
  vi.stubGlobal('document', doc)
  return { win, doc }
}

afterEach(() => {
  vi.unstubAllGlobals()
})

describe('browser adapter', () => {
  it('turns online, offline, visibilitychange, pagehide/pageshow and freeze/resume into signals', () => {
    const { win, doc } = fakePage()
    const signals: EnvSignal[] = []
    const detach = attachBrowserSignals((s) => signals.push(s))

    win.dispatch('offline')
    win.dispatch('online')
    doc.visibilityState = 'hidden'
    doc.dispatch('visibilitychange')
    doc.visibilityState = 'visible'
    doc.dispatch('visibilitychange')
    win.dispatch('pageshow', { persisted: false }) // an ordinary load: nothing to recover
    win.dispatch('pagehide', { persisted: true }) // into the back/forward cache: release the socket
    win.dispatch('pageshow', { persisted: true }) // restored from the back/forward cache
    doc.dispatch('freeze') // a frozen background tab
    doc.dispatch('resume')
    expect(signals).toEqual(['offline', 'online', 'hidden', 'visible', 'freeze', 'resume', 'freeze', 'resume'])

    detach()
    expect(win.count + doc.count).toBe(0)
    win.dispatch('offline')
    expect(signals).toHaveLength(8)
  })

  it('attaches nothing where there is no page (SSR, Node)', () => {
    const detach = attachBrowserSignals(() => {
      throw new Error('no signal expected')
    })
    expect(typeof detach).toBe('function')
    detach()
  })

  it('defaults read the globals when called, and call timers unbound', () => {
    class PageWebSocket {}
    vi.stubGlobal('WebSocket', PageWebSocket)
    const setTimeoutSpy = vi.fn(() => 42)
    const clearTimeoutSpy = vi.fn()
    vi.stubGlobal('setTimeout', setTimeoutSpy)
    vi.stubGlobal('clearTimeout', clearTimeoutSpy)
    const defaults = browserDefaults()
    expect(defaults.WebSocket).toBe(PageWebSocket)
    const callback = () => {}
    const { setTimeout: set, clearTimeout: clear, now } = defaults.timer!
    expect(set(callback, 5)).toBe(42)
    expect(setTimeoutSpy).toHaveBeenCalledWith(callback, 5)
    clear(42)
    expect(clearTimeoutSpy).toHaveBeenCalledWith(42)
    expect(Math.abs(now() - Date.now())).toBeLessThan(1000)
    const r = defaults.random!()
    expect(r >= 0 && r < 1).toBe(true)
  })

  it('createSocket: offline drops the link, online retries, and close() removes every listener', () => {
    const { win, doc } = fakePage()
    const clock = createVirtualClock()
    const server = createFakeServer({ clock })
    const socket = createBrowserSocket({ url: 'wss://example.test/live', WebSocket: server.WebSocket, timer: clock, random: () => 0.5 })
    expect(win.count).toBe(4)
    expect(doc.count).toBe(3)
    const states: string[] = []
    socket.on('state', (next) => states.push(next))
    clock.advance(0) // an eager socket connects on the next tick

    server.accept()
    expect(socket.state).toBe('open')
    win.dispatch('offline')
    expect(socket.state).toBe('backoff')
    clock.advance(60_000)
    expect(server.sockets).toHaveLength(1) // offline: no retry until the network is back
    win.dispatch('online')
    clock.advance(5_000)
    expect(server.sockets).toHaveLength(2)
    server.accept()
    expect(socket.state).toBe('open')

    socket.close()
    clock.runAll()
    expect(socket.state).toBe('closed')
    expect(win.count + doc.count).toBe(0)
    expect(states).toEqual(['connecting', 'open', 'backoff', 'connecting', 'open', 'closed'])
  })
})

describe('worker adapter', () => {
  it('listens to online/offline on the global scope and never looks for a document', () => {
    const scope = fakeTarget()
    vi.stubGlobal('addEventListener', scope.addEventListener)
    vi.stubGlobal('removeEventListener', scope.removeEventListener)
    const documentGetter = vi.fn(() => undefined)
    Object.defineProperty(globalThis, 'document', { get: documentGetter, configurable: true })
    try {
      const signals: EnvSignal[] = []
      const detach = workerAdapter().attach((s) => signals.push(s))
      expect([...scope.listeners.keys()].sort()).toEqual(['offline', 'online'])
      scope.dispatch('offline')
      scope.dispatch('online')
      expect(signals).toEqual(['offline', 'online'])
      detach()
      expect(scope.count).toBe(0)
      expect(documentGetter).not.toHaveBeenCalled()
    } finally {
      delete (globalThis as { document?: unknown }).document
    }
  })

  it('reads navigator.onLine before each timer callback, and polls it while offline (Chromium fires no events in workers)', () => {
    vi.useFakeTimers()
    const navigator = { onLine: true }
    vi.stubGlobal('navigator', navigator)
    onTestFinished(() => {
      vi.useRealTimers()
      vi.unstubAllGlobals()
    })
    const { defaults, attach } = workerAdapter()
    const log: string[] = []
    const detach = attach((s) => log.push(s))
    navigator.onLine = false
    defaults.timer!.setTimeout(() => log.push('timer'), 10)
    vi.advanceTimersByTime(10)
    expect(log).toEqual(['offline', 'timer'])
    navigator.onLine = true
    vi.advanceTimersByTime(ONLINE_POLL_MS)
    expect(log).toEqual(['offline', 'timer', 'online'])
    vi.advanceTimersByTime(10 * ONLINE_POLL_MS)
    expect(vi.getTimerCount(), 'no poll while online').toBe(0)
    detach()
    navigator.onLine = false
    defaults.timer!.setTimeout(() => log.push('timer'), 10)
    vi.advanceTimersByTime(10)
    expect(log, 'nothing read once detached').toEqual(['offline', 'timer', 'online', 'timer'])
  })

  it('works where the global scope is no EventTarget (Node, some edge runtimes)', () => {
    const detach = workerAdapter().attach(() => {})
    detach()
    expect(workerDefaults().random!()).toBeLessThan(1)
  })

  it('createSocket: listeners live exactly as long as the socket', () => {
    const scope = fakeTarget()
    vi.stubGlobal('addEventListener', scope.addEventListener)
    vi.stubGlobal('removeEventListener', scope.removeEventListener)
    const clock = createVirtualClock()
    const server = createFakeServer({ clock })
    const socket = createWorkerSocket({ url: 'wss://example.test/live', WebSocket: server.WebSocket, timer: clock })
    expect(scope.count).toBe(2)
    clock.advance(0)
    server.accept()
    scope.dispatch('offline')
    expect(socket.state).toBe('backoff')
    socket.close()
    clock.runAll()
    expect(socket.state).toBe('closed')
    expect(scope.count).toBe(0)
  })
})

describe('the built entries have no import-time side effects', () => {
  const dist = resolve(import.meta.dirname, '../../dist')

  it.each(['browser.mjs', 'worker.mjs', 'index.mjs', 'core.mjs', 'testing.mjs', 'browser.prod.mjs', 'worker.prod.mjs', 'index.prod.mjs', 'core.prod.mjs'])('importing dist/%s reads no global', async (file) => {
    const path = join(dist, file)
    if (!existsSync(path)) throw new Error('dist/ is missing: run `npm run build` first')
    const touched: string[] = []
    for (const name of ['WebSocket', 'addEventListener', 'document', 'window', 'navigator', 'self']) {
      const previous = Object.getOwnPropertyDescriptor(globalThis, name)
      Object.defineProperty(globalThis, name, {
        configurable: true,
        get: () => {
          touched.push(name)
          return previous?.get ? previous.get.call(globalThis) : previous?.value
        },
      })
      onTestFinished(() => {
        if (previous) Object.defineProperty(globalThis, name, previous)
        else delete (globalThis as Record<string, unknown>)[name]
      })
    }
    // a query string makes this a fresh module instance even if another test imported it
    const module = await import(`${pathToFileURL(path).href}?fresh=${Date.now()}`)
    expect(Object.keys(module).length).toBeGreaterThan(0)
    expect(touched).toEqual([])
  })
})
