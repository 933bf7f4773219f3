/**
 * h: a true kernel-level half-open link. Client and server run as child processes in two network
 * namespaces of our own, joined by a veth pair; `iptables -j DROP` on INPUT in both namespaces
 * black-holes the link while both TCP sockets stay ESTABLISHED. Only the heartbeat can notice.
 *
 * Skipped, with the reason printed, where namespaces or iptables are not available (not root, no
 * iptables binary, a sandbox without CAP_NET_ADMIN). Bounded well under 15 s.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'
import { account, recordOf, violations } from '../support/delivery-account.mjs'
import { createNetnsLink, inNamespace, probeNetns, type NetnsLink } from '../support/netns.js'
import { waitFor } from '../support/wait.js'

const root = fileURLToPath(new URL('../..', import.meta.url))
const support = fileURLToPath(new URL('../support/', import.meta.url))

const capability = await probeNetns()
if (!capability.capable) {
  console.warn(`[netns] SKIPPING the kernel-level half-open test: ${capability.reason}`)
}

interface Line {
  t: number
  event?: string
  args?: any[]
  rtt?: number
  listening?: number
  connection?: number
  got?: string
  on?: number
  closed?: number
  sent?: number
  confirmed?: number
  dropped?: number
  reason?: string
}

/** A child process that reports JSON lines on stdout; every wait on it is bounded. */
function reporter(name: string, [cmd, args]: [string, string[]]) {
  const child: ChildProcess = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] })
  const lines: Line[] = []
  let stderr = ''
  let exited: { code: number | null; signal: string | null } | undefined
  const exit = new Promise<void>((resolve) =>
    child.once('exit', (code, signal) => {
      exited = { code, signal }
      resolve()
    }),
  )
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
  createInterface({ input: child.stdout! }).on('line', (line) => {
    try {
      lines.push(JSON.parse(line) as Line)
    } catch {
      stderr += `(stdout) ${line}\n`
    }
  })
  const describeState = () =>
    `${name}: ${exited ? `exited ${JSON.stringify(exited)}` : 'running'}; stderr: ${stderr.trim().slice(-800) || '(none)'}; lines:\n  ${lines
      .map((l) => JSON.stringify(l))
      .join('\n  ')}`
  return {
    lines,
    async line(predicate: (l: Line) => boolean, timeoutMs: number, what: string, from = 0): Promise<Line> {
      await waitFor(() => lines.slice(from).some(predicate) || exited !== undefined, timeoutMs, `${name}: ${what}`, {
        pollMs: 5,
        describe: describeState,
      })
      const found = lines.slice(from).find(predicate)
      if (!found) throw new Error(`${name} exited before ${what}; ${describeState()}`)
      return found
    },
    /** Write one line to the child's stdin. */
    tell(line: string): void {
      child.stdin!.write(`${line}\n`)
    },
    /** End stdin (the child exits); SIGKILL this child if it has not gone within 1 s. */
    async stop(): Promise<void> {
      if (exited) return
      child.stdin!.end()
      const timer = setTimeout(() => child.kill('SIGKILL'), 1_000)
      await exit
      clearTimeout(timer)
    },
  }
}

/** The Node entry as one CJS file; `withPromises`: sendAsync too (the delivery accounting). */
async function buildBundle(dir: string, withPromises = false): Promise<string> {
  const esbuild = await import('esbuild')
  const outfile = join(dir, 'lifeline-node.cjs')
  await esbuild.build({
    ...(withPromises
      ? { stdin: { contents: "export * from './src/index.node.ts'; export { sendAsync } from './src/index.promises.ts'", resolveDir: root, loader: 'ts' as const } }
      : { entryPoints: [join(root, 'src/index.node.ts')] }),
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    outfile,
    // ws's optional native helpers: absent here, and ws falls back without them
    external: ['bufferutil', 'utf-8-validate'],
    logLevel: 'silent',
  })
  return outfile
}

const cleanups: (() => Promise<void> | void)[] = []
afterAll(async () => {
  for (const c of cleanups.reverse()) await c()
})

const INTERVAL = 1_000
const TIMEOUT = 1_000
const BOUND = 2_300

describe('kernel-level half-open link (ip netns + veth + iptables DROP)', () => {
  it.skipIf(!capability.capable)(
    `h: heartbeat detects a black-holed link, and reconnects once it is back${capability.capable ? '' : ` [skipped: ${capability.reason}]`}`,
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'llws-netns-'))
      cleanups.push(() => rmSync(dir, { recursive: true, force: true }))
      const bundle = await buildBundle(dir)

      let link: NetnsLink | undefined
      const children: { stop(): Promise<void> }[] = []
      try {
        link = await createNetnsLink()
        const server = reporter('server', inNamespace(link.serverNs, [process.execPath, join(support, 'netns-server.mjs'), link.serverIp]))
        children.push(server)
        const { listening: port } = await server.line((l) => l.listening !== undefined, 3_000, 'listening')

        const options = {
          heartbeat: { interval: INTERVAL, timeout: TIMEOUT },
          connectTimeout: 1_000,
          backoff: { initialDelay: 100, maxDelay: 400, factor: 2, jitter: 'none' },
        }
        const client = reporter(
          'client',
          inNamespace(link.clientNs, [process.execPath, join(support, 'netns-client.mjs'), bundle, `ws://${link.serverIp}:${port}/`, JSON.stringify(options)]),
        )
        children.push(client)
        await client.line((l) => l.event === 'open', 3_000, "'open' across the veth link")
        await server.line((l) => l.connection === 1, 1_000, 'the first connection')
        // steady state: one heartbeat answered across the link
        await client.line((l) => l.rtt !== undefined, INTERVAL + TIMEOUT + 500, 'the first heartbeat answer')

        const from = client.lines.length
        const { clientDroppedAt, bothDroppedAt } = await link.drop()
        const left = await client.line(
          (l) => l.event === 'state' && l.args?.[1] === 'open',
          INTERVAL + TIMEOUT + 2_000,
          "the client to leave 'open' after the DROP",
          from,
        )
        const detectedIn = left.t - clientDroppedAt
        console.log(
          `[netns] kernel-level half-open link detected ${detectedIn} ms after the client-side DROP (${left.t - bothDroppedAt} ms after both; bound ${BOUND} ms)`,
        )
        expect(left.args).toEqual(['backoff', 'open', 'heartbeat timeout', 'heartbeat-timeout'])
        expect(detectedIn).toBeLessThanOrEqual(BOUND)
        expect(detectedIn).toBeGreaterThanOrEqual(TIMEOUT - 20)
        const burst = client.lines.slice(from).filter((l) => l.event)
        const error = burst.find((l) => l.event === 'error')!
        expect(error.args![0]).toEqual({ code: 'HEARTBEAT_TIMEOUT', message: `no answer to a ping within ${TIMEOUT} ms` })
        const close = burst.find((l) => l.event === 'close')!
        expect(close.args![0]).toEqual({ code: 4000, reason: 'heartbeat timeout', wasClean: false })

        const healFrom = client.lines.length
        await link.heal()
        await client.line((l) => l.event === 'open', 4_000, "'open' again after the DROP was removed", healFrom)
        await server.line((l) => l.connection === 2, 1_000, 'the second connection')
      } finally {
        // children first (a namespace with a process in it outlives `ip netns del`), then the link
        await Promise.all(children.map((c) => c.stop()))
        await link?.destroy()
      }
    },
    15_000,
  )

  it.skipIf(!capability.capable)(
    `a connection presumed dead is reset: none of its queued messages reaches the server once the link is back (issue 12, #13)${capability.capable ? '' : ` [skipped: ${capability.reason}]`}`,
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'llws-netns-'))
      cleanups.push(() => rmSync(dir, { recursive: true, force: true }))
      const bundle = await buildBundle(dir)

      let link: NetnsLink | undefined
      const children: { stop(): Promise<void> }[] = []
      try {
        link = await createNetnsLink()
        const server = reporter('server', inNamespace(link.serverNs, [process.execPath, join(support, 'netns-server.mjs'), link.serverIp]))
        children.push(server)
        const { listening: port } = await server.line((l) => l.listening !== undefined, 3_000, 'listening')
        const options = {
          heartbeat: { interval: INTERVAL, timeout: TIMEOUT },
          connectTimeout: 1_000,
          backoff: { initialDelay: 100, maxDelay: 400, factor: 2, jitter: 'none' },
        }
        // a message every 10 ms while open: during the black hole they pile up in the kernel
        const client = reporter(
          'client',
          inNamespace(link.clientNs, [process.execPath, join(support, 'netns-client.mjs'), bundle, `ws://${link.serverIp}:${port}/`, JSON.stringify(options), '10']),
        )
        children.push(client)
        await server.line((l) => l.on === 1, 3_000, 'a message on the first connection')

        const from = client.lines.length
        await link.drop()
        await client.line((l) => l.event === 'error' && l.args?.[0]?.code === 'HEARTBEAT_TIMEOUT', INTERVAL + TIMEOUT + 2_000, 'the heartbeat timeout', from)
        const healedAt = Date.now()
        await link.heal()
        await server.line((l) => l.on === 2, 4_000, 'a message on the next connection')
        // the server speaks on the old connection: a client kernel that forgot it (the reset)
        // answers with a reset; one that still holds its unsent bytes delivers them, then its FIN
        server.tell('ping')
        await server.line((l) => l.closed === 1, 8_000, 'the old connection to end on the server')
        const late = server.lines.filter((l) => l.on === 1 && l.t >= healedAt)
        console.log(`[netns] messages of the abandoned connection that reached the server after the heal: ${late.length}`)
        expect(late).toEqual([])
      } finally {
        await Promise.all(children.map((c) => c.stop()))
        await link?.destroy()
      }
    },
    20_000,
  )

  for (const mode of ['report', 'resend'] as const) {
    it.skipIf(!capability.capable)(
      `delivery '${mode}' across a kernel black hole: every message confirmed, or reported ('report'), or resent ('resend'); none lost silently (issue 14)${capability.capable ? '' : ` [skipped: ${capability.reason}]`}`,
      async () => {
        const dir = mkdtempSync(join(tmpdir(), 'llws-netns-'))
        cleanups.push(() => rmSync(dir, { recursive: true, force: true }))
        const bundle = await buildBundle(dir, true)

        let link: NetnsLink | undefined
        const children: { stop(): Promise<void> }[] = []
        try {
          link = await createNetnsLink()
          const server = reporter('server', inNamespace(link.serverNs, [process.execPath, join(support, 'netns-server.mjs'), link.serverIp]))
          children.push(server)
          const { listening: port } = await server.line((l) => l.listening !== undefined, 3_000, 'listening')
          const options = {
            heartbeat: { interval: INTERVAL, timeout: TIMEOUT },
            connectTimeout: 1_000,
            backoff: { initialDelay: 100, maxDelay: 400, factor: 2, jitter: 'none' },
            delivery: mode,
          }
          // a numbered message every 5 ms (200/s), whatever the state: written, queued, confirmed or reported
          const client = reporter(
            'client',
            inNamespace(link.clientNs, [process.execPath, join(support, 'netns-client.mjs'), bundle, `ws://${link.serverIp}:${port}/`, JSON.stringify(options), '5']),
          )
          children.push(client)
          await server.line((l) => l.on === 1, 3_000, 'a message on the first connection')
          const from = client.lines.length
          await link.drop()
          await client.line((l) => l.event === 'error' && l.args?.[0]?.code === 'HEARTBEAT_TIMEOUT', INTERVAL + TIMEOUT + 2_000, 'the heartbeat timeout', from)
          await link.heal()
          await server.line((l) => l.on === 2, 4_000, 'a message on the next connection')
          client.tell('stop')
          const settled = () => {
            const sent = client.lines.filter((l) => l.sent !== undefined).length
            const done = client.lines.filter((l) => l.confirmed !== undefined || l.dropped !== undefined).length
            return { sent, done }
          }
          await waitFor(() => {
            const { sent, done } = settled()
            return sent > 0 && sent === done
          }, 5_000, 'every message confirmed or reported', { describe: () => JSON.stringify(settled()) })
          const sent = settled().sent
          const result = account(
            {
              sent,
              confirmed: client.lines.filter((l) => l.confirmed !== undefined).map((l) => l.confirmed!),
              dropped: client.lines.filter((l) => l.dropped !== undefined).map((l) => [l.dropped!, l.reason!] as const),
            },
            recordOf(server.lines.filter((l) => l.got !== undefined).map((l) => ({ connection: String(l.on), text: l.got! }))),
          )
          console.log(`[netns] delivery '${mode}': sent ${sent}, read ${result.read}, dropped ${JSON.stringify(result.droppedBy)}, duplicates ${result.duplicates.length}`)
          expect(violations(result, mode)).toEqual([])
          if (mode === 'resend') expect(result.droppedBy).toEqual({})
        } finally {
          await Promise.all(children.map((c) => c.stop()))
          await link?.destroy()
        }
      },
      20_000,
    )
  }
})
