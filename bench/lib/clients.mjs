// One small adapter per client library, so every benchmark drives them the same way.
//
// The peers need a WebSocket implementation in Node: reconnecting-websocket and partysocket get
// ws's class through their `WebSocket` option; websocket-ts has no such option and uses the global
// `WebSocket`, so ws's class is installed as `globalThis.WebSocket` here (Node 20 has none).
// Every library is used with its defaults unless a benchmark says otherwise; websocket-ts does not
// reconnect or buffer without being told to, so it gets its README's quick-start setup
// (`withBuffer(new ArrayQueue())`, `withBackoff(new ConstantBackoff(1000))`).
import { WebSocket as WS } from 'ws'
import { createSocket } from 'lifeline-ws'
import RWS from 'reconnecting-websocket'
import PartySocketWS from 'partysocket/ws'
import { ArrayQueue, ConstantBackoff, WebsocketBuilder, WebsocketEvent } from 'websocket-ts'

if (typeof globalThis.WebSocket === 'undefined') globalThis.WebSocket = WS

export const LIBS = ['ws', 'lifeline-ws', 'reconnecting-websocket', 'partysocket', 'websocket-ts']
export const PEERS = ['reconnecting-websocket', 'partysocket', 'websocket-ts']

export const LABELS = {
  ws: 'raw ws (ceiling)',
  'ws-on': "raw ws, on('message') (Buffer, no decode)",
  'ws-queue': 'raw ws + hand-written array, flushed in onopen (ceiling)',
  'lifeline-ws': '**lifeline-ws**',
  'reconnecting-websocket': 'reconnecting-websocket 4.4',
  partysocket: 'partysocket 1.3 (partysocket/ws)',
  'websocket-ts': 'websocket-ts 2.3',
}

/**
 * @param {string} lib one of LIBS, or 'ws-on' / 'ws-queue'
 * @param {string} url
 * @param {{ heartbeat?: object | false, queue?: object, lifeline?: object, onMessage?: (data: unknown) => void,
 *   onOpen?: () => void, onClose?: (info: { code?: number, reason?: string }) => void, onNotice?: (why: string) => void }} [o]
 */
export function connect(lib, url, o = {}) {
  const onMessage = o.onMessage ?? (() => {})
  const onOpen = o.onOpen ?? (() => {})
  const onClose = o.onClose ?? (() => {})
  let resolveOpen
  const opened = new Promise((resolve) => (resolveOpen = resolve))
  const opens = () => {
    resolveOpen()
    onOpen()
  }
  switch (lib) {
    case 'ws':
    case 'ws-on':
    case 'ws-queue': {
      const ws = new WS(url)
      const pending = []
      ws.onopen = () => {
        if (lib === 'ws-queue') for (let i = 0; i < pending.length; i++) ws.send(pending[i])
        pending.length = 0
        opens()
      }
      if (lib === 'ws-on') ws.on('message', (data) => onMessage(data))
      else ws.onmessage = (e) => onMessage(e.data)
      ws.onclose = (e) => onClose({ code: e.code, reason: e.reason })
      ws.onerror = () => {}
      return {
        lib,
        opened,
        send: lib === 'ws-queue' ? (d) => (ws.readyState === 1 ? ws.send(d) : pending.push(d)) : (d) => ws.send(d),
        get bufferedAmount() {
          return ws.bufferedAmount
        },
        close: () => ws.terminate(),
      }
    }
    case 'lifeline-ws': {
      const socket = createSocket({
        url,
        ...(o.heartbeat !== undefined ? { heartbeat: o.heartbeat } : {}),
        ...(o.queue ? { queue: o.queue } : {}),
        ...o.lifeline,
      })
      socket.on('open', opens)
      socket.on('message', onMessage)
      socket.on('close', (c) => onClose(c))
      socket.on('error', (e) => o.onNotice?.(e.code))
      return {
        lib,
        socket,
        opened,
        send: (d) => socket.send(d),
        get bufferedAmount() {
          return socket.bufferedAmount
        },
        close: () => socket.close(),
      }
    }
    case 'reconnecting-websocket':
    case 'partysocket': {
      const Class = lib === 'partysocket' ? PartySocketWS : RWS
      const s = new Class(url, undefined, { WebSocket: WS, ...o.peer })
      s.addEventListener('open', opens)
      s.addEventListener('message', (e) => onMessage(e.data))
      s.addEventListener('close', (e) => onClose({ code: e.code, reason: e.reason }))
      s.addEventListener('error', () => {})
      return {
        lib,
        opened,
        send: (d) => s.send(d),
        get bufferedAmount() {
          return s.bufferedAmount
        },
        close: () => s.close(),
      }
    }
    case 'websocket-ts': {
      const s = new WebsocketBuilder(url).withBuffer(new ArrayQueue()).withBackoff(new ConstantBackoff(1000)).build()
      s.addEventListener(WebsocketEvent.open, opens)
      s.addEventListener(WebsocketEvent.message, (_, e) => onMessage(e.data))
      s.addEventListener(WebsocketEvent.close, (_, e) => onClose({ code: e.code, reason: e.reason }))
      s.addEventListener(WebsocketEvent.error, () => {})
      return {
        lib,
        opened,
        send: (d) => s.send(d),
        get bufferedAmount() {
          return s.bufferedAmount
        },
        close: () => s.close(),
      }
    }
    default:
      throw new Error(`unknown library ${lib}`)
  }
}
