/**
 * The policy editor's model: JSON text → socket options, validated by the SDK itself
 * (`resolveOptions` from lifeline-ws/core, the function `createSocket` runs), so the page shows the
 * SDK's exact error message and plots the SDK's own resolved policy.
 */
import type { Policy } from 'lifeline-ws/core'
import { resolveOptions } from 'lifeline-ws/core'

/** The playground's starting policy: short timings, so a fault plays out in seconds. */
export const PLAYGROUND_POLICY = {
  connectTimeout: 2000,
  backoff: { initialDelay: 500, maxDelay: 5000, factor: 2, jitter: 'spread', resetAfter: 3000 },
  // browsers cannot send ping frames: a text 'ping' that the server answers with 'pong'
  heartbeat: { mode: 'message', message: 'ping', interval: 2000, timeout: 1500 },
  queue: { maxMessages: 500, overflow: 'reject' },
} as const

type Json = { [key: string]: unknown }
const withBackoff = (backoff: Json): Json => ({ ...PLAYGROUND_POLICY, backoff: { ...PLAYGROUND_POLICY.backoff, ...backoff } })

export const PRESETS: ReadonlyArray<{ name: string; options: Json }> = [
  { name: 'Playground (fast timings)', options: PLAYGROUND_POLICY },
  { name: 'SDK defaults (+ message heartbeat)', options: { heartbeat: { mode: 'message', message: 'ping' } } },
  { name: 'Jitter: full', options: withBackoff({ jitter: 'full' }) },
  { name: 'Jitter: equal', options: withBackoff({ jitter: 'equal' }) },
  { name: 'Jitter: decorrelated', options: withBackoff({ jitter: 'decorrelated' }) },
  { name: 'Jitter: none (a herd!)', options: withBackoff({ jitter: 'none' }) },
  { name: 'Give up after 3 retries', options: withBackoff({ maxRetries: 3 }) },
  { name: 'Small queue, drop-oldest', options: { ...PLAYGROUND_POLICY, queue: { maxMessages: 20, overflow: 'drop-oldest' } } },
  { name: 'Queued messages expire (ttl 3 s)', options: { ...PLAYGROUND_POLICY, queue: { maxMessages: 500, ttl: 3000 } } },
  { name: 'Watchdog: idleTimeout 4 s', options: { ...PLAYGROUND_POLICY, idleTimeout: 4000 } },
]

export function format(options: Json): string {
  return JSON.stringify(options, null, 2)
}

/** The ports `createSocket` from 'lifeline-ws' fills in a browser; core's resolveOptions needs them given. */
function browserPorts(): { WebSocket: unknown; timer: unknown; random: () => number } {
  return {
    WebSocket: globalThis.WebSocket,
    timer: {
      setTimeout: (fn: () => void, ms: number) => setTimeout(fn, ms),
      clearTimeout: (handle: unknown) => clearTimeout(handle as number),
      now: () => Date.now(),
    },
    random: Math.random,
  }
}

export type Checked =
  | { ok: true; options: Json; policy: Policy }
  | { ok: false; kind: 'json' | 'sdk'; name: string; message: string }

/**
 * Parse the editor's text and let the SDK judge it. The page's URL is filled in (unless the JSON
 * names one); anything that is not a plain object goes to the SDK as is, which says what is wrong.
 */
export function checkPolicy(text: string, url: string): Checked {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (error) {
    return { ok: false, kind: 'json', name: 'JSON', message: (error as Error).message }
  }
  const options = value !== null && typeof value === 'object' && !Array.isArray(value) ? { url, ...(value as Json) } : value
  try {
    const resolved = resolveOptions(options as Parameters<typeof resolveOptions>[0], browserPorts() as Parameters<typeof resolveOptions>[1])
    return { ok: true, options: options as Json, policy: resolved.policy }
  } catch (error) {
    const e = error as Error
    return { ok: false, kind: 'sdk', name: e.name, message: e.message }
  }
}
