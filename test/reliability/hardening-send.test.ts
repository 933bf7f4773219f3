/**
 * Issue 12, the send path: five defects an adversarial probe found, each pinned here.
 *
 *  6. queue.ts   evicted entries stayed referenced until the array was compacted: 68 × 8 MiB sent
 *                with maxMessages 4 and 'drop-oldest' held 544 MiB for a queue counting 32 MiB
 *  7. driver.ts  a queued ArrayBuffer was not copied (views were): mutating it after send() changed
 *                what was sent
 *  8. driver.ts  views were copied before the size check: refusing a huge view cost a copy of it
 *  9. options.ts / queue.ts  an object with a forged Symbol.toStringTag passed send()'s check; with
 *                'drop-oldest' the eviction loop never ended (its size was NaN)
 * 10. driver.ts / adapters/node.ts  a Blob that Node's `ws` cannot read (a file that changed) failed
 *                it and every message behind it with no trace: every sendAsync() resolved
 */
import { spawn } from 'node:child_process'
import { mkdtempSync, openAsBlob, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { sendAsync } from '../../src/index.promises.js'
import { harness } from '../helpers/harness.js'
import { cleanup, connect } from '../support/lifeline.js'
import { startWsServer } from '../support/servers.js'
import { guardProcess } from './helpers.js'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const CHILD = fileURLToPath(new URL('./children/send-child.mjs', import.meta.url))
const MiB = 1 << 20
const EXPECTED = 'a string, ArrayBuffer, ArrayBufferView or Blob'

let dir: string
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'lifeline-send-'))
  // the child runs the source, bundled: dist/ may be stale or missing
  await build({ entryPoints: [join(ROOT, 'src/index.core.ts')], bundle: true, format: 'esm', platform: 'node', outfile: join(dir, 'core.mjs'), logLevel: 'silent' })
})
afterAll(() => rmSync(dir, { recursive: true, force: true }))

guardProcess()
afterEach(cleanup)

/** Run send-child.mjs in `mode`; its RESULT, or a rejection naming how it ended instead. */
function runChild(mode: string, timeoutMs = 20_000): Promise<any> {
  const child = spawn(process.execPath, ['--expose-gc', '--max-old-space-size=256', CHILD, join(dir, 'core.mjs'), mode], {
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stdout = ''
  let stderr = ''
  child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c))
  child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c))
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
    child.once('exit', (code, signal) => {
      clearTimeout(timer)
      const line = stdout.split('\n').find((l) => l.startsWith('RESULT '))
      if (code !== 0 || !line) return reject(new Error(`${mode}: exited ${code ?? signal}\n${stderr.slice(-2_000)}`))
      resolve(JSON.parse(line.slice('RESULT '.length)))
    })
  })
}

describe('6: the queue limit bounds memory', () => {
  it('68 × 8 MiB sent offline with maxMessages 4 and drop-oldest: after GC, memory held tracks the 32 MiB queued', async () => {
    const r = await runChild('memory')
    expect(r.queued).toBe(4)
    expect(r.queuedBytes).toBe(32 * MiB)
    expect(r.drops).toBe(64)
    // the queue holds 32 MiB; evicted messages must not stay referenced (544 MiB before the fix)
    expect(r.arrayBuffers).toBeLessThan(64 * MiB)
  })
})

describe('7: a queued ArrayBuffer is copied', () => {
  it('mutating an ArrayBuffer after send() does not change what is sent', () => {
    const h = harness()
    const buffer = new Uint8Array([1, 2, 3]).buffer
    expect(h.socket.send(buffer)).toBe(true)
    new Uint8Array(buffer)[0] = 99
    h.server.accept()
    const sent = h.server.received[0]
    expect(sent).toBeInstanceOf(ArrayBuffer)
    expect(Array.from(new Uint8Array(sent as ArrayBuffer))).toEqual([1, 2, 3])
  })

  it('a view is copied as its own bytes only, read through the built-in getters', () => {
    class Lying extends Uint8Array {
      override get byteOffset(): number {
        return 0
      }
    }
    const h = harness()
    const view = new Lying(new Uint8Array([9, 1, 2, 9]).buffer, 1, 2)
    expect(h.socket.send(view)).toBe(true)
    view[0] = 99
    h.server.accept()
    expect(Array.from(h.server.received[0] as Uint8Array)).toEqual([1, 2])
  })
})

/** One drop, of this very object (compared by identity: a deep diff of 64 MiB would never end). */
function expectDroppedForOverflow(drops: unknown[][], data: Uint8Array): void {
  expect(drops).toHaveLength(1)
  const [{ data: dropped, reason }] = drops[0] as [{ data: unknown; reason: string }]
  expect(reason).toBe('overflow')
  expect(dropped === data, 'the drop event carries the view that was passed').toBe(true)
}

describe('8: the size is checked before anything is copied', () => {
  it('a 64 MiB view with maxBytes 1 MiB is refused (false, drop "overflow") without a copy of it', () => {
    const h = harness({ queue: { maxBytes: MiB } })
    const huge = new Uint8Array(64 * MiB)
    const before = process.memoryUsage().arrayBuffers
    expect(h.socket.send(huge)).toBe(false)
    const grown = process.memoryUsage().arrayBuffers - before
    expect(grown).toBeLessThan(8 * MiB)
    expectDroppedForOverflow(h.of('drop'), huge)
  })

  it('a full queue with overflow "reject" refuses a view without a copy of it', () => {
    const h = harness({ queue: { maxMessages: 1 } })
    h.socket.send('first')
    const big = new Uint8Array(32 * MiB)
    const before = process.memoryUsage().arrayBuffers
    expect(h.socket.send(big)).toBe(false)
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(8 * MiB)
    expectDroppedForOverflow(h.of('drop'), big)
  })
})

describe('9: send() checks brands, not tags', () => {
  it.each(['Blob', 'ArrayBuffer', 'Uint8Array'])('an object whose Symbol.toStringTag says %s is a TypeError', (tag) => {
    const h = harness()
    const forged = { [Symbol.toStringTag]: tag, size: 3, byteLength: 3 }
    const message = `data must be ${EXPECTED}, got object with a forged Symbol.toStringTag "${tag}"`
    expect(() => h.socket.send(forged as never)).toThrow(new TypeError(`send(data): ${message}`))
    expect(() => sendAsync(h.socket, forged as never)).toThrow(new TypeError(`sendAsync(socket, data): ${message}`))
    expect(h.socket.queued).toBe(0)
    expect(h.of('drop')).toEqual([])
  })

  it('with drop-oldest, the process survives and gets the TypeError (the eviction loop never ended)', async () => {
    const r = await runChild('forged')
    expect(r).toEqual({ threw: `TypeError: send(data): data must be ${EXPECTED}, got object with a forged Symbol.toStringTag "Blob"`, queued: 0 })
  })

  it('a SharedArrayBuffer is still refused, and named as what it is', () => {
    const h = harness()
    expect(() => h.socket.send(new SharedArrayBuffer(4) as never)).toThrow(
      new TypeError(`send(data): data must be ${EXPECTED}, got SharedArrayBuffer object`),
    )
  })
})

describe('10: a Blob that cannot be read (Node ws)', () => {
  it('every message is either received by the server or reported (drop "error", SEND_FAILED, sendAsync rejects)', async () => {
    const server = await startWsServer({ onMessage: () => {} })
    const { socket, rec } = connect({ url: server.url, heartbeat: false, backoff: { initialDelay: 50, maxDelay: 100 } })
    await rec.waitFor('open', 5_000)
    const file = join(dir, 'changes.txt')
    writeFileSync(file, 'before')
    const unreadable = await openAsBlob(file)
    writeFileSync(file, 'changed after the Blob was made') // reading it now fails (NotReadableError)

    const messages = ['first', unreadable, 'behind-1', new Uint8Array([1, 2, 3]), 'behind-3']
    const outcomes = await Promise.allSettled(messages.map((m) => sendAsync(socket, m)))

    const rejected = outcomes.filter((o) => o.status === 'rejected')
    // counted at both ends: written ones reached the server, the others were reported, none twice
    await server.waitForReceived(outcomes.length - rejected.length, 5_000)
    expect(server.received.length + rejected.length).toBe(messages.length)
    // ws fails the Blob and everything queued behind it inside ws
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'rejected', 'rejected', 'rejected'])
    expect(server.received).toEqual(['first'])
    for (const o of rejected) {
      expect((o as PromiseRejectedResult).reason).toMatchObject({ code: 'DROPPED', reason: 'error' })
    }
    const drops = rec.of('drop').map(([info]) => info)
    expect(drops).toHaveLength(rejected.length)
    expect(drops.map((d) => d.reason)).toEqual(['error', 'error', 'error', 'error'])
    expect(drops.map((d) => d.data)).toEqual(messages.slice(1))
    const failed = rec.of('error').filter(([e]) => e.code === 'SEND_FAILED')
    expect(failed).toHaveLength(rejected.length)
    expect(failed[0]![0].message).toBe('send failed: The blob could not be read')

    // nothing is stuck behind it: the socket reconnects and later messages arrive
    await rec.waitFor('open', 5_000, { from: rec.log.findIndex((e) => e.name === 'drop') })
    const before = server.received.length
    await sendAsync(socket, 'later')
    await server.waitForReceived(before + 1, 5_000)
    expect(server.received.at(-1)).toBe('later')
  })

  it('a readable Blob keeps its place: what follows it does not overtake it', async () => {
    const server = await startWsServer({ onMessage: () => {} })
    const { socket, rec } = connect({ url: server.url, heartbeat: false })
    await rec.waitFor('open', 5_000)
    const outcomes = await Promise.allSettled([
      sendAsync(socket, 'a'),
      sendAsync(socket, new Blob(['blob'])),
      sendAsync(socket, 'b'),
      sendAsync(socket, new Uint8Array([7])),
    ])
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled', 'fulfilled'])
    await server.waitForReceived(4, 5_000)
    expect(server.received.map((m) => (typeof m === 'string' ? m : Array.from(m)))).toEqual(['a', Array.from(Buffer.from('blob')), 'b', [7]])
    expect(rec.of('drop')).toEqual([])
  })
})
