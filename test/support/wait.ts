/**
 * Bounded waits for real-network tests: every wait has a deadline and fails with a message that
 * says what was awaited and what was seen instead. Nothing here sleeps for a fixed time hoping a
 * condition will hold; timers are cleared as soon as a wait settles, so no handle is left behind.
 */
import type { EventEmitter } from 'node:events'
import type { LifelineSocket, SocketEventName } from '../../src/index.node.js'

export class WaitTimeout extends Error {
  override readonly name = 'WaitTimeout'
}

/**
 * Resolve once `predicate()` is true (checked now, then every `pollMs`); reject after `timeoutMs`
 * with `what` and, if given, `describe()` of the current situation.
 */
export function waitFor(
  predicate: () => boolean,
  timeoutMs: number,
  what: string,
  options: { pollMs?: number; describe?: () => string } = {},
): Promise<void> {
  const { pollMs = 5, describe } = options
  const started = Date.now()
  return new Promise((resolve, reject) => {
    let timer: NodeJS.Timeout | undefined
    const check = (): void => {
      timer = undefined
      let ok: boolean
      try {
        ok = predicate()
      } catch (error) {
        reject(error)
        return
      }
      if (ok) return resolve()
      if (Date.now() - started >= timeoutMs) {
        reject(new WaitTimeout(`timed out after ${timeoutMs} ms waiting for ${what}${describe ? `; ${describe()}` : ''}`))
        return
      }
      timer = setTimeout(check, Math.min(pollMs, Math.max(1, timeoutMs - (Date.now() - started))))
    }
    check()
    void timer
  })
}

/** The first `event` from a Node EventEmitter (optionally matching `filter`) within `timeoutMs`. */
export function waitForEmitter<T extends unknown[] = unknown[]>(
  emitter: EventEmitter,
  event: string,
  timeoutMs: number,
  what = `'${event}'`,
  filter: (...args: T) => boolean = () => true,
): Promise<T> {
  return new Promise((resolve, reject) => {
    const listener = (...args: unknown[]): void => {
      if (!filter(...(args as T))) return
      clearTimeout(timer)
      emitter.off(event, listener)
      resolve(args as T)
    }
    const timer = setTimeout(() => {
      emitter.off(event, listener)
      reject(new WaitTimeout(`timed out after ${timeoutMs} ms waiting for ${what}`))
    }, timeoutMs)
    emitter.on(event, listener)
  })
}

export interface Entry {
  /** Date.now() when the event was delivered. */
  t: number
  /** performance.now() when the event was delivered (for durations). */
  mono: number
  name: SocketEventName
  args: any[]
}

export interface Recorder {
  /** Every event of the socket, in delivery order. */
  readonly log: Entry[]
  /** Names only, e.g. ['state', 'open', ...]. */
  names(): string[]
  /** Arguments of every event with this name. */
  of(name: SocketEventName): any[][]
  /** The 'state' transitions as "prev>next". */
  states(): string[]
  /**
   * The first entry named `name` at index >= `from` (default 0) that matches `filter`: one already
   * recorded resolves at once; otherwise waits for it, at most `timeoutMs`.
   */
  waitFor(
    name: SocketEventName,
    timeoutMs: number,
    options?: { from?: number; filter?: (...args: any[]) => boolean; what?: string },
  ): Promise<Entry>
  /** Wait for the n-th (1-based) entry named `name`. */
  waitForCount(name: SocketEventName, n: number, timeoutMs: number): Promise<Entry>
  /** A compact rendering of the log for failure messages. */
  dump(): string
  /** Unsubscribe from the socket. */
  stop(): void
}

const ALL: SocketEventName[] = ['state', 'open', 'message', 'close', 'error', 'reconnecting', 'drop', 'giveup']

/** Record every event of `socket` with its time; subscribe before anything can happen. */
export function record(socket: LifelineSocket): Recorder {
  const log: Entry[] = []
  const waiters = new Map<() => void, NodeJS.Timeout>()
  const offs = ALL.map((name) =>
    socket.on(name, (...args: any[]) => {
      log.push({ t: Date.now(), mono: performance.now(), name, args })
      for (const wake of [...waiters.keys()]) wake()
    }),
  )
  const render = (e: Entry): string => {
    const a = e.args.map((x) => {
      if (x instanceof Error) return `${(x as { code?: string }).code ?? x.name}: ${x.message}`
      if (typeof x === 'string') return x.length > 40 ? `"${x.slice(0, 37)}..."` : JSON.stringify(x)
      if (x instanceof ArrayBuffer) return `ArrayBuffer(${x.byteLength})`
      try {
        const s = JSON.stringify(x)
        return s && s.length > 80 ? `${s.slice(0, 77)}...` : s
      } catch {
        return String(x)
      }
    })
    return `${e.name}(${a.join(', ')})`
  }
  const until = (find: () => Entry | undefined, timeoutMs: number, what: string): Promise<Entry> => {
    const found = find()
    if (found) return Promise.resolve(found)
    return new Promise((resolve, reject) => {
      const wake = (): void => {
        const e = find()
        if (!e) return
        clearTimeout(timer)
        waiters.delete(wake)
        resolve(e)
      }
      const timer = setTimeout(() => {
        waiters.delete(wake)
        reject(
          new WaitTimeout(
            `timed out after ${timeoutMs} ms waiting for ${what}; state=${socket.state}; events so far:\n  ${recorder.dump()}`,
          ),
        )
      }, timeoutMs)
      waiters.set(wake, timer)
    })
  }
  const recorder: Recorder = {
    log,
    names: () => log.map((e) => e.name),
    of: (name) => log.filter((e) => e.name === name).map((e) => e.args),
    states: () => log.filter((e) => e.name === 'state').map((e) => `${e.args[1]}>${e.args[0]}`),
    dump: () => log.map(render).join('\n  '),
    waitFor(name, timeoutMs, options = {}) {
      const { from = 0, filter = () => true, what = `'${name}'` } = options
      return until(() => {
        for (let i = from; i < log.length; i++) {
          const e = log[i]!
          if (e.name === name && filter(...e.args)) return e
        }
        return undefined
      }, timeoutMs, what)
    },
    waitForCount(name, n, timeoutMs) {
      return until(() => log.filter((e) => e.name === name)[n - 1], timeoutMs, `${n}× '${name}'`)
    },
    stop() {
      for (const off of offs) off()
      // pending waits can no longer succeed; drop their timers so no handle is left behind
      for (const timer of waiters.values()) clearTimeout(timer)
      waiters.clear()
    },
  }
  return recorder
}

/** Resolve once a net.Socket (or anything with `closed` and a 'close' event) has closed; bounded. */
export function closedWithin(
  socket: { readonly closed: boolean; once(event: 'close', listener: () => void): unknown; off(event: 'close', listener: () => void): unknown },
  timeoutMs: number,
  what = 'the socket to close',
): Promise<void> {
  if (socket.closed) return Promise.resolve()
  return new Promise((resolve, reject) => {
    const onClose = (): void => {
      clearTimeout(timer)
      resolve()
    }
    const timer = setTimeout(() => {
      socket.off('close', onClose)
      reject(new WaitTimeout(`timed out after ${timeoutMs} ms waiting for ${what}`))
    }, timeoutMs)
    socket.once('close', onClose)
  })
}
