/**
 * Node behind a proxy (src/adapters/node-proxy.ts): which proxy a connection takes, by curl's
 * rules; the `proxy` option's validation; and real connections through Debian's tinyproxy on
 * loopback (test/support/proxy.ts) to a local wss server: tunnelled with HTTPS_PROXY, direct when
 * NO_PROXY matches, a clear error event when the proxy refuses, is down, or the optional package
 * is missing, and the proxy's credentials in no event.
 *
 * Until the Node entry takes a `proxy` option, the sockets here get what it will give them for
 * one: the Node adapter's WebSocket class through withProxy().
 */
import http from 'node:http'
import https from 'node:https'
import { afterEach, describe, expect, it } from 'vitest'
import { nodeDefaults } from '../../src/adapters/node.js'
import { agentFor, checkProxyOption, proxyFor, withProxy, withProxyAgent, type HttpsProxyAgentModule, type ProxyEnv } from '../../src/adapters/node-proxy.js'
import { useSelfSignedTls } from '../reliability/tls.js'
import { cleanup, connect, type Tracked } from '../support/lifeline.js'
import { startTinyproxy, stopAllProxies, TINYPROXY } from '../support/proxy.js'
import { refusedPort, startWsServer } from '../support/servers.js'

describe('the proxy option: bad values are refused with the value shown, credentials redacted', () => {
  it.each([
    [undefined, 'env'],
    ['env', 'env'],
    [false, false],
    ['http://proxy.corp:3128', 'http://proxy.corp:3128'],
    ['https://user:pw@proxy.corp', 'https://user:pw@proxy.corp'],
  ])('%s is accepted as %s', (value, expected) => {
    expect(checkProxyOption(value)).toBe(expected)
  })

  it.each([
    [true, TypeError, 'proxy must be "env", false or an http: or https: URL string, got boolean true'],
    [3128, TypeError, 'proxy must be "env", false or an http: or https: URL string, got number 3128'],
    [null, TypeError, 'proxy must be "env", false or an http: or https: URL string, got null'],
    [new URL('http://proxy.corp:3128'), TypeError, 'proxy must be "env", false or an http: or https: URL string, got URL object'],
    ['not a url', SyntaxError, 'proxy is not a valid absolute URL, got "not a url"'],
    ['http://user:pw@', SyntaxError, 'proxy is not a valid absolute URL, got "http://***@"'],
    ['proxy.corp:3128', SyntaxError, 'proxy must use http: or https:, got "proxy.corp:" in "proxy.corp:3128"'],
    ['socks5://user:pw@proxy.corp:1080', SyntaxError, 'proxy must use http: or https:, got "socks5:" in "socks5://***@proxy.corp:1080"'],
  ])('%s → %s', (value, ErrorType, message) => {
    expect(() => checkProxyOption(value)).toThrow(new ErrorType(message))
    expect(() => checkProxyOption(value)).toThrow(ErrorType)
  })
})

const P1 = 'http://p1.corp:3128/'
const P2 = 'http://p2.corp:3128/'
const P3 = 'http://p3.corp:3128/'

describe("proxyFor with 'env': the variables curl reads, in curl's order", () => {
  it.each<[string, ProxyEnv, string | undefined]>([
    ['wss://ws.example.com/', {}, undefined],
    ['wss://ws.example.com/', { HTTPS_PROXY: P1 }, P1],
    ['wss://ws.example.com/', { https_proxy: P1, HTTPS_PROXY: P2 }, P1],
    ['wss://ws.example.com/', { wss_proxy: P3, https_proxy: P1 }, P3],
    ['wss://ws.example.com/', { WSS_PROXY: P3, HTTPS_PROXY: P1 }, P3],
    ['wss://ws.example.com/', { http_proxy: P1, HTTP_PROXY: P2 }, undefined],
    ['wss://ws.example.com/', { HTTPS_PROXY: P1, ALL_PROXY: P2 }, P1],
    ['wss://ws.example.com/', { ALL_PROXY: P2 }, P2],
    ['wss://ws.example.com/', { all_proxy: P1, ALL_PROXY: P2 }, P1],
    // curl reads a variable set to '' as unset
    ['wss://ws.example.com/', { https_proxy: '', HTTPS_PROXY: P1 }, P1],
    ['https://ws.example.com/', { wss_proxy: P3, HTTPS_PROXY: P1 }, P1],
    // httpoxy: an uppercase HTTP_PROXY may come from a request header in CGI; curl ignores it
    ['ws://ws.example.com/', { HTTP_PROXY: P1 }, undefined],
    ['ws://ws.example.com/', { http_proxy: P1 }, P1],
    ['ws://ws.example.com/', { ws_proxy: P3, http_proxy: P1 }, P3],
    ['ws://ws.example.com/', { WS_PROXY: P3 }, P3],
    ['ws://ws.example.com/', { HTTPS_PROXY: P1 }, undefined],
    ['ws://ws.example.com/', { HTTP_PROXY: P1, ALL_PROXY: P2 }, P2],
    ['http://ws.example.com/', { ws_proxy: P3, http_proxy: P1 }, P1],
    // curl: a proxy without a scheme is http://
    ['wss://ws.example.com/', { HTTPS_PROXY: 'proxy.corp:3128' }, 'http://proxy.corp:3128/'],
    ['wss://ws.example.com/', { HTTPS_PROXY: 'https://user:pw@proxy.corp' }, 'https://user:pw@proxy.corp/'],
  ])('%s with %j → %s', (target, env, expected) => {
    expect(proxyFor(target, 'env', env)).toBe(expected)
  })

  it.each<[string, string, string | undefined]>([
    ['wss://ws.example.com/', '*', undefined],
    ['wss://ws.example.com/', ' * ', undefined],
    // curl: '*' means every host only as the whole list
    ['wss://ws.example.com/', 'other.org,*', P1],
    ['wss://ws.example.com/', 'example.com', undefined],
    ['wss://ws.example.com/', '.example.com', undefined],
    ['wss://ws.example.com/', 'EXAMPLE.com.', undefined],
    ['wss://ws.example.com./', 'example.com', undefined],
    ['wss://ws.example.com/', 'ws.example.com', undefined],
    ['wss://example.com/', '.example.com', undefined],
    ['wss://ws.example.com/', 'ample.com', P1],
    ['wss://badexample.com/', 'example.com', P1],
    ['wss://ws.example.com/', 'other.org, example.com', undefined],
    ['wss://ws.example.com/', 'other.org ,, ws.example.com ', undefined],
    ['wss://ws.example.com/', 'other.org', P1],
    // beyond curl (where an entry with a port never matches): that port only
    ['wss://ws.example.com/', 'ws.example.com:443', undefined],
    ['wss://ws.example.com/', 'ws.example.com:8443', P1],
    ['wss://ws.example.com:8443/', 'example.com:8443', undefined],
    ['wss://ws.example.com/', '*.example.com', undefined],
    // loopback is not special: only what is listed
    ['wss://127.0.0.1:9443/', '', P1],
    ['wss://127.0.0.1:9443/', 'localhost', P1],
    ['wss://localhost:9443/', '127.0.0.1', P1],
    ['wss://localhost:9443/', 'localhost', undefined],
    ['wss://127.0.0.1:9443/', '127.0.0.1', undefined],
    ['wss://127.0.0.1:9443/', '127.0.0.0/8', undefined],
    ['wss://127.0.0.1:9443/', '10.0.0.0/8', P1],
    ['wss://127.0.0.1:9443/', '127.0.0.1:9443', undefined],
    ['wss://127.0.0.1:9443/', '127.0.0.1:9444', P1],
    ['wss://127.0.0.1:9443/', '127.0.0.1/99', P1],
    ['wss://10.1.2.3/', '10.1.2', P1],
    ['wss://[::1]:9443/', '::1', undefined],
    ['wss://[::1]:9443/', '[::1]', undefined],
    ['wss://[::1]:9443/', '[::1]:9443', undefined],
    ['wss://[::1]:9443/', '[::1]:9', P1],
    ['wss://[fe80::1]/', 'fe80::/10', undefined],
    ['wss://[::1]:9443/', '127.0.0.1', P1],
  ])('%s with NO_PROXY=%j → %s', (target, noProxy, expected) => {
    expect(proxyFor(target, 'env', { HTTPS_PROXY: P1, NO_PROXY: noProxy })).toBe(expected)
  })

  it('no_proxy is read before NO_PROXY, as curl does (the uppercase one only when the other is unset or empty)', () => {
    expect(proxyFor('wss://ws.example.com/', 'env', { HTTPS_PROXY: P1, no_proxy: 'other.org', NO_PROXY: 'example.com' })).toBe(P1)
    expect(proxyFor('wss://ws.example.com/', 'env', { HTTPS_PROXY: P1, no_proxy: '', NO_PROXY: 'example.com' })).toBe(undefined)
    expect(proxyFor('wss://ws.example.com/', 'env', { HTTPS_PROXY: P1, no_proxy: 'example.com' })).toBe(undefined)
  })

  it('a URL string is always the proxy, whatever the environment says; false is never one', () => {
    const env = { HTTPS_PROXY: P1, NO_PROXY: '*' }
    expect(proxyFor('wss://ws.example.com/', 'http://explicit.corp:8080', env)).toBe('http://explicit.corp:8080/')
    expect(proxyFor('wss://ws.example.com/', false, { HTTPS_PROXY: P1 })).toBe(undefined)
    expect(proxyFor('wss://ws.example.com/', undefined, { HTTPS_PROXY: P1 })).toBe(P1)
  })

  it('reads own properties only: a polluted prototype names no proxy', () => {
    const env = Object.create({ HTTPS_PROXY: P1, ALL_PROXY: P2 }) as ProxyEnv
    expect(proxyFor('wss://ws.example.com/', 'env', env)).toBe(undefined)
  })

  it('a variable naming a proxy this cannot use throws a SyntaxError naming it, redacted', () => {
    expect(() => proxyFor('wss://ws.example.com/', 'env', { HTTPS_PROXY: 'socks5://user:pw@proxy.corp:1080' })).toThrow(
      new SyntaxError('HTTPS_PROXY must use http: or https:, got "socks5:" in "socks5://***@proxy.corp:1080"'),
    )
    expect(() => proxyFor('ws://ws.example.com/', 'env', { ALL_PROXY: 'http://user:pw@[' })).toThrow(
      new SyntaxError('ALL_PROXY is not a valid absolute URL, got "http://***@["'),
    )
  })
})

describe('withProxyAgent: the wsOptions of one connection', () => {
  const env = { HTTPS_PROXY: P1 }

  it('adds the proxy agent when a proxy applies, keeping every other option', () => {
    const given = { ca: 'pem', headers: { 'x-a': '1' } }
    const options = withProxyAgent('wss://ws.example.com/', given, 'env', env)
    expect(options).toEqual({ ...given, agent: expect.any(http.Agent) })
    expect(given).toEqual({ ca: 'pem', headers: { 'x-a': '1' } })
    expect((options!.agent as { protocol?: string }).protocol).toBe('https:')
    expect((withProxyAgent('ws://ws.example.com/', undefined, 'http://p.corp:3128', {})!.agent as { protocol?: string }).protocol).toBe('http:')
  })

  it("leaves them as they are when no proxy applies, or when the user's own agent or createConnection is set (theirs wins)", () => {
    const given = { ca: 'pem' }
    expect(withProxyAgent('wss://ws.example.com/', given, 'env', {})).toBe(given)
    expect(withProxyAgent('wss://ws.example.com/', undefined, false, env)).toBe(undefined)
    const own = { agent: new https.Agent() }
    expect(withProxyAgent('wss://ws.example.com/', own, 'env', env)).toBe(own)
    const connection = { createConnection: () => undefined }
    expect(withProxyAgent('wss://ws.example.com/', connection, 'env', env)).toBe(connection)
    expect(agentFor('wss://ws.example.com/', 'env', {})).toBe(undefined)
  })
})

describe('withProxy: the WebSocket class for a proxy option', () => {
  const Base = nodeDefaults.WebSocket!

  it('one class per proxy value, so that sockets with equal options still share their resolved options', () => {
    expect(withProxy(Base, 'env')).toBe(withProxy(Base))
    expect(withProxy(Base, 'http://p.corp:3128')).toBe(withProxy(Base, 'http://p.corp:3128'))
    expect(withProxy(Base, 'http://p.corp:3128')).not.toBe(withProxy(Base, 'env'))
    expect(withProxy(Base, false)).not.toBe(withProxy(Base, 'env'))
    expect(withProxy(Base, 'env').prototype).toBeInstanceOf(Base)
  })

  it('validates the option as checkProxyOption does', () => {
    expect(() => withProxy(Base, 'ftp://p.corp')).toThrow(new SyntaxError('proxy must use http: or https:, got "ftp:" in "ftp://p.corp/"'))
    expect(() => withProxy(Base, true)).toThrow(TypeError)
  })
})

describe.skipIf(!TINYPROXY)('through a real proxy (tinyproxy on loopback)', () => {
  const tls = useSelfSignedTls()

  afterEach(async () => {
    try {
      await tls.closeAll()
    } finally {
      await stopAllProxies()
      await cleanup()
    }
  })

  const portOf = (url: string): number => Number(new URL(url).port)

  /** A lifeline socket to `url` with the WebSocket class the Node entry will use for `proxy` in `env`. */
  function connectVia(url: string, env: ProxyEnv, wsOptions: Record<string, unknown> = { ca: tls.cert() }, proxy: unknown = 'env'): Tracked {
    const WebSocket = withProxy(nodeDefaults.WebSocket!, proxy, env)
    return connect({ url, WebSocket, wsOptions, heartbeat: false, backoff: { initialDelay: 50, maxDelay: 200, factor: 2, jitter: 'none' } })
  }

  function errors(tracked: Tracked): string[] {
    return tracked.rec.of('error').map(([error]) => `${error.code}: ${error.message}`)
  }

  it('HTTPS_PROXY set: the wss connection goes through the proxy (one CONNECT) and works end to end', async () => {
    const url = await tls.start()
    const proxy = await startTinyproxy({ connectPorts: [portOf(url)] })
    const tracked = connectVia(url, { HTTPS_PROXY: proxy.url })
    const hello = await tracked.rec.waitFor('message', 5_000)
    expect(hello.args[0]).toBe('hello over TLS')
    expect(proxy.connects()).toBe(1)
    expect(proxy.log()).toContain(`CONNECT 127.0.0.1:${portOf(url)} `)
    expect(errors(tracked)).toEqual([])
  })

  it("createSocket's proxy option: a URL goes through it, false goes direct, a bad value is a TypeError/SyntaxError", async () => {
    const url = await tls.start()
    const proxy = await startTinyproxy({ connectPorts: [portOf(url)] })
    const options = { url, wsOptions: { ca: tls.cert() }, heartbeat: false as const }
    const through = connect({ ...options, proxy: proxy.url })
    expect((await through.rec.waitFor('message', 5_000)).args[0]).toBe('hello over TLS')
    expect(proxy.connects()).toBe(1)
    const direct = connect({ ...options, proxy: false })
    expect((await direct.rec.waitFor('message', 5_000)).args[0]).toBe('hello over TLS')
    expect(proxy.connects()).toBe(1)
    expect(() => connect({ ...options, proxy: true as never })).toThrow(new TypeError('proxy must be "env", false or an http: or https: URL string, got boolean true'))
    expect(() => connect({ ...options, proxy: 'socks5://u:secret@h:1' })).toThrow(SyntaxError)
    expect(() => connect({ ...options, proxy: 'socks5://u:secret@h:1' })).not.toThrow(/secret/)
  })

  it('the same with the proxy stopped fails, naming the proxy: the connection needed it', async () => {
    const url = await tls.start()
    const dead = await refusedPort()
    const tracked = connectVia(url, { HTTPS_PROXY: `http://127.0.0.1:${dead}` })
    await tracked.rec.waitFor('error', 5_000)
    expect(errors(tracked)[0]).toBe(`SOCKET_ERROR: proxy http://127.0.0.1:${dead}/ failed: connect ECONNREFUSED 127.0.0.1:${dead}`)
    expect(tracked.rec.of('open')).toEqual([])
  })

  it('NO_PROXY naming the host: the connection goes direct (the proxy sees no CONNECT)', async () => {
    const url = await tls.start()
    const proxy = await startTinyproxy({ connectPorts: [portOf(url)] })
    const tracked = connectVia(url, { HTTPS_PROXY: proxy.url, NO_PROXY: 'example.com, 127.0.0.1' })
    expect((await tracked.rec.waitFor('message', 5_000)).args[0]).toBe('hello over TLS')
    expect(proxy.connects()).toBe(0)
  })

  it('ws:// takes http_proxy, never an uppercase HTTP_PROXY', async () => {
    const server = await startWsServer()
    const proxy = await startTinyproxy({ connectPorts: [server.port] })
    const direct = connectVia(server.url, { HTTP_PROXY: proxy.url }, {})
    await direct.rec.waitFor('open', 5_000)
    expect(proxy.connects()).toBe(0)
    const tunnelled = connectVia(server.url, { http_proxy: proxy.url }, {})
    await tunnelled.rec.waitFor('open', 5_000)
    expect(proxy.connects()).toBe(1)
    expect(tunnelled.socket.send('through')).toBe(true)
    expect((await tunnelled.rec.waitFor('message', 5_000)).args[0]).toBe('through')
  })

  it('a proxy that refuses the tunnel gives an error event saying so, with its status', async () => {
    const url = await tls.start()
    const proxy = await startTinyproxy({ connectPorts: [1] }) // CONNECT to any other port: 403
    const tracked = connectVia(url, { HTTPS_PROXY: proxy.url })
    await tracked.rec.waitFor('error', 5_000)
    expect(errors(tracked)[0]).toBe(`SOCKET_ERROR: proxy ${proxy.url} refused the tunnel to 127.0.0.1:${portOf(url)}: 403 Access violation`)
    expect(tracked.rec.of('open')).toEqual([])
    expect(tracked.socket.state).not.toBe('open')
  })

  it("the proxy's credentials are sent to it, and appear in no event, error, URL or stats (wrong ones: refused, redacted)", async () => {
    const url = await tls.start()
    const user = 'proxyuser-x1'
    const password = 'pw-s3cret-x2'
    const proxy = await startTinyproxy({ connectPorts: [portOf(url)], basicAuth: { user, password } })
    const withCredentials = (pass: string): string => `http://${user}:${pass}@127.0.0.1:${proxy.port}`

    const good = connectVia(url, { HTTPS_PROXY: withCredentials(password) })
    expect((await good.rec.waitFor('message', 5_000)).args[0]).toBe('hello over TLS')

    const wrongPassword = 'wrong-s3cret-x3'
    const bad = connectVia(url, { HTTPS_PROXY: withCredentials(wrongPassword) })
    await bad.rec.waitForCount('error', 2, 5_000) // the retry fails the same way
    expect(errors(bad)[0]).toBe(`SOCKET_ERROR: proxy http://***@127.0.0.1:${proxy.port}/ refused the tunnel to 127.0.0.1:${portOf(url)}: 401 Unauthorized`) // tinyproxy's answer to wrong Basic credentials

    const explicit = connectVia(url, {}, { ca: tls.cert() }, withCredentials(wrongPassword))
    await explicit.rec.waitFor('error', 5_000)
    expect(errors(explicit)[0]).toContain('http://***@127.0.0.1')

    for (const tracked of [good, bad, explicit]) {
      const everything = [tracked.rec.dump(), JSON.stringify(tracked.rec.log.map((e) => e.args.map(String))), tracked.socket.url, JSON.stringify(tracked.monitor.stats()), JSON.stringify(tracked.monitor.history())].join('\n')
      for (const secret of [user, password, wrongPassword]) expect(everything).not.toContain(secret)
    }
  })

  it('a proxy configured while https-proxy-agent is missing: an error event that says to install it', async () => {
    const url = await tls.start()
    const missing = (): Promise<HttpsProxyAgentModule> =>
      Promise.reject(Object.assign(new Error("Cannot find package 'https-proxy-agent' imported from node-proxy.ts"), { code: 'ERR_MODULE_NOT_FOUND' }))
    const agent = agentFor(url, 'env', { HTTPS_PROXY: 'http://user:pw-s3cret@127.0.0.1:3128' }, missing)
    const tracked = connect({ url, heartbeat: false, wsOptions: { ca: tls.cert(), agent } })
    await tracked.rec.waitFor('error', 5_000)
    expect(errors(tracked)[0]).toBe(
      'SOCKET_ERROR: proxy http://***@127.0.0.1:3128/ is configured but the optional dependency https-proxy-agent is not installed (npm install https-proxy-agent)',
    )
  })

  it('an environment naming a proxy of another kind: an error event naming the variable, redacted, and no retry', async () => {
    const url = await tls.start()
    const tracked = connectVia(url, { HTTPS_PROXY: 'socks5://user:pw-s3cret@127.0.0.1:1080' })
    await tracked.rec.waitFor('giveup', 5_000)
    expect(errors(tracked)).toEqual([
      'SOCKET_ERROR: WebSocket constructor threw: HTTPS_PROXY must use http: or https:, got "socks5:" in "socks5://***@127.0.0.1:1080" (a configuration error; not retried)',
    ])
  })

  it("the user's own agent wins over HTTPS_PROXY: that connection goes direct", async () => {
    const url = await tls.start()
    const dead = await refusedPort()
    const tracked = connectVia(url, { HTTPS_PROXY: `http://127.0.0.1:${dead}` }, { agent: new https.Agent({ ca: tls.cert() }) })
    expect((await tracked.rec.waitFor('message', 5_000)).args[0]).toBe('hello over TLS')
  })
})

if (!TINYPROXY) console.warn('[proxy tests] skipped the real-proxy part: tinyproxy is not installed (node test/support/ensure-system-deps.mjs installs it as root)')
