/**
 * Redis Cluster safety of lifeline-ws/server/redis: every Lua script names its keys only through
 * KEYS (never builds one from ARGV), and the keys it is given share the session's hash tag, so
 * Cluster can run each script on the one shard that owns the session.
 */
import { describe, expect, it } from 'vitest'
import { SCRIPTS } from '../../src/server/redis.js'

/** Redis commands the scripts use that take no key as their first argument. */
const KEYLESS = new Set(['PUBLISH'])

describe('redisStore scripts', () => {
  it.each(Object.entries(SCRIPTS))('%s: every key it touches is one of its KEYS', (_name, script) => {
    const calls = [...script.matchAll(/redis\.call\('([A-Z]+)',\s*([^,)]+)/g)].map(([, command, key]) => [command!, key!.trim()])
    expect(calls.length).toBeGreaterThan(0)
    for (const [command, key] of calls) {
      if (KEYLESS.has(command!)) continue
      expect({ command, key }).toEqual({ command, key: expect.stringMatching(/^KEYS\[[12]\]$/) })
    }
  })

  it('the two keys of a session share its hash tag', async () => {
    // the keys as run() passes them: <prefix>{id}:m and <prefix>{id}:o
    const source = await import('node:fs').then((fs) => fs.readFileSync(new URL('../../src/server/redis.ts', import.meta.url), 'utf8'))
    expect(source).toContain('const keys = (id: string): [string, string] => [`${prefix}{${id}}:m`, `${prefix}{${id}}:o`]')
  })
})
