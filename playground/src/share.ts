/**
 * Sharing a playground session: the policy in the page's URL (#policy=…), the policy as the
 * `createSocket({...})` call a user would write, and a session (policy, history, events, frames)
 * as one JSON file.
 */
import type { Disconnect, Stats } from 'lifeline-ws'
import type { Frame } from './frames.js'

const HASH_KEY = 'policy'

/** The policy text carried by a URL hash, or null. */
export function policyFromHash(hash: string): string | null {
  const params = new URLSearchParams(hash.replace(/^#/, ''))
  const text = params.get(HASH_KEY)
  return text === null || text.trim() === '' ? null : text
}

/** A URL whose hash carries this policy (compact JSON when the text parses, else the text as typed). */
export function urlWithPolicy(href: string, policyText: string): string {
  let compact = policyText
  try {
    compact = JSON.stringify(JSON.parse(policyText))
  } catch {
    // not JSON: carried as typed, the page shows the error on load
  }
  const url = new URL(href)
  url.hash = new URLSearchParams({ [HASH_KEY]: compact }).toString()
  return url.href
}

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/

/** A JSON value as a JavaScript literal: bare keys, single quotes, two-space indents. */
function literal(value: unknown, indent: string): string {
  if (value === null || typeof value !== 'object') {
    return typeof value === 'string' ? `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'").replace(/\n/g, '\\n')}'` : String(value)
  }
  const inner = `${indent}  `
  if (Array.isArray(value)) return value.length ? `[${value.map((v) => literal(v, inner)).join(', ')}]` : '[]'
  const entries = Object.entries(value as Record<string, unknown>)
  if (entries.length === 0) return '{}'
  return `{\n${entries.map(([k, v]) => `${inner}${IDENTIFIER.test(k) ? k : `'${k}'`}: ${literal(v, inner)},`).join('\n')}\n${indent}}`
}

/** The options as the call a user writes (the URL first, as the page fills it in; `session: session()` last when on). */
export function asCreateSocket(options: Record<string, unknown>, url: string, { session = false } = {}): string {
  const { url: own, ...rest } = options
  const call = literal({ url: own ?? url, ...rest }, '')
  if (!session) return `import { createSocket } from 'lifeline-ws'\n\nconst socket = createSocket(${call})\n`
  const withSession = `${call.slice(0, -1)}  session: session(),\n}`
  return `import { createSocket } from 'lifeline-ws'\nimport { session } from 'lifeline-ws/session'\n\nconst socket = createSocket(${withSession})\n`
}

export interface Session {
  format: 'lifeline-ws-playground-session'
  version: 1
  exportedAt: string
  /** The policy text in the editor, and the options the socket runs (url included). */
  policyText: string
  options: Record<string, unknown> | null
  stats: Stats | null
  history: Disconnect[]
  /** The timeline's text twin: state changes and faults, oldest first. */
  events: Array<Record<string, string>>
  frames: Frame[]
}

/** Read a session file; throws a SyntaxError naming what is wrong. */
export function parseSession(text: string): Session {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (error) {
    throw new SyntaxError(`not JSON: ${(error as Error).message}`)
  }
  const s = value as Partial<Session> | null
  if (!s || typeof s !== 'object' || s.format !== 'lifeline-ws-playground-session') throw new SyntaxError('not a playground session (format must be "lifeline-ws-playground-session")')
  if (s.version !== 1) throw new SyntaxError(`session version ${JSON.stringify(s.version)} is not supported (1 is)`)
  if (typeof s.policyText !== 'string' || !Array.isArray(s.history) || !Array.isArray(s.events) || !Array.isArray(s.frames)) {
    throw new SyntaxError('a session needs policyText, history, events and frames')
  }
  return s as Session
}
