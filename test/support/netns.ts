/**
 * A kernel-level half-open link for tests: two network namespaces of our own joined by a veth pair,
 * with link-local addresses that exist only inside them, and `iptables -j DROP` on INPUT in both
 * to turn the link into a silent black hole (no RST, no ICMP, no local error: TCP on both ends
 * simply stops hearing anything). Nothing is changed in the namespace the tests run in.
 *
 * Needs Linux, root (CAP_NET_ADMIN), `ip` (iproute2) and `iptables`. `probeNetns()` says whether
 * all of that works here, and if not, exactly why.
 */
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'

const run = promisify(execFile)

/** Our namespaces are named `llws-<role>-<pid>-<n>`, so leftovers of a dead run can be found. */
const PREFIX = 'llws-'

async function sh(cmd: string, args: string[], timeoutMs = 5_000): Promise<string> {
  try {
    const { stdout } = await run(cmd, args, { timeout: timeoutMs })
    return stdout
  } catch (error) {
    const e = error as { stderr?: string; message: string }
    throw new Error(`${cmd} ${args.join(' ')} failed: ${(e.stderr || e.message).trim()}`)
  }
}

export interface Capability {
  capable: boolean
  /** Why not (empty when capable). */
  reason: string
}

/** Whether network namespaces, veth and iptables inside a namespace all work here. */
export async function probeNetns(): Promise<Capability> {
  if (process.platform !== 'linux') return { capable: false, reason: `platform is ${process.platform}, not linux` }
  if (typeof process.getuid === 'function' && process.getuid() !== 0) {
    return { capable: false, reason: `not root (uid ${process.getuid()}): ip netns needs CAP_NET_ADMIN` }
  }
  for (const [bin, args] of [
    ['ip', ['-V']],
    ['iptables', ['--version']],
  ] as const) {
    try {
      await sh(bin, [...args], 2_000)
    } catch (error) {
      return { capable: false, reason: `\`${bin}\` is not usable: ${(error as Error).message}` }
    }
  }
  await removeStaleNamespaces()
  const ns = `${PREFIX}probe-${process.pid}`
  try {
    await sh('ip', ['netns', 'add', ns])
  } catch (error) {
    return { capable: false, reason: `cannot create a network namespace: ${(error as Error).message}` }
  }
  try {
    await sh('ip', ['-n', ns, 'link', 'add', 'pa', 'type', 'veth', 'peer', 'name', 'pb'])
    await sh('ip', ['netns', 'exec', ns, 'iptables', '-A', 'INPUT', '-j', 'DROP'])
    await sh('ip', ['netns', 'exec', ns, 'iptables', '-D', 'INPUT', '-j', 'DROP'])
    return { capable: true, reason: '' }
  } catch (error) {
    return { capable: false, reason: `veth or iptables inside a namespace does not work: ${(error as Error).message}` }
  } finally {
    await sh('ip', ['netns', 'del', ns]).catch(() => undefined)
  }
}

/** Delete namespaces of ours left behind by a run whose process is gone. */
async function removeStaleNamespaces(): Promise<void> {
  let list = ''
  try {
    list = await sh('ip', ['netns', 'list'], 2_000)
  } catch {
    return
  }
  for (const line of list.split('\n')) {
    const name = line.trim().split(/\s+/)[0] ?? ''
    const match = /^llws-[a-z]+-(\d+)(?:-\d+)?$/.exec(name)
    if (!match) continue
    const pid = Number(match[1])
    if (pid === process.pid) continue
    let alive = true
    try {
      process.kill(pid, 0)
    } catch {
      alive = false
    }
    if (!alive) await sh('ip', ['netns', 'del', name]).catch(() => undefined)
  }
}

export interface NetnsLink {
  readonly clientNs: string
  readonly serverNs: string
  /** Addresses on the veth pair; they exist only inside the two namespaces. */
  readonly clientIp: string
  readonly serverIp: string
  /** Black-hole the link: DROP everything arriving, in both namespaces (client first). */
  drop(): Promise<{ clientDroppedAt: number; bothDroppedAt: number }>
  /** Remove the DROP rules. */
  heal(): Promise<void>
  /** Delete both namespaces (and with them the veth pair). Idempotent; never throws. */
  destroy(): Promise<void>
}

let counter = 0

/** Two fresh namespaces joined by a veth pair with 169.254.77.1/30 (client) and .2 (server). */
export async function createNetnsLink(): Promise<NetnsLink> {
  const n = ++counter
  const clientNs = `${PREFIX}c-${process.pid}-${n}`
  const serverNs = `${PREFIX}s-${process.pid}-${n}`
  const clientIp = '169.254.77.1'
  const serverIp = '169.254.77.2'
  let destroyed: Promise<void> | undefined
  const destroy = (): Promise<void> =>
    (destroyed ??= (async () => {
      // deleting a namespace removes its end of the veth, and with it the other end
      await sh('ip', ['netns', 'del', clientNs]).catch(() => undefined)
      await sh('ip', ['netns', 'del', serverNs]).catch(() => undefined)
    })())
  try {
    await sh('ip', ['netns', 'add', clientNs])
    await sh('ip', ['netns', 'add', serverNs])
    // created inside the client namespace, its peer straight in the server namespace: the
    // namespace the tests run in never sees either interface
    await sh('ip', ['-n', clientNs, 'link', 'add', 'vc', 'type', 'veth', 'peer', 'name', 'vs', 'netns', serverNs])
    await sh('ip', ['-n', clientNs, 'addr', 'add', `${clientIp}/30`, 'dev', 'vc'])
    await sh('ip', ['-n', serverNs, 'addr', 'add', `${serverIp}/30`, 'dev', 'vs'])
    for (const [ns, dev] of [
      [clientNs, 'vc'],
      [serverNs, 'vs'],
      [clientNs, 'lo'],
      [serverNs, 'lo'],
    ] as const) {
      await sh('ip', ['-n', ns, 'link', 'set', dev, 'up'])
    }
  } catch (error) {
    await destroy()
    throw error
  }
  const rule = (ns: string, op: '-I' | '-D'): Promise<string> => sh('ip', ['netns', 'exec', ns, 'iptables', op, 'INPUT', '-j', 'DROP'])
  return {
    clientNs,
    serverNs,
    clientIp,
    serverIp,
    async drop() {
      await rule(clientNs, '-I')
      const clientDroppedAt = Date.now()
      await rule(serverNs, '-I')
      return { clientDroppedAt, bothDroppedAt: Date.now() }
    },
    async heal() {
      await rule(clientNs, '-D')
      await rule(serverNs, '-D')
    },
    destroy,
  }
}

/** The command line that runs `argv` inside namespace `ns`. */
export function inNamespace(ns: string, argv: string[]): [string, string[]] {
  return ['ip', ['netns', 'exec', ns, ...argv]]
}
