/**
 * Node behind a proxy: which proxy a connection goes through (`proxy` option, else the environment
 * as curl reads it), and the `http.Agent` that tunnels it there with HTTP CONNECT.
 *
 * Node-only: imported by the Node entry alone, never by the browser or worker builds. The tunnel
 * itself is `https-proxy-agent`, an optional dependency loaded on the first proxied connection
 * (dynamic import: it is ESM-only, and a process that never uses a proxy never loads it). Proxy
 * URLs appear in messages only through `redactUrl`: credentials in them never reach an event.
 */
import http from 'node:http'
import { BlockList, isIP } from 'node:net'
import { redactUrl } from '../options/url.js'
import { checkProxyOption, checkProxyUrl } from './proxy-option.js'

export { checkProxyOption, type ProxyOption } from './proxy-option.js'

/** The environment to read: `process.env`, or a stand-in for tests. */
export type ProxyEnv = Readonly<Record<string, string | undefined>>

/** What `import('https-proxy-agent')` gives (only the part used here). */
export interface HttpsProxyAgentModule {
  HttpsProxyAgent: new (proxy: string, options?: Record<string, unknown>) => http.Agent
}

/** The package that makes the tunnel: an optional dependency, loaded on first use. */
export const PROXY_AGENT_PACKAGE = 'https-proxy-agent'

/**
 * The proxy URL a connection to `targetUrl` goes through, or undefined for a direct one.
 *
 * A URL string `proxy` is always used; `false` never. With `'env'` the rules are curl's
 * (libcurl-env(3)): the first non-empty of
 * - `wss:` `wss_proxy`, `WSS_PROXY`, `https_proxy`, `HTTPS_PROXY`; `https:` the last two;
 * - `ws:` `ws_proxy`, `WS_PROXY`, `http_proxy`; `http:` `http_proxy`. Never an uppercase
 *   `HTTP_PROXY`: a CGI-style server sets it from a request's `Proxy:` header ("httpoxy");
 * - then `all_proxy`, `ALL_PROXY`;
 * unless `no_proxy` (else `NO_PROXY`) names the target's host (see {@link noProxyMatches}). A value
 * without a scheme is an http: proxy, as in curl. A value naming another kind of proxy (socks5:)
 * throws a SyntaxError: curl would use it, this cannot.
 */
export function proxyFor(targetUrl: string | URL, proxy: unknown = 'env', env: ProxyEnv = process.env): string | undefined {
  const option = checkProxyOption(proxy)
  if (option === false) return undefined
  if (option !== 'env') return new URL(option).href
  const target = new URL(targetUrl)
  const names = ENV_NAMES[target.protocol]
  if (!names) return undefined
  let found: [name: string, value: string] | undefined
  for (const name of [...names, 'all_proxy', 'ALL_PROXY']) {
    const value = read(env, name)
    if (value) {
      found = [name, value]
      break
    }
  }
  if (!found) return undefined
  const noProxy = read(env, 'no_proxy') || read(env, 'NO_PROXY')
  if (noProxy && noProxyMatches(target, noProxy)) return undefined
  const [name, value] = found
  // curl reads a proxy without a scheme as http://
  const withScheme = /^[a-z][a-z\d+.-]*:\/\//i.test(value) ? value : `http://${value}`
  checkProxyUrl(withScheme, name)
  return new URL(withScheme).href
}

/** Variables naming the proxy for each target scheme, in curl's order (before all_proxy). */
const ENV_NAMES: Readonly<Record<string, readonly string[]>> = {
  'wss:': ['wss_proxy', 'WSS_PROXY', 'https_proxy', 'HTTPS_PROXY'],
  'https:': ['https_proxy', 'HTTPS_PROXY'],
  'ws:': ['ws_proxy', 'WS_PROXY', 'http_proxy'],
  'http:': ['http_proxy'],
}

const DEFAULT_PORTS: Readonly<Record<string, number>> = { 'ws:': 80, 'http:': 80, 'wss:': 443, 'https:': 443 }

/**
 * True when a `NO_PROXY` list names the target's host: the connection goes direct.
 *
 * curl's rules: the whole list `*` matches every host; entries are separated by commas (and
 * blanks); a name matches itself and its subdomains, with or without a leading dot
 * (`example.com` and `.example.com` both match `ws.example.com`, never `badexample.com`),
 * ignoring case and a trailing dot; an IP literal target matches only IP entries, exactly or by
 * CIDR (`10.0.0.0/8`, `::1`, `fe80::/10`), never a name: `localhost` does not cover `127.0.0.1`,
 * and neither is exempt unless listed. Beyond curl, which never matches them: an entry with a
 * port (`example.com:8443`, `[::1]:8080`) matches that port only, and `*.example.com` means
 * `.example.com`.
 */
export function noProxyMatches(target: URL, noProxy: string): boolean {
  const list = noProxy.trim()
  if (list === '*') return true
  const host = target.hostname.replace(/^\[|\]$/g, '').toLowerCase()
  const port = target.port ? Number(target.port) : DEFAULT_PORTS[target.protocol]
  const family = isIP(host)
  for (const raw of list.split(/[\s,]+/)) {
    if (!raw) continue
    const entry = splitPort(raw)
    if (entry.port !== undefined && entry.port !== port) continue
    if (family === 0 ? nameMatches(host, entry.host) : ipMatches(host, family, entry.host)) return true
  }
  return false
}

function nameMatches(host: string, pattern: string): boolean {
  const name = host.replace(/\.$/, '')
  const suffix = pattern.toLowerCase().replace(/\.$/, '').replace(/^\*?\./, '')
  if (!suffix || isIP(suffix) || suffix.includes('/')) return false
  return name === suffix || name.endsWith(`.${suffix}`)
}

function ipMatches(host: string, family: number, pattern: string): boolean {
  const [address = '', bits] = pattern.split('/')
  const type = family === 6 ? 'ipv6' : 'ipv4'
  if (isIP(address) !== family) return false
  const prefix = bits === undefined ? (family === 6 ? 128 : 32) : Number(bits)
  const list = new BlockList()
  try {
    list.addSubnet(address, prefix, type)
  } catch {
    return false // a prefix out of range matches nothing, as in curl
  }
  return list.check(host, type)
}

/** `host:port` and `[v6]:port` carry a port; a bare IPv6 address (`::1`) does not. */
function splitPort(entry: string): { host: string; port: number | undefined } {
  const match = /^\[([^\]]+)\](?::(\d+))?$/.exec(entry) ?? /^([^:]*):(\d+)$/.exec(entry)
  if (!match) return { host: entry, port: undefined }
  return { host: match[1]!, port: match[2] === undefined ? undefined : Number(match[2]) }
}

function read(env: ProxyEnv, name: string): string | undefined {
  // own properties only: a polluted Object.prototype must not name a proxy
  if (!Object.prototype.hasOwnProperty.call(env, name)) return undefined
  const value = env[name]
  // curl treats a variable set to the empty string as unset
  return typeof value === 'string' && value !== '' ? value : undefined
}

/** A WebSocket class taking `ws`'s (url, protocols, options). */
type WsClass = new (url: string, protocols?: string | string[], options?: Record<string, unknown>) => object

const proxiedClasses = new WeakMap<WsClass, Map<string | false, WsClass>>()

/**
 * `Base` (the Node adapter's `ws` class) with {@link withProxyAgent} applied to every connection
 * it opens: what the Node entry gives a socket for its `proxy` option. One class per `Base` and
 * proxy value (the option cache compares WebSocket classes); `env` other than `process.env`
 * (tests) makes a new one.
 */
export function withProxy<T extends WsClass>(Base: T, proxy: unknown = 'env', env: ProxyEnv = process.env): T {
  const option = checkProxyOption(proxy)
  const shared = env === process.env
  const cache = proxiedClasses.get(Base) ?? new Map<string | false, WsClass>()
  if (shared) proxiedClasses.set(Base, cache)
  const cached = shared ? cache.get(option) : undefined
  if (cached) return cached as T
  const Proxied = class extends (Base as WsClass) {
    constructor(url: string, protocols?: string | string[], options?: Record<string, unknown>) {
      super(url, protocols, withProxyAgent(String(url), options, option, env))
    }
  }
  if (shared) cache.set(option, Proxied)
  return Proxied as unknown as T
}

/**
 * `wsOptions` for one connection to `url`: with the proxy's agent added when a proxy applies, as
 * given otherwise. The user's own `agent` (or `createConnection`) wins: such a connection goes
 * where they said, never through the proxy.
 */
export function withProxyAgent(
  url: string,
  wsOptions: Record<string, unknown> | undefined,
  proxy: unknown,
  env: ProxyEnv = process.env,
): Record<string, unknown> | undefined {
  const own = (key: string): boolean => wsOptions !== undefined && Object.prototype.hasOwnProperty.call(wsOptions, key) && wsOptions[key] !== undefined
  if (own('agent') || own('createConnection')) return wsOptions
  const agent = agentFor(url, proxy, env)
  return agent ? { ...wsOptions, agent } : wsOptions
}

/**
 * The agent that tunnels a connection to `targetUrl` through its proxy ({@link proxyFor}), or
 * undefined for a direct one. Synchronous: the agent loads `https-proxy-agent` when its first
 * request arrives, and a failure (the package missing, the proxy unreachable or refusing) fails
 * that request with a message naming the proxy, redacted.
 */
export function agentFor(
  targetUrl: string | URL,
  proxy: unknown = 'env',
  env: ProxyEnv = process.env,
  load: () => Promise<HttpsProxyAgentModule> = loadHttpsProxyAgent,
): http.Agent | undefined {
  const proxyUrl = proxyFor(targetUrl, proxy, env)
  if (proxyUrl === undefined) return undefined
  const { protocol } = new URL(targetUrl)
  return new ProxyTunnelAgent(proxyUrl, protocol === 'wss:' || protocol === 'https:', load)
}

/** The package, loaded once per process (a failed load is retried by the next connection). */
let loading: Promise<HttpsProxyAgentModule> | undefined

function loadHttpsProxyAgent(): Promise<HttpsProxyAgentModule> {
  // a variable, not a literal: bundlers must not try to resolve an optional dependency at build time
  const specifier: string = PROXY_AGENT_PACKAGE
  loading ??= (import(/* webpackIgnore: true */ /* @vite-ignore */ specifier) as Promise<HttpsProxyAgentModule>).catch((error: unknown) => {
    loading = undefined
    throw error
  })
  return loading
}

/**
 * Stands in for the tunnel until `https-proxy-agent` is loaded, then hands it every request. Its
 * `protocol` is the target's (Node checks it against the request's). Without keep-alive, as a
 * WebSocket upgrade takes its socket for itself.
 */
class ProxyTunnelAgent extends http.Agent {
  readonly #proxyUrl: string
  readonly #secure: boolean
  readonly #load: () => Promise<HttpsProxyAgentModule>
  #tunnel: http.Agent | undefined = undefined

  constructor(proxyUrl: string, secure: boolean, load: () => Promise<HttpsProxyAgentModule>) {
    super()
    this.#proxyUrl = proxyUrl
    this.#secure = secure
    this.#load = load
    Object.assign(this, { protocol: secure ? 'https:' : 'http:', defaultPort: secure ? 443 : 80 })
  }

  /** Called by Node's ClientRequest with the request and its connection options. */
  addRequest(request: http.ClientRequest, options: Record<string, unknown>): void {
    const shown = redactUrl(this.#proxyUrl)
    this.#load().then(
      (module) => {
        this.#tunnel ??= new (clearErrors(module))(this.#proxyUrl, shown)
        // agent-base guesses TLS from the call stack unless told; this call comes from a promise
        ;(this.#tunnel as unknown as ProxyTunnelAgent).addRequest(request, { ...options, secureEndpoint: this.#secure })
      },
      // as Node's own agent fails a request it found no socket for (destroy() alone would wait for one)
      (error: unknown) => (request as unknown as { onSocket(socket: undefined, error: Error): void }).onSocket(undefined, loadError(shown, error)),
    )
  }
}

function loadError(shown: string, error: unknown): Error {
  const code = (error as { code?: unknown } | null)?.code
  if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') {
    return new Error(`proxy ${shown} is configured but the optional dependency ${PROXY_AGENT_PACKAGE} is not installed (npm install ${PROXY_AGENT_PACKAGE})`)
  }
  return new Error(`proxy ${shown} is configured but ${PROXY_AGENT_PACKAGE} failed to load: ${error instanceof Error ? error.message : String(error)}`)
}

type TunnelAgentClass = new (proxyUrl: string, shown: string) => http.Agent
const tunnelClasses = new WeakMap<HttpsProxyAgentModule, TunnelAgentClass>()

/**
 * HttpsProxyAgent, with failures that say it was the proxy: a refused CONNECT otherwise reaches
 * `ws` as the proxy's response replayed as the server's ("Unexpected server response: 403"), and
 * an unreachable proxy as a bare ECONNREFUSED with no word of the proxy.
 */
function clearErrors(module: HttpsProxyAgentModule): TunnelAgentClass {
  let Tunnel = tunnelClasses.get(module)
  if (Tunnel) return Tunnel
  const Base = module.HttpsProxyAgent as unknown as new (proxy: string) => { connect(request: http.ClientRequest, options: ConnectOptions): Promise<SocketLike> }
  class ClearErrorTunnel extends Base {
    readonly #shown: string

    constructor(proxyUrl: string, shown: string) {
      super(proxyUrl)
      this.#shown = shown
    }

    override async connect(request: http.ClientRequest, options: ConnectOptions): Promise<SocketLike> {
      let response: { statusCode?: number; statusText?: string } | undefined
      const onResponse = (connect: typeof response): void => {
        response = connect
      }
      request.once('proxyConnect', onResponse)
      let socket: SocketLike
      try {
        socket = await super.connect(request, options)
      } catch (error) {
        throw new Error(`proxy ${this.#shown} failed: ${error instanceof Error ? error.message : String(error)}`)
      } finally {
        request.removeListener('proxyConnect', onResponse)
      }
      if (response && response.statusCode !== 200) {
        socket.destroy()
        const host = isIP(options.host) === 6 ? `[${options.host}]` : options.host
        const status = `${response.statusCode ?? '?'} ${response.statusText ?? ''}`.trim()
        throw new Error(`proxy ${this.#shown} refused the tunnel to ${host}:${options.port}: ${status}`)
      }
      return socket
    }
  }
  Tunnel = ClearErrorTunnel as unknown as TunnelAgentClass
  tunnelClasses.set(module, Tunnel)
  return Tunnel
}

interface ConnectOptions {
  host: string
  port: number
}

interface SocketLike {
  destroy(): void
}
