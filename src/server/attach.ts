/**
 * attachSessions(wss): lifeline.v1 sessions on a `ws` WebSocketServer. A client offering the
 * `lifeline.v1` subprotocol becomes a session (the wss's 'connection' listeners never see it);
 * every other client is an ordinary socket, as before.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto'
import type { IncomingMessage } from 'node:http'
import type { WebSocket, WebSocketServer } from 'ws'
import { CLOSE, decodeFrame, ProtocolError, SUBPROTOCOL } from '../protocol/codec.js'
import { resolveServerOptions, type ResolvedOptions, type SessionServerOptions } from './options.js'
import { messageOf, ServerSession, type Hub, type Session, type SessionEndReason } from './session.js'
import { isShared, memoryStore, SessionMovedError, type SessionStore, type SharedRecord, type SharedSessionStore } from './store.js'

export interface DrainOptions {
  /** Clients reconnect at a random moment within this many ms; at `within` + 1 s the rest are closed with 1012. @default 10_000 */
  within?: number
}

export interface SessionServerEvents {
  session: (session: Session) => void
  /** A listener threw or its promise rejected, or the store failed. Never a crash. */
  error: (error: unknown, session: Session | undefined) => void
}

export interface SessionServer {
  on<E extends keyof SessionServerEvents>(event: E, listener: SessionServerEvents[E]): () => void
  /** Sessions alive: connected or within their resume window. */
  readonly size: number
  /**
   * Send to session `id` wherever its client is: connected to this server (`session.send()`), to
   * another node of the fleet, or to none (within the resume window). With a shared store the
   * message is appended to the session's stored outbound list, which numbers it once (one Lua
   * script); the node holding the session is woken by Redis pub/sub and reads it from the list, a
   * node that resumes the session later finds it there. The list, not the notification, carries
   * the message: a lost notification only delays it until that node's next heartbeat. So it
   * reaches the client exactly once, in the order the store numbered it.
   * Resolves once the message is durable (stored; held by this process for a session held here
   * with the in-memory store). Rejects when no such session exists (ended, expired, never
   * existed, or held by another process with the in-memory store) or the store could not confirm
   * the write (the message may or may not arrive). Bad data throws as `session.send()` does.
   */
  send(id: string, data: string | ArrayBuffer | ArrayBufferView): Promise<void>
  /**
   * Tell every connected session client to move to a new connection (each at a random moment
   * within `within`), for a deploy: nothing is lost, the clients resume. Resolves once every one
   * of those connections has closed.
   */
  drain(options?: DrainOptions): Promise<void>
  /** End every session ('shutdown', connections closed with 1001) and give the wss back its own behaviour. */
  close(): void
}

const ID_BYTES = 16
const SECRET_BYTES = 16
const DRAIN_GRACE = 1000
/** How often a resume asks the node holding the session to let go (until the answer deadline, helloTimeout). */
const CLAIM_RETRY = 25

/** The user's protocol choice among the others a session client offered, per upgrade request. */
const chosen = new WeakMap<IncomingMessage, string>()

export function attachSessions(wss: WebSocketServer, options?: SessionServerOptions): SessionServer {
  if (wss === null || typeof wss !== 'object' || typeof (wss as { on?: unknown }).on !== 'function' || typeof (wss as { options?: unknown }).options !== 'object') {
    throw new TypeError(`attachSessions(wss): wss must be a ws WebSocketServer, got ${wss === null ? 'null' : typeof wss}`)
  }
  const resolved: ResolvedOptions = resolveServerOptions(options)
  const configured = resolved.store ?? memoryStore()
  const shared: SharedSessionStore | undefined = isShared(configured) ? configured : undefined
  const store: SessionStore | undefined = isShared(configured) ? undefined : configured
  const sessions = new Map<string, ServerSession>()
  const listeners: { [E in keyof SessionServerEvents]: Set<SessionServerEvents[E]> } = { session: new Set(), error: new Set() }
  const pending = new Set<WebSocket>()
  let closed = false

  const reportError = (error: unknown, session?: Session): void => {
    if (listeners.error.size === 0) console.error('lifeline-ws/server: unhandled error (listen to sessions.on("error"))', error)
    for (const listener of listeners.error) listener(error, session)
  }
  const quietly = (work: () => unknown, session?: Session): void => {
    try {
      void Promise.resolve(work()).catch((error: unknown) => reportError(error, session))
    } catch (error) {
      reportError(error, session)
    }
  }

  const hub: Hub = {
    options: resolved,
    owner: randomBytes(8).toString('base64url'),
    shared,
    ended(session, reason: SessionEndReason) {
      if (sessions.get(session.id) === session) sessions.delete(session.id)
      if (reason === 'moved') return
      if (store) quietly(() => store.delete(session.id), session)
      else if (session.durable) quietly(() => session.durable!.delete(session.id, hub.owner), session)
    },
    away(session) {
      // a shared store already holds every step
      if (store) quietly(() => store.set(session.record(), resolved.resumeWindow), session)
    },
    expired(session) {
      if (!store) return session.end('expired')
      // a shared store may show another server resumed it meanwhile
      quietly(async () => {
        const record = await store.get(session.id)
        session.end(record && record.owner !== hub.owner ? 'moved' : 'expired')
      }, session)
    },
    error: reportError,
  }
  // a shared store: this node's lease and channel (posts from other nodes, release requests)
  const started = shared
    ? shared
        .start(hub.owner, {
          posted: (id) => sessions.get(id)?.posted(),
          // a session this node no longer holds in memory but the store still names it for (it let
          // go while Redis was away): clear the owner, fenced by the script, so the resume can claim it
          release: (id) => {
            const session = sessions.get(id)
            if (session) session.release()
            else quietly(() => shared.release(id, hub.owner))
          },
          error: (error) => reportError(error),
        })
        .catch((error: unknown) => reportError(error))
    : Promise.resolve()

  // negotiation: pick lifeline.v1 when offered; the user's own choice among the rest goes in WELCOME
  const userHandleProtocols = wss.options.handleProtocols
  const handleProtocols = (protocols: Set<string>, request: IncomingMessage): string | false => {
    if (!protocols.has(SUBPROTOCOL)) return userHandleProtocols ? userHandleProtocols(protocols, request) : (protocols.values().next().value ?? false)
    const rest = new Set(protocols)
    rest.delete(SUBPROTOCOL)
    const pick = rest.size === 0 ? false : userHandleProtocols ? userHandleProtocols(rest, request) : rest.values().next().value!
    chosen.set(request, pick || '')
    return SUBPROTOCOL
  }
  wss.options.handleProtocols = handleProtocols

  // the wss's own upgrade listener (and a noServer user's) goes through handleUpgrade: a session
  // socket is taken there, so 'connection' listeners and callbacks only ever see ordinary sockets
  const ownHandleUpgrade = Object.prototype.hasOwnProperty.call(wss, 'handleUpgrade')
  const originalHandleUpgrade = wss.handleUpgrade
  wss.handleUpgrade = function (this: WebSocketServer, request, socket, head, callback) {
    return originalHandleUpgrade.call(this, request, socket, head, (ws, req) => {
      if (ws.protocol === SUBPROTOCOL && !closed) accept(ws, req)
      else callback(ws, req)
    })
  } as typeof wss.handleUpgrade

  function accept(ws: WebSocket, request: IncomingMessage): void {
    const protocol = chosen.get(request) ?? ''
    ws.binaryType = 'nodebuffer'
    ws.on('error', () => {}) // a reset link: 'close' follows, which is what matters
    // connections that have not said HELLO count against the limit too: a flood of them is bounded
    if (pending.size >= resolved.maxSessions) return ws.close(CLOSE.tryLater, 'too many connections waiting for HELLO')
    pending.add(ws)
    const fail = (code: number, reason: string): void => {
      pending.delete(ws)
      ws.off('message', onMessage)
      ws.close(code, reason)
    }
    let timer = setTimeout(() => fail(CLOSE.protocol, `no HELLO within ${resolved.helloTimeout} ms`), resolved.helloTimeout)
    ws.on('close', () => {
      clearTimeout(timer)
      pending.delete(ws)
    })
    // the answer is bounded too: a store that stalls (Redis reconnecting) gets the client a close it
    // retries, never a connection left hanging without a WELCOME
    const unanswered = (): void => {
      if (!pending.has(ws)) return
      reportError(new Error(`session store not answering: a HELLO got no answer within helloTimeout (${resolved.helloTimeout} ms); closed with ${CLOSE.tryLater}`))
      fail(CLOSE.tryLater, 'session store not answering: try again later')
    }
    let greeted = false
    const onMessage = (data: unknown, isBinary: boolean): void => {
      clearTimeout(timer)
      try {
        // the client waits for WELCOME before anything else
        if (greeted) throw new ProtocolError(CLOSE.protocol, 'frame before WELCOME')
        greeted = true
        if (!isBinary) throw new ProtocolError(CLOSE.protocol, 'text frame: lifeline.v1 frames are binary')
        const frame = decodeFrame(data as Buffer)
        if (frame.type !== 'hello') throw new ProtocolError(CLOSE.protocol, `expected HELLO, got a ${frame.type} frame`)
        timer = setTimeout(unanswered, resolved.helloTimeout)
        const answered = (): boolean => {
          clearTimeout(timer)
          ws.off('message', onMessage)
          return pending.delete(ws)
        }
        quietly(() => hello(ws, protocol, frame.received, frame.window, frame.token, answered))
      } catch (error) {
        fail(error instanceof ProtocolError ? error.code : CLOSE.protocol, error instanceof Error ? error.message : 'bad frame')
      }
    }
    ws.on('message', onMessage)
  }

  /** Answer a HELLO: a WELCOME (resumed or new) or a close. `answered()` ends the wait for it. */
  async function hello(ws: WebSocket, protocol: string, received: number, window: number, token: Uint8Array, answered: () => boolean): Promise<void> {
    let session: ServerSession | undefined
    if (token.length === ID_BYTES + SECRET_BYTES) {
      const id = Buffer.from(token.subarray(0, ID_BYTES)).toString('base64url')
      const secret = token.subarray(ID_BYTES)
      session = sessions.get(id)
      if (!session && shared) {
        const record = await claim(id, secret, () => pending.has(ws))
        if (record === 'refused') return refuse(ws)
        if (!pending.has(ws)) {
          // claimed for a connection that is gone: hand it back rather than hold it unseen
          if (record && !sessions.has(id)) quietly(() => shared.release(id, hub.owner))
          return
        }
        session = sessions.get(id)
        if (!session && record) {
          session = new ServerSession(id, Buffer.from(record.secret), record.protocol, hub)
          session.restoreShared(record, shared)
          sessions.set(id, session)
          announce(session)
        }
      } else if (!session && store) {
        const record = await store.get(id)
        if (!pending.has(ws)) return
        session = sessions.get(id)
        if (!session && record) {
          if (!timingSafeEqual(Buffer.from(record.secret), secret)) return refuse(ws)
          session = new ServerSession(id, Buffer.from(record.secret), record.protocol, hub)
          session.restore(record)
          sessions.set(id, session)
          announce(session)
        }
      }
      if (session && !timingSafeEqual(session.secret, secret)) return refuse(ws)
    }
    if (!pending.has(ws)) return
    if (!session) {
      if (sessions.size >= resolved.maxSessions) {
        answered()
        return ws.close(CLOSE.tryLater, `too many sessions (${resolved.maxSessions})`)
      }
      const id = randomBytes(ID_BYTES).toString('base64url')
      session = new ServerSession(id, randomBytes(SECRET_BYTES), protocol, hub)
      if (shared) {
        // durable only once stored; Redis unreachable: a session of this process alone, said loudly
        try {
          await shared.create({ id, secret: session.secret, protocol, owner: hub.owner }, resolved.resumeWindow)
          session.durable = shared
        } catch (error) {
          reportError(new Error(`session store unavailable: session ${id} is not durable (it cannot resume on another server)`, { cause: error }), session)
        }
        // a store that answered late (the connection gone) or let others in meanwhile: forget it
        if (!pending.has(ws) || ws.readyState !== ws.OPEN || sessions.size >= resolved.maxSessions) {
          if (session.durable) quietly(() => shared.delete(id, hub.owner))
          if (pending.has(ws)) {
            answered()
            ws.close(CLOSE.tryLater, `too many sessions (${resolved.maxSessions})`)
          }
          return
        }
      }
      sessions.set(id, session)
      answered()
      announce(session)
      session.attach(ws, 0, window, false)
      return
    }
    answered()
    try {
      session.attach(ws, received, window, true)
    } catch (error) {
      if (!(error instanceof ProtocolError)) throw error
      ws.close(error.code, error.message)
      session.end('protocol', error.code, error.message)
    }
  }

  /**
   * Take a session from the shared store: check the token's secret, then claim it; a live node
   * still holding it is asked to let go (it stores how far it got first), for as long as the
   * connection waits (`waiting`: until its answer deadline). A store that fails is an error event
   * and no record (the client gets a new session, resumed: false).
   */
  async function claim(id: string, secret: Uint8Array, waiting: () => boolean): Promise<SharedRecord | 'refused' | undefined> {
    try {
      await started
      if (!waiting()) return undefined
      const stored = await shared!.secret(id)
      if (!stored) return undefined
      if (stored.length !== secret.length || !timingSafeEqual(stored, secret)) return 'refused'
      for (;;) {
        if (!waiting()) return undefined
        const record = await shared!.claim(id, hub.owner, resolved.resumeWindow)
        if (record !== 'busy') return record
        await shared!.requestRelease(id)
        await new Promise((resolve) => setTimeout(resolve, CLAIM_RETRY))
      }
    } catch (error) {
      reportError(new Error(`session store unavailable: session ${id} cannot be resumed`, { cause: error }))
      return undefined
    }
  }

  function refuse(ws: WebSocket): void {
    if (!pending.delete(ws)) return
    ws.close(CLOSE.policy, 'session token rejected')
  }

  function announce(session: ServerSession): void {
    for (const listener of listeners.session) {
      try {
        listener(session)
      } catch (error) {
        reportError(error, session)
      }
    }
  }

  return {
    on(event, listener) {
      const set = listeners[event] as Set<typeof listener> | undefined
      if (!set) throw new TypeError(`sessions.on(): unknown event ${JSON.stringify(event)}; one of "session", "error"`)
      if (typeof listener !== 'function') throw new TypeError(`sessions.on("${event}", listener): listener must be a function, got ${typeof listener}`)
      set.add(listener)
      return () => void set.delete(listener)
    },
    get size() {
      return sessions.size
    },
    send(id, data) {
      if (typeof id !== 'string') throw new TypeError(`sessions.send(id, data): id must be a string, got ${id === null ? 'null' : typeof id}`)
      const message = messageOf(data, resolved.maxMessageBytes, 'sessions.send(id, data)')
      const local = sessions.get(id)
      if (local) return local.sendMessage(message)
      const gone = (): Error => new Error(`sessions.send(): no session ${id} (ended, expired, or never existed${shared ? '' : '; the in-memory store reaches no other server'})`)
      if (!shared) return Promise.reject(gone())
      return started
        .then(() => shared.append(id, message, resolved.resumeWindow, true))
        .then(
          () => undefined,
          (error: unknown) => {
            throw error instanceof SessionMovedError ? gone() : error
          },
        )
    },
    drain(drainOptions = {}) {
      const within = Object.prototype.hasOwnProperty.call(drainOptions, 'within') ? drainOptions.within : 10_000
      if (typeof within !== 'number' || !Number.isFinite(within) || within < 0) {
        throw new RangeError(`sessions.drain(): within must be a finite number of ms >= 0, got ${String(within)}`)
      }
      const leaving: Promise<void>[] = []
      for (const session of sessions.values()) {
        const ws = session.drain(Math.floor(Math.random() * within))
        if (!ws) continue
        leaving.push(
          new Promise<void>((resolve) => {
            const deadline = setTimeout(() => ws.close(CLOSE.restart, 'drain: reconnect elsewhere'), within + DRAIN_GRACE)
            ws.once('close', () => {
              clearTimeout(deadline)
              resolve()
            })
          }),
        )
      }
      return Promise.all(leaving).then(() => undefined)
    },
    close() {
      if (closed) return
      closed = true
      for (const ws of pending) ws.close(1001, 'server shutting down')
      pending.clear()
      // a fleet's node leaving hands its durable sessions back to the store for another node to resume
      for (const session of [...sessions.values()]) {
        if (session.durable) session.release(CLOSE.restart, 'server shutting down: resume elsewhere')
        else session.end('shutdown', 1001, 'server shutting down')
      }
      if (shared) quietly(() => started.then(() => shared.stop()))
      if (wss.options.handleProtocols === handleProtocols) wss.options.handleProtocols = userHandleProtocols
      if (ownHandleUpgrade) wss.handleUpgrade = originalHandleUpgrade
      else delete (wss as { handleUpgrade?: unknown }).handleUpgrade
    },
  }
}
