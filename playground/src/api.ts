/** The playground's control API (playground/server.mjs), same origin as the page, under api/. */
import type { ControlState, ServerFrame } from '../server.mjs'

export type { ControlState, ServerFrame }

export interface Config {
  wsUrl: string
  appPort: number
  proxyPort: number
}

const base = new URL('api/', document.baseURI)

/** The server's config, or null when the page is served without the control server (a static host). */
export async function getConfig(): Promise<Config | null> {
  try {
    const response = await fetch(new URL('config', base), { cache: 'no-store', signal: AbortSignal.timeout(3000) })
    if (!response.ok || !response.headers.get('content-type')?.includes('application/json')) return null
    return (await response.json()) as Config
  } catch {
    return null
  }
}

export async function getState(): Promise<ControlState> {
  const response = await fetch(new URL('state', base), { cache: 'no-store', signal: AbortSignal.timeout(3000) })
  if (!response.ok) throw new Error(`GET api/state: HTTP ${response.status}`)
  return (await response.json()) as ControlState
}

/** POST an action; resolves to the server's new state, rejects with the server's message. */
export async function post(action: string, body: Record<string, unknown> = {}): Promise<ControlState> {
  const response = await fetch(new URL(action, base), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(5000),
  })
  const answer = (await response.json().catch(() => ({}))) as { error?: string; state?: ControlState }
  if (!response.ok || !answer.state) throw new Error(answer.error ?? `POST api/${action}: HTTP ${response.status}`)
  return answer.state
}

/** Frames the app server saw or sent after `after` (its sequence number). */
export async function getFrames(after: number): Promise<ServerFrame[]> {
  const response = await fetch(new URL(`frames?after=${after}`, base), { cache: 'no-store', signal: AbortSignal.timeout(3000) })
  if (!response.ok) throw new Error(`GET api/frames: HTTP ${response.status}`)
  return ((await response.json()) as { frames: ServerFrame[] }).frames
}
