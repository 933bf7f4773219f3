/**
 * redisStore(): sessions' resume state in Redis, shared by every node of a fleet, written step by
 * step so a node dying at any instant loses nothing it acknowledged (see SharedSessionStore).
 *
 * Per session two keys, hash-tagged by id so Redis Cluster keeps them on one shard:
 *   <prefix>{id}:m  hash: secret, protocol, owner, last (outbound messages numbered so far),
 *                   acked (outbound), started and handled (inbound)
 *   <prefix>{id}:o  list: the outbound messages after `acked`, oldest first (1 byte text/binary + payload)
 * Both expire `ttl` (the resume window) after the last write; a connected session is touched on each
 * heartbeat. Each script touches only these two keys, which share the hash tag `{id}`: on Redis
 * Cluster every script runs on the one shard that owns the session (the prefix must not itself
 * contain `{`, or it becomes the tag and every session lands in one slot). Each node keeps <prefix>node:<owner> alive (its lease) and listens on that channel for
 * posts ("p <id>") and release requests ("r <id>").
 *
 * Every write is one Lua script (one round trip, atomic); the owner check in it fences a node that
 * lost the session. node-redis pipelines what is issued in the same tick and applies one
 * connection's commands in order, which the release handshake relies on.
 */
import { createClient, RESP_TYPES } from 'redis'
import type { Message } from '../protocol/session-state.js'
import { SessionMovedError, type SharedRecord, type SharedSessionStore, type SharedStoreEvents } from './store.js'

export interface RedisStoreOptions {
  /** The Redis server, as node-redis takes it. @default 'redis://127.0.0.1:6379' */
  url?: string
  /** Prefix of every key and channel. @default 'lifeline:' */
  prefix?: string
  /** A command not answered within this many ms fails (the session then degrades or moves on). @default 2_000 */
  commandTimeout?: number
  /** How long a node's lease outlives it (ms): a session held by a killed node can be taken over after this. @default 3_000 */
  leaseTtl?: number
}

const OWNER_CHECK = `if redis.call('HGET', KEYS[1], 'owner') ~= ARGV[1] then return redis.error_reply('FENCED not the holder of this session') end`
const EXPIRE = `redis.call('PEXPIRE', KEYS[1], ARGV[2]) redis.call('PEXPIRE', KEYS[2], ARGV[2])`

/**
 * Every script touches only the keys it is given (KEYS), all of one session and so of one hash slot
 * (`{id}`): Redis Cluster runs each on the shard that owns the session. Exported for the test that checks it.
 * @internal
 */
export const SCRIPTS = {
  // ARGV: owner, ttl, secret, protocol
  create: `redis.call('DEL', KEYS[2]) redis.call('HSET', KEYS[1], 'owner', ARGV[1], 'secret', ARGV[3], 'protocol', ARGV[4], 'last', 0, 'acked', 0, 'started', 0, 'handled', 0) redis.call('PEXPIRE', KEYS[1], ARGV[2]) return 1`,
  // ARGV: _, ttl, message, notify (1/0), channel prefix, id, writer id ('' for none), its append number.
  // Per writer, appends apply once and in order (field w:<writer>): 0 for a repeat, RETRY for a gap
  append: `if redis.call('EXISTS', KEYS[1]) == 0 then return redis.error_reply('FENCED not the holder of this session') end
    if ARGV[7] ~= '' then
      local w = 'w:' .. ARGV[7] local done = tonumber(redis.call('HGET', KEYS[1], w) or '0') local n = tonumber(ARGV[8])
      if n <= done then return 0 end
      if n > done + 1 then return redis.error_reply('RETRY an earlier append of this writer is missing') end
      redis.call('HSET', KEYS[1], w, n)
    end
    local seq = redis.call('HINCRBY', KEYS[1], 'last', 1) redis.call('RPUSH', KEYS[2], ARGV[3]) ${EXPIRE}
    if ARGV[4] == '1' then local owner = redis.call('HGET', KEYS[1], 'owner') if owner ~= '' then redis.call('PUBLISH', ARGV[5] .. owner, 'p ' .. ARGV[6]) end end
    return seq`,
  // ARGV: from
  fetch: `local acked = tonumber(redis.call('HGET', KEYS[1], 'acked') or '0') local from = tonumber(ARGV[1]) - acked - 1 if from < 0 then from = 0 end
    return redis.call('LRANGE', KEYS[2], from, -1)`,
  // ARGV: owner, ttl, field, count
  progress: `${OWNER_CHECK} local count = tonumber(ARGV[4])
    if ARGV[3] == 'acked' then local acked = tonumber(redis.call('HGET', KEYS[1], 'acked')) if count > acked then redis.call('LTRIM', KEYS[2], count - acked, -1) redis.call('HSET', KEYS[1], 'acked', count) end
    elseif count > tonumber(redis.call('HGET', KEYS[1], ARGV[3])) then redis.call('HSET', KEYS[1], ARGV[3], count) end
    ${EXPIRE} return 1`,
  // ARGV: owner, ttl
  touch: `${OWNER_CHECK} ${EXPIRE} return tonumber(redis.call('HGET', KEYS[1], 'last'))`,
  // ARGV: owner, ttl, the holder the caller found dead (or ''). Returns nil; the holder's id when another
  // node holds it (its lease is another key, in another slot: the caller checks it, then claims again
  // naming that holder, so a holder that changed meanwhile is not overridden); or the fields then the messages
  claim: `if redis.call('EXISTS', KEYS[1]) == 0 then return nil end
    local holder = redis.call('HGET', KEYS[1], 'owner')
    if holder ~= '' and holder ~= ARGV[1] and holder ~= ARGV[3] then return holder end
    redis.call('HSET', KEYS[1], 'owner', ARGV[1]) ${EXPIRE}
    local m = redis.call('HMGET', KEYS[1], 'secret', 'protocol', 'acked', 'started', 'handled')
    return {m, redis.call('LRANGE', KEYS[2], 0, -1)}`,
  // ARGV: owner
  release: `if redis.call('HGET', KEYS[1], 'owner') == ARGV[1] then redis.call('HSET', KEYS[1], 'owner', '') end return 1`,
  // ARGV: owner
  delete: `if redis.call('HGET', KEYS[1], 'owner') == ARGV[1] then redis.call('DEL', KEYS[1], KEYS[2]) end return 1`,
} as const

type Script = keyof typeof SCRIPTS

function own<T>(object: object, key: string, fallback: T): T {
  return Object.prototype.hasOwnProperty.call(object, key) ? ((object as Record<string, T>)[key] ?? fallback) : fallback
}

function encodeMessage(message: Message): Buffer {
  const bytes = Buffer.allocUnsafe(message.payload.length + 1)
  bytes[0] = message.binary ? 1 : 0
  bytes.set(message.payload, 1)
  return bytes
}

function decodeMessage(bytes: Buffer): Message {
  return { binary: bytes[0] === 1, payload: bytes.subarray(1) }
}

/** Sessions in Redis: see the module comment. `redis` (node-redis) is an optional peer dependency. */
export function redisStore(options: RedisStoreOptions = {}): SharedSessionStore & { readonly commands: number } {
  if (options === null || typeof options !== 'object') throw new TypeError(`redisStore(options): options must be an object, got ${options === null ? 'null' : typeof options}`)
  const url = own(options, 'url', 'redis://127.0.0.1:6379')
  const prefix = own(options, 'prefix', 'lifeline:')
  const commandTimeout = own(options, 'commandTimeout', 2_000)
  const leaseTtl = own(options, 'leaseTtl', 3_000)
  if (typeof url !== 'string') throw new TypeError(`redisStore: url must be a string, got ${typeof url}`)
  if (typeof prefix !== 'string') throw new TypeError(`redisStore: prefix must be a string, got ${typeof prefix}`)
  for (const [name, value] of [['commandTimeout', commandTimeout], ['leaseTtl', leaseTtl]] as const) {
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) throw new RangeError(`redisStore: ${name} must be a whole number of ms >= 1, got ${String(value)}`)
  }

  // reconnect quickly and forever: a Redis restart is an outage of seconds, not the end
  const socket = { reconnectStrategy: (retries: number) => Math.min(50 * 2 ** retries, 1_000) }
  const client = createClient({ url, socket }).withTypeMapping({ [RESP_TYPES.BLOB_STRING]: Buffer })
  const subscriber = createClient({ url, socket })
  const shas = new Map<Script, string>()
  let lease: ReturnType<typeof setInterval> | undefined
  let owner = ''
  let events: SharedStoreEvents | undefined
  let commands = 0
  let stopped = false
  client.on('error', (error: unknown) => events?.error(error))
  subscriber.on('error', (error: unknown) => events?.error(error))

  const keys = (id: string): [string, string] => [`${prefix}{${id}}:m`, `${prefix}{${id}}:o`]

  async function run(script: Script, id: string, args: Array<string | Buffer>): Promise<unknown> {
    commands++
    const [meta, out] = keys(id)
    const opts = { timeout: commandTimeout }
    const sha = shas.get(script)
    try {
      if (sha) return await client.sendCommand(['EVALSHA', sha, '2', meta, out, ...args], opts)
    } catch (error) {
      if (!String((error as Error).message).startsWith('NOSCRIPT')) throw translate(error, id)
    }
    try {
      const reply = await client.sendCommand(['EVAL', SCRIPTS[script], '2', meta, out, ...args], opts)
      void client.sendCommand(['SCRIPT', 'LOAD', SCRIPTS[script]], opts).then((s) => shas.set(script, String(s)), () => {})
      return reply
    } catch (error) {
      throw translate(error, id)
    }
  }
  // a script's refusal: its own error code (Redis 7 prefixes a bare word with ERR, and MOVED is
  // Redis Cluster's redirection): this node does not hold the session, or it no longer exists
  function translate(error: unknown, id: string): unknown {
    return error instanceof Error && error.message.startsWith('FENCED') ? new SessionMovedError(id) : error
  }

  return {
    shared: true,
    get commands() {
      return commands
    },
    start(me, handlers) {
      owner = me
      events = handlers
      // node-redis's connect() retries until Redis answers: keep that going in the background, but
      // fail start() after commandTimeout so a resume waiting for it is not held up meanwhile
      const present = (async () => {
        await Promise.all([client.connect(), subscriber.connect()])
        await subscriber.subscribe(`${prefix}node:${owner}`, (text: string) => {
          const id = text.slice(2)
          if (text.startsWith('p ')) events?.posted(id)
          else if (text.startsWith('r ')) events?.release(id)
        })
        if (stopped) return
        // a node is live (holding its sessions against a claim) only while it hears release
        // requests: with its subscriber reconnecting, its lease runs out and its sessions can be taken
        const renew = (): void => {
          if (!subscriber.isReady) return
          void client.sendCommand(['SET', `${prefix}node:${owner}`, '1', 'PX', String(leaseTtl)], { timeout: commandTimeout }).catch((error: unknown) => events?.error(error))
        }
        renew()
        lease = setInterval(renew, Math.max(1, Math.floor(leaseTtl / 3)))
        lease.unref?.()
      })()
      return new Promise<void>((resolve, reject) => {
        let late = false
        const timer = setTimeout(() => {
          late = true
          reject(new Error(`Redis at ${url} not reachable within commandTimeout (${commandTimeout} ms); still trying`))
        }, commandTimeout)
        present.then(
          () => {
            clearTimeout(timer)
            resolve()
          },
          (error: unknown) => {
            clearTimeout(timer)
            if (!late) reject(error)
            else if (!stopped) events?.error(error)
          },
        )
      })
    },
    async stop() {
      stopped = true
      clearInterval(lease)
      await Promise.allSettled([client.sendCommand(['DEL', `${prefix}node:${owner}`], { timeout: commandTimeout })])
      await Promise.allSettled([client.close(), subscriber.close()])
    },
    async create(record, ttl) {
      await run('create', record.id, [record.owner, String(ttl), Buffer.from(record.secret), record.protocol])
    },
    async secret(id) {
      commands++
      const secret = await client.sendCommand<Buffer | null>(['HGET', keys(id)[0], 'secret'], { timeout: commandTimeout })
      return secret ?? undefined
    },
    async claim(id, me, ttl) {
      let dead = ''
      let reply: null | Buffer | [Buffer[], Buffer[]]
      for (;;) {
        reply = (await run('claim', id, [me, String(ttl), dead])) as null | Buffer | [Buffer[], Buffer[]]
        if (!Buffer.isBuffer(reply)) break
        // another node holds it: live (its lease key exists) means busy; else claim again, naming it
        const holder = reply.toString()
        commands++
        const live = await client.sendCommand<number>(['EXISTS', `${prefix}node:${holder}`], { timeout: commandTimeout })
        if (live === 1) return 'busy'
        dead = holder
      }
      if (reply === null) return undefined
      const [[secret, protocol, acked, started, handled], messages] = reply
      const record: SharedRecord = {
        secret: secret!,
        protocol: protocol!.toString('utf8'),
        acked: Number(acked!.toString()),
        started: Number(started!.toString()),
        handled: Number(handled!.toString()),
        messages: messages.map(decodeMessage),
      }
      return record
    },
    async requestRelease(id) {
      commands++
      const holder = await client.sendCommand<Buffer | null>(['HGET', keys(id)[0], 'owner'], { timeout: commandTimeout })
      if (!holder || holder.length === 0) return
      commands++
      await client.sendCommand(['PUBLISH', `${prefix}node:${holder.toString()}`, `r ${id}`], { timeout: commandTimeout })
    },
    async release(id, me) {
      await run('release', id, [me])
    },
    async append(id, message, ttl, notify, writer) {
      return Number(await run('append', id, ['', String(ttl), encodeMessage(message), notify ? '1' : '0', `${prefix}node:`, id, writer?.id ?? '', String(writer?.n ?? 0)]))
    },
    async fetch(id, from) {
      const reply = (await run('fetch', id, [String(from)])) as Buffer[]
      return reply.map(decodeMessage)
    },
    async progress(id, me, field, count, ttl) {
      await run('progress', id, [me, String(ttl), field, String(count)])
    },
    async touch(id, me, ttl) {
      return Number(await run('touch', id, [me, String(ttl)]))
    },
    async delete(id, me) {
      await run('delete', id, [me])
    },
  }
}
