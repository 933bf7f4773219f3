/**
 * The React 19 app of react.test.ts, built by Vite in development mode (StrictMode then mounts
 * every component, unmounts it and mounts it again, as it does in development). The test sets
 * which `Probe`s are mounted, each with its useSocket options, through `window.setProbes`, and
 * reads what each hook returned from `window.hooks`.
 */
import { createElement as h, StrictMode, useRef, useState } from 'react'
import { createRoot, hydrateRoot } from 'react-dom/client'
import { useSocket, type UseSocketOptions, type UseSocketResult } from 'lifeline-ws/react'

/** Options as JSON from the test; `reduce` names one of these. */
type ProbeConfig = Omit<UseSocketOptions<number>, 'reduce'> & { reduce?: keyof typeof REDUCERS }

const REDUCERS = {
  /** Counts 'tick' messages; anything else returns the same number (so no re-render). */
  countTicks: (count: number, message: unknown) => (message === 'tick' ? count + 1 : count),
}

declare global {
  interface Window {
    hooks: Record<string, UseSocketResult<number> & { renders: number }>
    setProbes: (probes: Record<string, ProbeConfig>) => void
    hydrate: (name: string, config: ProbeConfig) => void
    hydrationErrors: string[]
    ready: boolean
  }
}
window.hooks = {}

function Probe({ name, config }: { name: string; config: ProbeConfig }) {
  const { reduce, ...options } = config
  const result = useSocket<number>(reduce ? { ...options, reduce: REDUCERS[reduce], initial: 0 } : options)
  const renders = useRef(0)
  renders.current++
  window.hooks[name] = { ...result, renders: renders.current }
  return h('div', { id: name, 'data-state': result.state }, String(result.lastMessage ?? ''))
}

function App() {
  const [probes, setProbes] = useState<Record<string, ProbeConfig>>({})
  window.setProbes = setProbes
  return Object.entries(probes).map(([name, config]) => h(Probe, { key: name, name, config }))
}

createRoot(document.getElementById('root')!).render(h(StrictMode, null, h(App)))

window.hydrationErrors = []
/** Hydrate one more Probe in a root of its own, over the markup the server rendered for it. */
window.hydrate = (name, config) => {
  const container = document.createElement('div')
  // renderToString gives every useSocket state 'idle' and no message (test/unit/react-ssr.test.ts)
  container.innerHTML = `<div id="${name}" data-state="idle"></div>`
  document.body.append(container)
  hydrateRoot(container, h(StrictMode, null, h(Probe, { name, config })), {
    onRecoverableError: (error) => window.hydrationErrors.push(String(error)),
  })
}
window.ready = true
