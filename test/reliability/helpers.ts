/**
 * Helpers for the reliability tests: raw TCP "servers" that speak as much HTTP/WebSocket as a test
 * wants them to (and no more), a guard that turns any unhandled rejection or uncaught exception
 * into a test failure, and small counting helpers over a recorded lifeline socket.
 */
import { createHash } from 'node:crypto'
import net from 'node:net'
import { afterAll, afterEach, beforeAll, expect } from 'vitest'
import type { Recorder } from '../support/wait.js'

const HOST = '127.0.0.1'
const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11'

/** The Sec-WebSocket-Accept a correct server answers to `key`. */
export function acceptFor(key: string): string {
  return createHash('sha1').update(key + GUID).digest('base64')
}

export interface UpgradeRequest {
  method: string
  path: string
  headers: Record<string, string>
}

export interface RawServer {
  readonly port: number
  readonly url: string
  /** TCP connections accepted so far. */
  readonly accepted: number
  /** TCP connections open now. */
  readonly sockets: ReadonlySet<net.Socket>
  close(): Promise<void>
}

const rawServers = new Set<RawServer>()

/**
 * A TCP server on 127.0.0.1 that reads each connection's HTTP request head and hands it, with the
 * socket, to `onRequest`, which answers however it likes (or not at all).
 */
export async function startRawServer(onRequest: (request: UpgradeRequest, socket: net.Socket) => void): Promise<RawServer> {
  const sockets = new Set<net.Socket>()
  let accepted = 0
  const server = net.createServer((socket) => {
    accepted++
    sockets.add(socket)
    socket.on('error', () => {})
    socket.on('close', () => sockets.delete(socket))
    let head = ''
    const onData = (chunk: Buffer): void => {
      head += chunk.toString('latin1')
      const end = head.indexOf('\r\n\r\n')
      if (end < 0) return
      socket.off('data', onData)
      socket.resume() // ignore whatever comes next (frames, a close frame)
      const [requestLine = '', ...lines] = head.slice(0, end).split('\r\n')
      const [method = '', path = ''] = requestLine.split(' ')
      const headers: Record<string, string> = {}
      for (const line of lines) {
        const colon = line.indexOf(':')
        if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim()
      }
      onRequest({ method, path, headers }, socket)
    }
    socket.on('data', onData)
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, HOST, () => resolve())
  })
  const port = (server.address() as net.AddressInfo).port
  let closing: Promise<void> | undefined
  const self: RawServer = {
    port,
    url: `ws://${HOST}:${port}/`,
    get accepted() {
      return accepted
    },
    sockets,
    close() {
      rawServers.delete(self)
      closing ??= (async () => {
        const gone = [...sockets].map((s) => (s.closed ? undefined : new Promise((resolve) => s.once('close', resolve))))
        for (const s of sockets) s.destroy()
        await new Promise<void>((resolve) => server.close(() => setImmediate(() => setImmediate(resolve))))
        await Promise.all(gone)
      })()
      return closing
    },
  }
  rawServers.add(self)
  return self
}

/** Close every raw server started in this test file (idempotent). */
export async function closeRawServers(): Promise<void> {
  await Promise.all([...rawServers].map((s) => s.close()))
}

/** A 101 answer; `accept` defaults to the correct one for the request's key. */
export function switchingProtocols(request: UpgradeRequest, extra: Record<string, string> = {}, accept?: string): string {
  const headers = {
    Upgrade: 'websocket',
    Connection: 'Upgrade',
    'Sec-WebSocket-Accept': accept ?? acceptFor(request.headers['sec-websocket-key'] ?? ''),
    ...extra,
  }
  return `HTTP/1.1 101 Switching Protocols\r\n${Object.entries(headers)
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join('')}\r\n`
}

/** An unmasked server frame. */
export function frame(opcode: number, payload: Buffer = Buffer.alloc(0), fin = true): Buffer {
  if (payload.length > 125) throw new RangeError('frame(): short payloads only')
  return Buffer.concat([Buffer.from([(fin ? 0x80 : 0) | opcode, payload.length]), payload])
}

/**
 * Fail the test on any unhandled rejection or uncaught exception in this process while the file
 * runs (vitest reports them too, but only at the end and not per test).
 */
export function guardProcess(): { readonly seen: unknown[] } {
  const seen: unknown[] = []
  const onRejection = (reason: unknown): void => {
    seen.push(reason)
  }
  const onException = (error: unknown): void => {
    seen.push(error)
  }
  beforeAll(() => {
    process.on('unhandledRejection', onRejection)
    process.on('uncaughtException', onException)
  })
  afterEach(async () => {
    // a rejection is reported after the microtask queue drains: give it a turn of the loop
    await new Promise((resolve) => setImmediate(resolve))
    const errors = seen.splice(0)
    expect(errors.map((e) => (e instanceof Error ? `${e.name}: ${e.message}` : String(e))), 'unhandled rejections / uncaught exceptions').toEqual([])
  })
  afterAll(() => {
    process.off('unhandledRejection', onRejection)
    process.off('uncaughtException', onException)
  })
  return { seen }
}

/** Connection attempts (transitions into 'connecting') recorded at or after `sinceMono` (performance.now()). */
export function attemptsSince(rec: Recorder, sinceMono = 0): number {
  return rec.log.filter((e) => e.name === 'state' && e.args[0] === 'connecting' && e.mono >= sinceMono).length
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))
