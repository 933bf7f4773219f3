/**
 * Runs simulateHerd (lifeline-ws/core: every client driven by the real state machine) off the
 * page's main thread: 100,000 clients take a few seconds. The options arrive as the editor's JSON
 * and are resolved here by the SDK again (a resolved policy holds a function, which cannot be posted).
 */
import { resolveOptions, simulateHerd, type HerdResult } from 'lifeline-ws/core'

export interface HerdRequest {
  id: number
  options: Record<string, unknown>
  clients: number
  outage: number
  noticeWithin: number
}
export type HerdResponse = { id: number; ok: true; result: HerdResult; ms: number } | { id: number; ok: false; message: string }

const scope = globalThis as unknown as {
  onmessage: ((event: MessageEvent<HerdRequest>) => void) | null
  postMessage(message: HerdResponse): void
}

scope.onmessage = (event) => {
  const { id, options, clients, outage, noticeWithin } = event.data
  try {
    const { policy } = resolveOptions(options as unknown as Parameters<typeof resolveOptions>[0], {
      WebSocket: globalThis.WebSocket as unknown as NonNullable<Parameters<typeof resolveOptions>[1]>['WebSocket'],
      timer: { setTimeout: (fn, ms) => setTimeout(fn, ms), clearTimeout: (h) => clearTimeout(h as number), now: () => Date.now() },
      random: Math.random,
    })
    const started = performance.now()
    // stop a minute after the server is back: enough for 99 % with any sane policy, and bounded
    const result = simulateHerd({ clients, policy, outage, noticeWithin, bucket: 100, horizon: 60_000 })
    scope.postMessage({ id, ok: true, result, ms: performance.now() - started })
  } catch (error) {
    scope.postMessage({ id, ok: false, message: (error as Error).message })
  }
}
