// A worker thread running simulateHerd jobs for bench/parts/herd.mjs.
import { parentPort } from 'node:worker_threads'
import { simulateHerd } from 'lifeline-ws/core'
import { policyFor } from './herd.mjs'

parentPort.on('message', (job) => {
  if (job === null) return process.exit(0)
  const t = performance.now()
  const r = simulateHerd({ ...job.options, policy: policyFor(job.options.policy) })
  parentPort.postMessage({ id: job.id, ms: performance.now() - t, result: r })
})
