/**
 * One node of the fleet tests in a child process (test/fleet/session-node.mjs, from dist/: npx tsup),
 * so a test can SIGKILL it: a `ws` server with attachSessions() over redisStore(<url>) or, for
 * the url "memory", memoryStore(). It reports each message its handler got ([session, data,
 * redelivered]) and each error event; the child is killed in the cleanups.
 */
import { fork, type ChildProcess } from 'node:child_process'

/** What a node's handler got, in the order the node reported it: [node, session, data, redelivered]. */
export type Got = [number, string, string, boolean]

export interface FleetNode {
  child: ChildProcess
  send(m: { drain: number } | { stop: true }): void
}

export async function startNode(
  index: number,
  port: number,
  store: string,
  sink: { got: Got[]; errors: string[]; cleanups: Array<() => void | Promise<void>> },
): Promise<FleetNode> {
  const child = fork(new URL('../fleet/session-node.mjs', import.meta.url).pathname, [String(port), store, '600'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
  sink.cleanups.push(() => void child.kill('SIGKILL'))
  child.on('message', (m: { got?: [string, string, boolean]; error?: string }) => {
    if (m.got) sink.got.push([index, ...m.got])
    if (m.error) sink.errors.push(m.error)
  })
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`node ${index} not ready within 10 s`)), 10_000)
    child.on('message', (m: { ready?: boolean }) => {
      if (m.ready) {
        clearTimeout(timer)
        resolve()
      }
    })
    child.once('exit', (code) => reject(new Error(`node ${index} exited (${code})`)))
  })
  return { child, send: (m) => void (child.connected && child.send(m)) }
}
