/**
 * One source of defaults: every optional option in src/options/types.ts carries a TSDoc `@default`,
 * each `@default` that is a plain value equals the one in DEFAULTS, and so does the README's API
 * overview. A default changed in one place and not the others fails here.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import { DEFAULTS, defaultShouldReconnect, resolveOptions } from '../../src/index.core.js'
import { createFakeServer, createVirtualClock } from '../../src/index.testing.js'

const ROOT = resolve(import.meta.dirname, '../..')
const TYPES = readFileSync(resolve(ROOT, 'src/options/types.ts'), 'utf8')

/** interface name → its properties: name, optional, and the text of its TSDoc `@default` (if any). */
function interfaces(source: string): Map<string, Array<{ name: string; optional: boolean; default: string | undefined }>> {
  const found = new Map<string, Array<{ name: string; optional: boolean; default: string | undefined }>>()
  for (const [, name, body] of source.matchAll(/export interface (\w+)(?: extends [^{]*)? \{\n([\s\S]*?)\n\}/g)) {
    // every member at the interface's own indentation, with the TSDoc right above it (if any): an
    // undocumented member is found too
    const members = [...body!.matchAll(/(?:\/\*\*((?:(?!\*\/)[\s\S])*)\*\/\s*\n)?^ {2}(?:readonly )?(\w+)(\??):/gm)].map(([, doc, member, optional]) => ({
      name: member!,
      optional: optional === '?',
      default: doc === undefined ? undefined : /@default ([^\n]*)/.exec(doc.replace(/\n\s*\*/g, '\n'))?.[1]?.trim(),
    }))
    found.set(name!, members)
  }
  return found
}

/** The value a `@default` text starts with, when it is a plain literal; else undefined (prose). */
function literal(text: string): { value: unknown } | undefined {
  const match = /^(-?[\d_]+(?:\.\d+)?|Infinity|undefined|true|false|'[^']*'|\[\])(?:\s|$)/.exec(text)
  if (!match) return undefined
  return { value: Function(`return ${match[1]}`)() }
}

const GROUPS: Record<string, Record<string, unknown>> = {
  SocketOptions: DEFAULTS,
  BackoffOptions: DEFAULTS.backoff,
  QueueOptions: DEFAULTS.queue,
  HeartbeatOptions: DEFAULTS.heartbeat,
}

describe('defaults: one source', () => {
  const parsed = interfaces(TYPES)

  it('reads every option interface, with its members', () => {
    expect([...parsed.keys()].sort()).toEqual(Object.keys(GROUPS).sort())
    expect(parsed.get('SocketOptions')!.map((m) => m.name)).toContain('connectTimeout')
  })

  it.each(Object.keys(GROUPS))('%s: every optional option has a @default', (name) => {
    const missing = parsed.get(name)!.filter((m) => m.optional && !m.default).map((m) => m.name)
    expect(missing).toEqual([])
  })

  it.each(Object.keys(GROUPS))('%s: every plain @default equals DEFAULTS, and DEFAULTS has no option the type lacks', (name) => {
    const defaults = GROUPS[name]!
    const members = parsed.get(name)!
    let compared = 0
    for (const member of members) {
      const value = member.default === undefined ? undefined : literal(member.default)
      if (!value) continue
      compared++
      expect(defaults[member.name], `${name}.${member.name}: @default ${member.default}`).toEqual(value.value)
      expect(member.name in defaults, `${name}.${member.name} is missing from DEFAULTS`).toBe(true)
    }
    expect(compared).toBeGreaterThan(1)
    const names = members.map((m) => m.name)
    expect(Object.keys(defaults).filter((key) => !names.includes(key))).toEqual([])
  })

  it('the defaults that are functions are the documented ones', () => {
    expect(DEFAULTS.shouldReconnect).toBe(defaultShouldReconnect)
    expect(DEFAULTS.heartbeat.isPong('pong')).toBe(true)
    expect(DEFAULTS.heartbeat.isPong('ping')).toBe(false)
  })

  it('DEFAULTS is frozen all the way down', () => {
    for (const object of [DEFAULTS, DEFAULTS.backoff, DEFAULTS.queue, DEFAULTS.heartbeat, DEFAULTS.redactParams]) {
      expect(Object.isFrozen(object)).toBe(true)
    }
  })

  it('an option left out resolves to DEFAULTS', () => {
    const clock = createVirtualClock()
    const { WebSocket } = createFakeServer({ clock })
    const resolved = resolveOptions({ url: 'ws://x.test', WebSocket, timer: clock, random: Math.random, heartbeat: { message: 'ping' } })
    expect(resolved.policy.connectTimeout).toBe(DEFAULTS.connectTimeout)
    expect({ ...resolved.policy.backoff }).toEqual({ ...DEFAULTS.backoff })
    expect({ ...resolved.queue }).toEqual({ ...DEFAULTS.queue })
    expect(resolved.policy.heartbeat).toMatchObject({ interval: DEFAULTS.heartbeat.interval, timeout: DEFAULTS.heartbeat.timeout })
    expect(resolved.isPong).toBe(DEFAULTS.heartbeat.isPong)
    expect([resolved.lazy, resolved.binaryType]).toEqual([DEFAULTS.lazy, DEFAULTS.binaryType])
  })

  it("the README's API overview shows the same values", () => {
    const readme = readFileSync(resolve(ROOT, 'README.md'), 'utf8')
    const block = /## API\n+```ts\n([\s\S]*?)```/.exec(readme)![1]!
    let compared = 0
    for (const [, name, text] of block.matchAll(/^\s+(\w+): (.+?),\s*(?:\/\/.*)?$/gm)) {
      if (!(name! in DEFAULTS)) continue
      const value: unknown = Function(`return (${text})`)()
      if (typeof value === 'function') continue
      const expected = (DEFAULTS as Record<string, unknown>)[name!]
      if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
        // a group: each plain field the README shows
        for (const [key, field] of Object.entries(value)) {
          if (typeof field !== 'function') expect(field, `README ${name}.${key}`).toEqual((expected as Record<string, unknown>)[key])
        }
      } else expect(value, `README ${name}`).toEqual(expected)
      compared++
    }
    expect(compared).toBeGreaterThanOrEqual(8)
  })
})

// the other entries' options (monitor, stream, react, tabs, the drop-in, attachSessions…): the same rule
describe('every options interface in src/ documents its defaults', () => {
  const files = readdirSync(resolve(ROOT, 'src'), { recursive: true, encoding: 'utf8' }).filter((file) => file.endsWith('.ts'))
  const optionInterfaces = files.flatMap((file) =>
    [...interfaces(readFileSync(resolve(ROOT, 'src', file), 'utf8')).entries()].filter(([name]) => /Options/.test(name)).map(([name, members]) => [`${file} ${name}`, members] as const),
  )

  it('finds them', () => {
    expect(optionInterfaces.map(([name]) => name)).toEqual(expect.arrayContaining([expect.stringMatching(/MonitorOptions$/), expect.stringMatching(/SessionServerOptions$/)]))
  })

  it('every optional member has a @default', () => {
    const missing = optionInterfaces.flatMap(([name, members]) => members.filter((m) => m.optional && !m.default).map((m) => `${name}.${m.name}`))
    expect(missing).toEqual([])
  })
})

