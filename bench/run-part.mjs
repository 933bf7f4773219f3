// Runs one benchmark part in this process and reports its result to the parent (bench/run.mjs).
import os from 'node:os'
import { fail, report } from './lib/spawn.mjs'

const [name, options] = [process.argv[2], JSON.parse(process.argv[3] ?? '{}')]
// The herd simulation is pure CPU and times nothing: it yields to the parts that run beside it
// (its worker threads inherit this priority), so that they are measured without it in the way.
if (name === 'herd') {
  try {
    os.setPriority(19)
  } catch {}
}
try {
  const part = await import(`./parts/${name}.mjs`)
  report(await part.run(options))
} catch (error) {
  fail(error)
}
