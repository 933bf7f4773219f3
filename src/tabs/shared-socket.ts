/**
 * createSharedSocket: one real socket for every tab of an origin that names the same connection.
 *
 * Election: every tab asks Web Locks for the lock named after the channel; the holder (the leader)
 * owns the real socket, the others queue behind it. A closed tab releases its lock at once and the
 * next waiting tab leads. A frozen leader keeps its lock, so followers probe over BroadcastChannel
 * when they have not heard from it for a second, and steal the lock (`steal: true`) after
 * `takeoverTimeout` × [1, 1.5) ms (jittered, so many tabs do not steal together) without an answer.
 *
 * Sends: every tab keeps its messages in an outbox, numbered, until the leader reports them
 * written (or dropped). A new leader gets every unreported message again, in order, so nothing
 * sent while no tab leads is lost (a message written just before its leader vanished may arrive
 * twice). Events, state and stats() of the leader's socket are mirrored to followers.
 */
import { attachBrowserSignals, browserDefaults } from '../adapters/browser.js'
import type { Data, DropReason } from '../core/queue.js'
import type { Cause, EnvSignal, Phase } from '../core/state.js'
import { ownOnly } from '../options/read.js'
import type { QueueOptions, SocketOptions } from '../options/types.js'
import { checkData } from '../options/validate.js'
import { LifelineError, type ErrorCode } from '../runtime/errors.js'
import type { Disconnect, monitor as monitorOf, Stats } from '../runtime/monitor.js'
import type { WithInternals } from '../runtime/internals.js'
import { createSocket, type LifelineSocket, type SocketEventName } from '../runtime/socket.js'
import { callAll, subscribe, type ListenerLists } from '../runtime/listeners.js'
import { connectionName } from '../split-options.js'
import { tabIntents } from './intents.js'
import { ALONE, mustBe, type Expected } from './messages.dev.js'

export interface TabOptions {
  /** Names the connection across tabs (the lock and the BroadcastChannel). @default 'lifeline-ws ' + the url (and protocols); required when either is a function */
  channel?: string
  /** ms a follower waits for a probed leader before taking over (plus up to half again, random). @default 3000 */
  takeoverTimeout?: number
  /**
   * The URL of a module script that calls `serveSharedSocket(options)`: where the browser has
   * SharedWorker, that worker holds the socket and every tab is its follower (no election); elsewhere
   * the tabs elect a leader as usual. @default undefined (elect a leader tab)
   */
  sharedWorker?: string | URL
  /**
   * `monitor` from `lifeline-ws/monitor`, to give every tab `stats()` (the leader's, mirrored) and
   * `history()`; without it the shared socket has neither, and none of the monitor's bytes.
   * @default undefined
   */
  monitor?: typeof monitorOf
  /**
   * `tabIntents` from `lifeline-ws/tabs`, for `intent()`: every tab's intents held by the leader's
   * socket; without it `intent()` throws, and the shared socket has none of its bytes.
   * @default undefined
   */
  intents?: typeof tabIntents
}

/** What the tabs talk through: a BroadcastChannel, a SharedWorker's port, or the worker's ports. */
interface Channel {
  postMessage(message: unknown): void
  onmessage: ((event: MessageEvent) => void) | null
  close(): void
}

export interface SharedSocketOptions extends SocketOptions, TabOptions {}

export interface SharedSocket extends LifelineSocket {
  /**
   * 'leader': this tab holds the real socket. 'follower': the leader's socket serves it.
   * 'alone': no Web Locks or BroadcastChannel here, so this tab has a socket of its own.
   */
  readonly role: 'leader' | 'follower' | 'alone'
  /** `send()` as a promise: resolves once the leader wrote it, rejects DROPPED with `.reason`. */
  sendAsync(data: Data): Promise<void>
  /** The leader's stats (with the `monitor` option; otherwise absent). */
  stats?(): Stats
  /** This tab's own disconnects while it led (with the `monitor` option; otherwise absent). */
  history?(): Disconnect[]
}

/** The leader socket's properties that followers read as their own. */
const MIRRORED_PROPERTIES = ['state', 'attempt', 'rtt', 'protocol', 'url', 'bufferedAmount'] as const

/** What the leader's socket looks like, sent with each of its events and each answer to a probe. */
type Snapshot = Pick<LifelineSocket, (typeof MIRRORED_PROPERTIES)[number]> & { stats?: Stats }

/**
 * Posted on the BroadcastChannel, stamped with `at` (Date.now() when posted). `to` addresses one
 * tab; `id` (only on what a leader posts) names the leader.
 */
export type Wire = { at?: number } & (
  | { t: 'lead'; id: string; s: Snapshot }
  | { t: 'probe' }
  // `a`: the event's arguments; an error's are its code and message (structured clone keeps no LifelineError)
  | { t: 'ev'; id: string; n: SocketEventName; a: unknown[]; s: Snapshot }
  | { t: 'msg'; id: string; d: unknown }
  | { t: 'send'; to: string; from: string; q: number; d: Data }
  | { t: 'ack'; to: string; q: number; r?: DropReason }
  | { t: 'cmd'; to: string; c: 'connect' | 'reconnect' | 'signal'; a?: EnvSignal }
  // a tab's intent `k` (`<tab> <key>`: a provider's message as it was when posted), or its removal (no `d`)
  | { t: 'int'; to: string; k: string; d?: Data }
)

/** A message in this tab's outbox: its number, its data and (sendAsync) what settles its promise. */
interface Outgoing {
  q: number
  d: Data
  s?: (reason?: DropReason) => void
}

/** Events of the leader's socket that every tab sees ('message' goes its own way; 'drop' only to the sender). */
const MIRRORED: SocketEventName[] = ['state', 'open', 'close', 'error', 'reconnecting', 'suspended', 'giveup']
const PROBE_EVERY = 1000
const WHERE = 'createSharedSocket(options)'

/** Like `createSocket`, but one connection serves every tab of this origin (see the module comment). */
export function createSharedSocket(options: SharedSocketOptions): SharedSocket {
  return share(options)
}

/**
 * In the script of the SharedWorker named by the tabs' `sharedWorker` option: hold the real socket
 * for every tab that connects. The tabs' socket options are not used; these are.
 */
export function serveSharedSocket(options: SocketOptions): SharedSocket {
  const ports: MessagePort[] = []
  const hub: Channel = {
    onmessage: null,
    postMessage: (message) => ports.forEach((port) => port.postMessage(message)),
    close() {},
  }
  ;(globalThis as { onconnect?: (event: MessageEvent) => void }).onconnect = ({ ports: [port] }) => {
    ports.push(port!)
    port!.onmessage = (event) => hub.onmessage!(event)
  }
  // the worker holds the intents of tabs with the `intents` option, whatever its own options
  return share(options, hub, tabIntents)
}

/** A shared socket talking through the tabs' BroadcastChannel, a SharedWorker's port, or (`hub`) as the worker itself. */
function share(options: SharedSocketOptions, hub?: Channel, hubIntents?: typeof tabIntents): SharedSocket {
  // own properties only, onto no prototype: a key on a polluted Object.prototype (`sharedWorker`,
  // `debug`…) is no option the caller set; createSocket checks the socket's (and rejects unknown keys)
  const own = ownOnly(options) as unknown as SharedSocketOptions
  // a default for undefined only: null is a wrong value, as for every option
  const { channel: named, takeoverTimeout: takeover = 3000, sharedWorker: worker, monitor, intents = hubIntents, ...rest } = own
  const socketOptions = ownOnly(rest) as unknown as SocketOptions
  /** A TypeError naming `option` and its value unless `ok`. */
  const check = (option: Expected, ok?: boolean): void => {
    if (!ok) throw new TypeError(mustBe(`${WHERE}: ${option}`, { options, ...own }[option], option))
  }
  check('options', options !== null && typeof options === 'object')
  check('channel', named === undefined || (typeof named === 'string' && named !== ''))
  check('takeoverTimeout', typeof takeover === 'number' && takeover > 0 && takeover < Infinity)
  check('sharedWorker', worker === undefined || typeof worker === 'string' || worker instanceof URL)
  check('monitor', monitor === undefined || typeof monitor === 'function')
  check('intents', intents === undefined || typeof intents === 'function')
  const name = `lifeline-ws ${named ?? connectionName(socketOptions, WHERE, 'channel')}`
  let binaryType = socketOptions.binaryType
  let watched: ReturnType<typeof monitorOf> | undefined
  /** A socket of this tab's, lazy (its caller connects it), with the internal door (its driver) the leader writes through. */
  const make = (): LifelineSocket & WithInternals => {
    const socket = createSocket({ ...socketOptions, lazy: true, binaryType }, browserDefaults(), attachBrowserSignals) as LifelineSocket & WithInternals
    watched = monitor?.(socket)
    return socket
  }
  // validates every option now, in every tab; a follower never opens it
  let real = make()
  const SharedWorkerCtor = (globalThis as { SharedWorker?: typeof SharedWorker }).SharedWorker
  /** A channel with a fixed leader (the worker): no election. */
  const direct = hub ?? (worker && SharedWorkerCtor ? new SharedWorkerCtor(worker, { type: 'module', name }).port : undefined)
  const locks = (globalThis as { navigator?: { locks?: LockManager } }).navigator?.locks!
  if (!direct && (typeof locks?.request !== 'function' || typeof BroadcastChannel !== 'function')) {
    socketOptions.debug?.(ALONE, {})
    if (!socketOptions.lazy) real.connect()
    // with the monitor option, its stats() and history() (own properties, so nothing inherited comes along)
    return Object.assign(real, watched, {
      role: 'alone' as const,
      sendAsync: (data: Data) => promised((settle) => real._internals().send(data, settle)),
    })
  }
  real.close()
  /** Closed for good: it checks arguments as a socket does, and says nothing. */
  const checker = real

  const listeners: ListenerLists = {}
  const emit = (event: SocketEventName, ...args: unknown[]): void => callAll(listeners[event], args)
  const channel: Channel = direct ?? new BroadcastChannel(name)
  /** This tab's name on the channel: random, it only has to differ from the other tabs'. */
  const me = `${Math.random()}`
  const queueLimit = (ownOnly(socketOptions.queue!) as QueueOptions).maxMessages ?? 1000
  const giveUp = new AbortController()
  const outbox: Outgoing[] = []
  /** The leading tab's id: `me` while this tab leads. */
  let leader: string | undefined
  let snap: Snapshot | undefined
  let snapAt = 0
  let current: Phase = 'idle'
  let closed = false
  let waiting = false
  /** While set, the leader's socket is being closed by this tab: its events and 'closed' drops are not news. */
  let quiet = false
  let seq = 0
  let unbind: (() => void)[] = []
  let unlock: (() => void) | undefined
  let stealTimer: ReturnType<typeof setTimeout> | undefined

  const post = (message: Wire): void => {
    message.at = Date.now()
    channel.postMessage(message)
  }
  const snapshot = (): Snapshot => ({
    ...(Object.fromEntries(MIRRORED_PROPERTIES.map((key) => [key, real[key]])) as unknown as Snapshot),
    stats: watched?.stats(),
  })
  /** `cause`: the leader socket's own, or 'leader' when this tab starts reading another socket (a new leader). */
  const mirror = (next: Phase, reason: string, cause: Cause): void => {
    const prev = current
    if (next !== prev) emit('state', (current = next), prev, reason, cause)
  }
  /** An event of the leader's socket, in this tab (every event but 'state' has one argument). */
  const hear = (event: SocketEventName, [first, , reason, cause]: unknown[]): void =>
    event === 'state' ? mirror(first as Phase, reason as string, cause as Cause) : emit(event, first)
  const announce = (): void => post({ t: 'lead', id: me, s: snapshot() })

  /** Ask for the lock: queued behind the holder, or taking it from a holder that stopped answering. */
  const candidate = (steal?: boolean): void => {
    if (closed || direct || (!steal && waiting)) return
    if (!steal) waiting = true
    locks
      .request(name, steal ? { steal } : { signal: giveUp.signal }, () => {
        if (!steal) waiting = false
        return closed ? undefined : new Promise<void>(lead)
      })
      // rejected: the lock was stolen from this tab (or the request aborted by close())
      .catch(() => {
        stepDown()
        candidate()
      })
  }

  const lead = (release: () => void): void => {
    stealTimer = clearTimeout(stealTimer) as undefined
    leader = me
    unlock = release
    real = make()
    unbind = MIRRORED.map((event) =>
      real.on(event, (...args: unknown[]) => {
        if (quiet) return
        hear(event, args)
        const error = args[0] as LifelineError
        post({ t: 'ev', id: me, n: event, a: event === 'error' ? [error.code, error.message] : args, s: snapshot() })
      }),
    )
    unbind.push(
      real.on('message', (data) => {
        emit('message', data)
        post({ t: 'msg', id: me, d: data })
      }),
    )
    mirror(real.state, 'leader tab', 'leader')
    announce()
    catchUp()
    if (!socketOptions.lazy) real.connect()
  }

  /** No longer the leader: close the real socket quietly; every tab's unwritten messages stay in its outbox. */
  const stepDown = (code?: number, reason?: string): void => {
    if (leader !== me) return
    leader = undefined
    snapAt = 0
    unbind.map((off) => off())
    quiet = true
    real.close(code, reason)
    quiet = false
    unlock?.()
  }

  /** Leader: write one message of tab `from` and tell that tab when it is written or dropped. */
  const write = (from: string, q: number, data: Data): void => {
    real._internals().send(data, (reason) => (!reason || !quiet) && (from === me ? settle(q, reason) : post({ t: 'ack', to: from, q, r: reason })))
  }
  const settle = (q: number, reason?: DropReason): void => {
    const at = outbox.findIndex((entry) => entry.q === q)
    if (at < 0) return
    const [entry] = outbox.splice(at, 1)
    entry!.s?.(reason)
    if (reason) emit('drop', { data: entry!.d, reason })
  }
  const deliver = (entry: Outgoing): void => {
    if (leader === me) write(me, entry.q, entry.d)
    else if (leader) post({ t: 'send', to: leader, from: me, q: entry.q, d: entry.d })
  }
  const enqueue = (data: Data, done?: Outgoing['s']): boolean => {
    const entry: Outgoing = { q: ++seq, d: data, s: done }
    const refused: DropReason | false = closed ? 'closed' : outbox.length >= queueLimit && 'overflow'
    outbox.push(entry)
    refused ? settle(entry.q, refused) : deliver(entry)
    return !refused
  }
  /**
   * To a new leader (this tab or another): this tab's intents, then every unreported message again,
   * in order; over a copy: a write may settle (remove) entries as it goes, only ever its own or older
   * ones (drop-oldest), so none not yet written.
   */
  const catchUp = (): void => {
    plug?.lead()
    outbox.slice().forEach(deliver)
  }
  const command = (c: 'connect' | 'reconnect' | 'signal', a?: EnvSignal): void => {
    // connect() and reconnect() ignore the argument
    if (leader === me) real[c](a!)
    else if (leader) post({ t: 'cmd', to: leader, c, a })
  }

  /** With the `intents` option: intent(), the leader holding every tab's intents. */
  const plug = intents?.(me, () => (leader === me ? real : leader), post, emit, checker)

  channel.onmessage = ({ data: m }: MessageEvent<Wire>) => {
    if (closed || ('to' in m && m.to !== me)) return
    if (m.t === 'ack') return settle(m.q, m.r)
    if (leader === me) {
      // Another tab leads, or this one was frozen (or stuck) long enough for a follower to have
      // taken over: the lock may be gone, so write nothing more (the senders keep their messages).
      if (!hub && ('id' in m || Date.now() - m.at! > takeover)) {
        stepDown()
        return candidate()
      }
      if (m.t === 'probe') announce()
      else if (m.t === 'send') write(m.from, m.q, m.d)
      else if (m.t === 'cmd') command(m.c, m.a)
      else if (m.t === 'int') plug?.hold(m.k, m.d)
      return
    }
    if (!('id' in m)) return
    // a new leader only by its announcement: a deposed one may still post events before it notices
    if (m.t === 'lead' && m.id !== leader) {
      leader = m.id
      catchUp()
    }
    if (m.id !== leader) return
    stealTimer = clearTimeout(stealTimer) as undefined
    if (m.t === 'msg') return emit('message', m.d)
    snap = m.s
    snapAt = Date.now()
    if (m.t === 'lead') return mirror(snap.state, 'leader tab', 'leader')
    hear(m.n, m.n === 'error' ? [new LifelineError(...(m.a as [ErrorCode, string]))] : m.a)
  }

  const tick = setInterval(() => {
    if (leader === me || stealTimer || Date.now() - snapAt < PROBE_EVERY) return
    post({ t: 'probe' })
    stealTimer = setTimeout(() => {
      stealTimer = undefined
      candidate(true)
    }, takeover * (1 + Math.random() / 2))
  }, PROBE_EVERY)

  hub ? lead(() => {}) : candidate()
  post({ t: 'probe' })

  /** The leader's socket, or the last snapshot of it (before any: this tab's closed socket). */
  const live = (): LifelineSocket | Snapshot => (leader === me || !snap ? real : snap)
  const shared = {
    get role() {
      return leader === me ? 'leader' : 'follower'
    },
    get state() {
      return current
    },
    /** This tab's messages not yet written by the leader. */
    get queued() {
      return outbox.length
    },
    get binaryType() {
      return real.binaryType
    },
    set binaryType(value) {
      real.binaryType = binaryType = value
    },
    on(event, listener) {
      // the socket's own checks and messages: subscribe to it and let go at once
      real.on(event, listener)()
      return subscribe(listeners, event, listener)
    },
    send(data) {
      checkData('send(data): data', data)
      return enqueue(data)
    },
    sendAsync(data) {
      checkData('sendAsync(data): data', data)
      return promised((settle) => enqueue(data, settle))
    },
    connect: () => command('connect'),
    reconnect: () => command('reconnect'),
    signal: (signal) => command('signal', signal),
    // without the option: its TypeError ('got undefined')
    intent: plug?.intent ?? ((() => check('intents')) as never),
    ...(monitor && {
      stats: () => (live() === real ? watched!.stats() : snap!.stats!),
      /** This tab's own: its socket's while it leads or since it last led, else empty. */
      history: () => watched!.history(),
    }),
    close(code, reason) {
      if (closed) return
      // checks code and reason exactly as a socket does, before anything changes
      checker.close(code, reason)
      // the leader lets go of this tab's intents
      plug?.close()
      // the leader's socket says them in its close frame
      stepDown(code, reason)
      closed = true
      giveUp.abort()
      clearInterval(tick)
      clearTimeout(stealTimer)
      channel.close()
      outbox.slice().map((entry) => settle(entry.q, 'closed'))
      mirror('closed', 'close()', 'user-close')
    },
  } as SharedSocket
  // attempt, rtt, protocol, url, bufferedAmount: the leader's
  for (const key of MIRRORED_PROPERTIES.slice(1)) Object.defineProperty(shared, key, { get: () => live()[key] })
  return shared
}

/** A message's fate as a promise: resolves once written, rejects DROPPED with `.reason`. */
function promised(start: (settle: (reason?: DropReason) => void) => void): Promise<void> {
  return new Promise((resolve, reject) =>
    start((reason) => (reason ? reject(Object.assign(new LifelineError('DROPPED', `message dropped: ${reason}`), { reason })) : resolve())),
  )
}
