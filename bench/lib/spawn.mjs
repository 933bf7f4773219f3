// Starting and talking to child processes (servers, per-library children) with bounded lifetimes.
import { fork } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const children = new Set()
function killAll() {
  for (const child of children) child.kill('SIGKILL')
}
process.on('exit', killAll)
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    killAll()
    process.exit(130)
  })
}

export const here = (rel, base) => fileURLToPath(new URL(rel, base))

/**
 * Fork `file` with `args`; resolves once it sent { ready: true, ... }. Returns a handle with
 * `call(cmd, extra)` (request/response over IPC), `result()` (its { done } message) and `kill()`.
 */
export function start(file, args = [], { execArgv = [], timeout = 60_000 } = {}) {
  const child = fork(file, args, { execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'], serialization: 'advanced' })
  children.add(child)
  let nextId = 1
  const waiting = new Map()
  let ready
  let done
  const readyP = new Promise((resolve, reject) => (ready = { resolve, reject }))
  const doneP = new Promise((resolve, reject) => (done = { resolve, reject }))
  doneP.catch(() => {})
  readyP.catch(() => {})
  const timer = setTimeout(() => {
    const error = new Error(`${file} ${args.join(' ')}: no result within ${timeout} ms`)
    ready.reject(error)
    done.reject(error)
    child.kill('SIGKILL')
  }, timeout)
  child.on('message', (m) => {
    if (m.ready) ready.resolve(m)
    else if (m.done) {
      clearTimeout(timer)
      done.resolve(m.result)
    } else if (m.error) {
      clearTimeout(timer)
      done.reject(new Error(m.error))
      ready.reject(new Error(m.error))
    } else if (waiting.has(m.id)) {
      waiting.get(m.id)(m.result)
      waiting.delete(m.id)
    }
  })
  child.on('exit', (code, signal) => {
    children.delete(child)
    clearTimeout(timer)
    const error = new Error(`${file} exited (${code ?? signal}) before reporting`)
    ready.reject(error)
    done.reject(error)
    for (const resolve of waiting.values()) resolve(undefined)
  })
  return {
    child,
    ready: readyP,
    result: () => doneP,
    call(cmd, extra = {}) {
      const id = nextId++
      return new Promise((resolve) => {
        waiting.set(id, resolve)
        child.send({ cmd, id, ...extra })
      })
    },
    kill() {
      child.kill('SIGKILL')
      children.delete(child)
    },
    async exit() {
      if (child.exitCode !== null || child.signalCode !== null) return
      const gone = new Promise((resolve) => child.once('exit', resolve))
      child.disconnect?.()
      const t = setTimeout(() => child.kill('SIGKILL'), 2000)
      await gone
      clearTimeout(t)
    },
  }
}

/** Start the benchmark server (bench/lib/server.mjs); resolves to { port, call, exit }. */
export async function startServer(port = 0) {
  const handle = start(fileURLToPath(new URL('./server.mjs', import.meta.url)), [String(port)], { timeout: 30 * 60_000 })
  const { port: actual } = await handle.ready
  return { ...handle, port: actual }
}

/** Inside a child: report the result to the parent and exit. */
export function report(result) {
  process.send({ done: true, result }, () => process.exit(0))
}

export function fail(error) {
  process.send?.({ error: String(error?.stack ?? error) }, () => process.exit(1))
}
