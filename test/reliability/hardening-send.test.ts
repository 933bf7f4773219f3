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
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { harness } from '../helpers/harness.js'
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
    expect(() => h.socket.sendAsync(forged as never)).toThrow(new TypeError(`sendAsync(data): ${message}`))
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
