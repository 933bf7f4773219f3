/**
 * `useSocket(options)`: a shared, reference-counted lifeline socket as React state, through
 * `useSyncExternalStore`. Nothing is opened during render: the socket is acquired when React
 * subscribes (after commit, in the browser only), so server rendering and StrictMode's double
 * render open nothing.
 */
import { useCallback, useMemo, useRef, useSyncExternalStore } from 'react'
import type { Data } from '../core/queue.js'
import type { Phase } from '../core/state.js'
import type { SocketOptions } from '../options/types.js'
import { attachBrowserSignals, browserDefaults } from '../adapters/browser.js'
import { createSocket, type LifelineSocket } from '../runtime/socket.js'
import { connectionName, splitOptions } from '../split-options.js'
import { mustBe, type Expected } from './messages.dev.js'
import { acquire, closeNow, entries, release, type SharedEntry } from './registry.js'

export interface UseSocketOptions<T = undefined> extends SocketOptions {
  /** Names the connection: hooks with the same key share one socket. @default the url (and protocols); required when either is a function */
  key?: string
  /** `false`: hold no socket (state 'idle', send() returns false). @default true */
  enabled?: boolean
  /** ms the socket stays open after its last user unmounts, so a remount reuses it. @default 1000 */
  linger?: number
  /** On a key change, messages still queued in the old socket (if no one else uses it) are sent on the new one. @default false */
  carryQueue?: boolean
  /** Fold each message into `data`; returning the same value skips the re-render. `lastMessage` is then not tracked. @default undefined */
  reduce?: (data: T, message: any) => T
  /** `data` before the first message. @default undefined */
  initial?: T
  /** Makes the socket, e.g. `createSharedSocket` from lifeline-ws/tabs. @default createSocket for browsers */
  create?: (options: SocketOptions) => LifelineSocket
}

export interface SocketView<T = undefined> {
  /** The socket's phase; 'idle' until the component has mounted (and on the server). */
  readonly state: Phase
  /** The latest message (not tracked when `reduce` is given). */
  readonly lastMessage: any
  /** What `reduce` made of the messages so far, else `initial`. */
  readonly data: T
  /** The shared socket, once mounted and enabled. */
  readonly socket: LifelineSocket | undefined
}

export interface UseSocketResult<T = undefined> extends SocketView<T> {
  /** `socket.send(data)`; false when there is no socket (not mounted or disabled). Stable per key. */
  send(data: Data): boolean
}

type HookOptions = Pick<UseSocketOptions<unknown>, 'key' | 'enabled' | 'linger' | 'carryQueue' | 'reduce' | 'initial' | 'create'>
const HOOK_KEYS: (keyof HookOptions)[] = ['key', 'enabled', 'linger', 'carryQueue', 'reduce', 'initial', 'create']
const WHERE = 'useSocket(options)'

export function useSocket<T = undefined>(options: UseSocketOptions<T>): UseSocketResult<T> {
  const [own, socketOptions] = splitOptions<HookOptions>(options as UseSocketOptions<unknown>, HOOK_KEYS, WHERE)
  const key = check('key', own.key, typeof own.key === 'string' && own.key !== '', 'key') ?? connectionName(socketOptions, WHERE, 'key')
  const enabled = check('enabled', own.enabled, typeof own.enabled === 'boolean', 'boolean') ?? true
  const linger = check('linger', own.linger, typeof own.linger === 'number' && own.linger >= 0 && own.linger < Infinity, 'linger') ?? 1000
  for (const name of ['reduce', 'create'] as const) check(name, own[name], typeof own[name] === 'function', 'function')
  // read by the subscription when it runs, so a new reducer or linger needs no resubscribe
  const latest = useRef({ own, socketOptions, linger })
  latest.current = { own, socketOptions, linger }
  /** The entry this hook held last, for carrying its queue over on a key change. */
  const previous = useRef<SharedEntry | undefined>(undefined)

  // one box per key: its view is the snapshot React compares, replaced on every change; `idle` is
  // what the server rendered, so hydration matches it even when the key's socket is already open
  const box = useMemo(() => {
    const socket = enabled ? entries.get(key)?.socket : undefined
    const idle: SocketView<T> = { state: 'idle', lastMessage: undefined, data: own.initial as T, socket: undefined }
    return { idle, view: { ...idle, state: socket?.state ?? 'idle', socket } }
  }, [key, enabled])

  const subscribe = useCallback(
    (notify: () => void) => {
      if (!enabled) return () => {}
      const { own: o, socketOptions: so } = latest.current
      const make = o.create ?? ((opts: SocketOptions) => createSocket(opts, browserDefaults(), attachBrowserSignals))
      const entry = acquire(key, () => make(so))
      const last = previous.current
      if (o.carryQueue && last && last !== entry && last.users === 0) for (const data of closeNow(last)) entry.socket.send(data)
      previous.current = entry
      const socket = entry.socket
      const update = (patch: Partial<SocketView<T>>): void => {
        box.view = { ...box.view, ...patch }
        notify()
      }
      update({ socket, state: socket.state })
      const offs = [
        socket.on('state', (state) => update({ state })),
        socket.on('message', (message) => {
          const reduce = latest.current.own.reduce as ((data: T, message: unknown) => T) | undefined
          if (!reduce) return update({ lastMessage: message })
          const data = reduce(box.view.data, message)
          if (!Object.is(data, box.view.data)) update({ data })
        }),
      ]
      return () => {
        for (const off of offs) off()
        release(entry, latest.current.linger)
      }
    },
    [box],
  )

  const view = useSyncExternalStore(subscribe, () => box.view, () => box.idle)
  const send = useCallback((data: Data): boolean => box.view.socket?.send(data) ?? false, [box])
  return { ...view, send }
}

/** `value` when `ok` or not given (undefined), else a TypeError naming the option. */
function check<V>(name: string, value: V, ok: boolean, expected: Expected): V {
  if (value === undefined || ok) return value
  throw new TypeError(mustBe(`${WHERE}: ${name}`, value, expected))
}
