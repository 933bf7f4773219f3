/** The fault proxy itself, over raw TCP: every mode does what it says, and close() leaves nothing. */
import net from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { createFaultProxy, type FaultProxy } from '../support/fault-proxy.mjs'
import { expectNoTcpHandles } from '../support/lifeline.js'
import { closedWithin, waitFor } from '../support/wait.js'

/** A raw TCP echo server on 127.0.0.1 that also remembers its sockets. */
async function echoServer() {
  const sockets = new Set<net.Socket>()
  const server = net.createServer((socket) => {
    sockets.add(socket)
    socket.on('error', () => {})
    socket.on('close', () => sockets.delete(socket))
    socket.on('data', (chunk) => socket.write(chunk))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as net.AddressInfo).port
  return {
    port,
    sockets,
    async close() {
      for (const s of sockets) s.destroy()
      await new Promise<void>((resolve) => server.close(() => setImmediate(() => setImmediate(resolve))))
      await waitFor(() => sockets.size === 0, 1_000, 'echo server sockets to close')
    },
  }
}

/** A client connection that collects what it receives. */
async function client(port: number) {
  const socket = net.connect({ host: '127.0.0.1', port })
  const chunks: Buffer[] = []
  const errors: string[] = []
  socket.on('data', (c) => chunks.push(c))
  socket.on('error', (e: NodeJS.ErrnoException) => errors.push(e.code ?? e.message))
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('client: no connect within 1000 ms')), 1_000)
    socket.once('connect', () => {
      clearTimeout(timer)
      resolve()
    })
  })
  return {
    socket,
    errors,
    text: () => Buffer.concat(chunks).toString('utf8'),
    bytes: () => chunks.reduce((n, c) => n + c.length, 0),
  }
}

let cleanups: (() => Promise<void>)[] = []
afterEach(async () => {
  const all = cleanups.reverse()
  cleanups = []
  for (const c of all) await c()
  await expectNoTcpHandles(2_000)
})

async function setup() {
  const echo = await echoServer()
  const proxy = createFaultProxy({ target: { host: '127.0.0.1', port: echo.port } })
  const port = await proxy.start()
  cleanups.push(echo.close, () => proxy.close())
  return { echo, proxy, port }
}

function resources(): Record<string, number> {
  const counts: Record<string, number> = {}
  for (const name of process.getActiveResourcesInfo()) counts[name] = (counts[name] ?? 0) + 1
  return counts
}

describe('fault proxy', () => {
  it('forwards both ways and counts connections and bytes', async () => {
    const { proxy, port, echo } = await setup()
    expect(port).toBe(proxy.port)
    const c = await client(port)
    await waitFor(() => proxy.connections === 1 && echo.sockets.size === 1, 1_000, 'the pair to be set up')
    c.socket.write('hello')
    await waitFor(() => c.text() === 'hello', 1_000, 'the echo', { describe: () => JSON.stringify(c.text()) })
    expect(proxy.stats.up).toEqual({ forwarded: 5, discarded: 0 })
    expect(proxy.stats.down).toEqual({ forwarded: 5, discarded: 0 })
    c.socket.destroy()
  })

  it('silence(): both sockets stay open, bytes both ways are discarded (not buffered); heal() forwards new data', async () => {
    const { proxy, port, echo } = await setup()
    const c = await client(port)
    await waitFor(() => echo.sockets.size === 1, 1_000, 'the upstream connection')
    const [serverSide] = [...echo.sockets]
    proxy.silence()
    expect(proxy.mode).toBe('silence')
    c.socket.write('lost')
    serverSide!.write('also lost') // server → client is dead too
    await waitFor(() => proxy.stats.up.discarded === 4 && proxy.stats.down.discarded === 9, 1_000, 'both directions to be discarded', {
      describe: () => JSON.stringify(proxy.stats),
    })
    // the half-open link: neither end saw a close
    expect(c.socket.destroyed).toBe(false)
    expect(serverSide!.destroyed).toBe(false)
    expect(proxy.connections).toBe(1)

    proxy.heal()
    expect(proxy.mode).toBe('forward')
    c.socket.write('back')
    await waitFor(() => c.bytes() >= 4, 1_000, 'the echo after heal()')
    // had 'lost' or 'also lost' been buffered, they would have come first on the same stream
    expect(c.text()).toBe('back')
    c.socket.destroy()
  })

  it('silence(): a close is not passed on; heal() then resets the side that never learned', async () => {
    const { proxy, port, echo } = await setup()
    const c = await client(port)
    await waitFor(() => echo.sockets.size === 1 && proxy.connections === 1, 1_000, 'the pair')
    const [serverSide] = [...echo.sockets]
    const serverErrors: string[] = []
    serverSide!.on('error', (e: NodeJS.ErrnoException) => serverErrors.push(e.code ?? e.message))
    proxy.silence()
    c.socket.destroy()
    await closedWithin(c.socket, 1_000, 'the client to close')
    const [pair] = [...(proxy as unknown as { pairs: Set<{ client: net.Socket }> }).pairs]
    await waitFor(() => pair!.client.readableEnded, 1_000, "the client's FIN to reach the proxy")
    // the server side is still open: nobody told it
    expect(serverSide!.destroyed).toBe(false)
    expect(proxy.connections).toBe(1)

    proxy.heal()
    await closedWithin(serverSide!, 1_000, 'the server side to be reset after heal()')
    expect(serverErrors).toEqual(['ECONNRESET'])
    await waitFor(() => proxy.connections === 0, 1_000, 'the pair to be gone')
  })

  it("drop('up'): client → target is discarded, target → client still flows; a reset that way is not passed on; heal() forwards again", async () => {
    const { proxy, port, echo } = await setup()
    const c = await client(port)
    await waitFor(() => echo.sockets.size === 1 && proxy.connections === 1, 1_000, 'the pair')
    const [serverSide] = [...echo.sockets]
    proxy.drop('up')
    expect([proxy.mode, proxy.dropping]).toEqual(['forward', 'up'])
    c.socket.write('lost')
    serverSide!.write('down')
    await waitFor(() => proxy.stats.up.discarded === 4 && c.text() === 'down', 1_000, 'up discarded, down delivered', {
      describe: () => `${JSON.stringify(proxy.stats)} client got ${JSON.stringify(c.text())}`,
    })
    expect(proxy.stats.down).toEqual({ forwarded: 4, discarded: 0 })
    // the client resets its connection: the server, on the dead direction, never hears of it
    c.socket.resetAndDestroy()
    await closedWithin(c.socket, 1_000, 'the client to close')
    const serverErrors: string[] = []
    serverSide!.on('error', (e: NodeJS.ErrnoException) => serverErrors.push(e.code ?? e.message))
    await waitFor(() => [...(proxy as unknown as { pairs: Set<{ client: net.Socket }> }).pairs].every((p) => p.client.destroyed), 1_000, "the client's reset at the proxy")
    expect(serverSide!.destroyed).toBe(false)
    proxy.heal()
    expect(proxy.dropping).toBeUndefined()
    await closedWithin(serverSide!, 1_000, 'the server side to be reset after heal()')
    expect(serverErrors).toEqual(['ECONNRESET'])
    await waitFor(() => proxy.connections === 0, 1_000, 'the pair to be gone')
  })

  it("drop('down') discards only target → client, and drop() refuses anything but 'up' or 'down'", async () => {
    const { proxy, port, echo } = await setup()
    const c = await client(port)
    await waitFor(() => echo.sockets.size === 1, 1_000, 'the upstream connection')
    proxy.drop('down')
    c.socket.write('echo') // reaches the echo server; its answer is lost
    await waitFor(() => proxy.stats.up.forwarded === 4 && proxy.stats.down.discarded === 4, 1_000, 'up forwarded, down discarded', {
      describe: () => JSON.stringify(proxy.stats),
    })
    expect(c.bytes()).toBe(0)
    expect(() => proxy.drop('both' as never)).toThrow(new RangeError(`fault proxy: drop('up' | 'down'), got "both"`))
    c.socket.destroy()
  })

  it('reset(): both sides get an RST, and the pair goes away', async () => {
    const { proxy, port, echo } = await setup()
    const c = await client(port)
    await waitFor(() => echo.sockets.size === 1, 1_000, 'the upstream connection')
    const [serverSide] = [...echo.sockets]
    const serverErrors: string[] = []
    serverSide!.on('error', (e: NodeJS.ErrnoException) => serverErrors.push(e.code ?? e.message))
    proxy.reset()
    await closedWithin(c.socket, 1_000, 'the client to be reset')
    expect(c.errors).toEqual(['ECONNRESET'])
    await waitFor(() => echo.sockets.size === 0 && proxy.connections === 0, 1_000, 'the pair to be gone')
    expect(serverErrors).toEqual(['ECONNRESET'])
  })

  it('refuse(): new connections are reset at once; refuse(false) accepts again', async () => {
    const { proxy, port, echo } = await setup()
    proxy.refuse()
    const socket = net.connect({ host: '127.0.0.1', port })
    const errors: string[] = []
    socket.on('error', (e: NodeJS.ErrnoException) => errors.push(e.code ?? e.message))
    await closedWithin(socket, 1_000, 'the refused connection to close')
    expect(errors).toEqual(['ECONNRESET'])
    expect(proxy.stats.refused).toBe(1)
    expect(echo.sockets.size).toBe(0)

    proxy.refuse(false)
    const c = await client(port)
    c.socket.write('ok')
    await waitFor(() => c.text() === 'ok', 1_000, 'an echo once refuse(false)')
    c.socket.destroy()
  })

  it('slow(): adds latency per direction and limits the rate', async () => {
    const { proxy, port } = await setup()
    const c = await client(port)
    proxy.slow({ latencyMs: 100 })
    let t0 = performance.now()
    c.socket.write('x')
    await waitFor(() => c.text() === 'x', 2_000, 'the delayed echo')
    const roundTrip = performance.now() - t0
    expect(roundTrip).toBeGreaterThanOrEqual(195) // 100 ms each way
    expect(roundTrip).toBeLessThan(1_000)

    proxy.slow({ bytesPerSecond: 256 * 1024 })
    const payload = Buffer.alloc(64 * 1024, 7)
    t0 = performance.now()
    c.socket.write(payload)
    await waitFor(() => c.bytes() === 1 + payload.length, 3_000, 'the rate-limited echo', { describe: () => `${c.bytes()} bytes` })
    const took = performance.now() - t0
    expect(took).toBeGreaterThanOrEqual(2 * 250 - 10) // 64 KiB at 256 KiB/s, each way
    expect(took).toBeLessThan(2_000)
    proxy.forward()
    c.socket.destroy()
  })

  it('slow(): a FIN waits behind the delayed data, in both directions', async () => {
    const { proxy, port, echo } = await setup()
    const c = await client(port)
    await waitFor(() => echo.sockets.size === 1, 1_000, 'the upstream connection')
    proxy.slow({ latencyMs: 100 })
    let ended = false
    c.socket.on('end', () => {
      // everything echoed must have arrived before the FIN
      ended = c.text() === 'abcdef'
    })
    c.socket.write('abc')
    c.socket.end('def') // the echo server ends its side when it gets our FIN, after echoing
    await closedWithin(c.socket, 2_000, 'the connection to finish')
    expect(c.text()).toBe('abcdef')
    expect(ended).toBe(true)
    expect(c.errors).toEqual([])
    await waitFor(() => proxy.connections === 0, 1_000, 'the pair to be gone')
  })

  it('an unreachable target resets the client connection', async () => {
    const dead = net.createServer()
    await new Promise<void>((resolve) => dead.listen(0, '127.0.0.1', resolve))
    const deadPort = (dead.address() as net.AddressInfo).port
    await new Promise<void>((resolve) => dead.close(() => setImmediate(() => setImmediate(resolve))))
    const proxy = createFaultProxy({ target: { port: deadPort } })
    cleanups.push(() => proxy.close())
    const port = await proxy.start()
    const socket = net.connect({ host: '127.0.0.1', port })
    const errors: string[] = []
    socket.on('error', (e: NodeJS.ErrnoException) => errors.push(e.code ?? e.message))
    await closedWithin(socket, 1_000, 'the client connection to be reset')
    expect(errors).toEqual(['ECONNRESET'])
    await waitFor(() => proxy.connections === 0, 1_000, 'the failed pair to be gone')
  })

  it('close(): destroys every connection, clears slow-mode timers, closes the listener, leaves no handle', async () => {
    const echo = await echoServer()
    cleanups.push(echo.close)
    const before = resources()
    const proxy: FaultProxy = createFaultProxy({ target: { host: 'localhost', port: echo.port } })
    const port = await proxy.start()
    const c = await client(port)
    await waitFor(() => echo.sockets.size === 1, 1_000, 'the upstream connection')
    proxy.slow({ latencyMs: 10_000 }) // chunks sit in a timer queue
    c.socket.write('pending')
    await waitFor(() => (resources().Timeout ?? 0) > (before.Timeout ?? 0), 1_000, 'the slow-mode timer to be armed')

    await proxy.close()
    await proxy.close() // idempotent
    await closedWithin(c.socket, 1_000, 'the client side to close')
    expect(c.socket.destroyed).toBe(true)
    expect(proxy.connections).toBe(0)
    await waitFor(() => echo.sockets.size === 0, 1_000, 'the upstream side to close')
    const after = resources()
    expect(after.Timeout ?? 0, JSON.stringify({ before, after })).toBeLessThanOrEqual(before.Timeout ?? 0)
    expect(after.TCPSocketWrap ?? 0, JSON.stringify({ before, after })).toBe(before.TCPSocketWrap ?? 0)
    expect(after.TCPServerWrap ?? 0, JSON.stringify({ before, after })).toBe(before.TCPServerWrap ?? 0)

    const refused = net.connect({ host: '127.0.0.1', port })
    const codes: string[] = []
    refused.on('error', (e: NodeJS.ErrnoException) => codes.push(e.code ?? e.message))
    await closedWithin(refused, 1_000, 'the connection to the closed proxy to fail')
    expect(codes).toEqual(['ECONNREFUSED'])
  })

  it('only ever talks to 127.0.0.1', () => {
    expect(() => createFaultProxy({ target: { host: '10.0.0.1', port: 80 } })).toThrow(RangeError)
    expect(() => createFaultProxy({ target: { host: '::1', port: 80 } })).toThrow(/127\.0\.0\.1/)
  })
})
