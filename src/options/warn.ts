/**
 * Settings that are legal but rarely meant (no heartbeat at all, TLS verification off) are said
 * once per process on the console, never once per socket: 10,000 sockets print one line.
 */
const said = new Set<string>()

export function warnOnce(key: string, message: string): void {
  if (said.has(key)) return
  said.add(key)
  const console = (globalThis as { console?: { warn?: (line: string) => void } }).console
  console?.warn?.(`lifeline-ws: ${message}`)
}
