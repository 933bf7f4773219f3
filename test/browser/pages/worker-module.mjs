// A module worker: the worker build (what "exports" gives the "worker" condition), then the harness.
import * as api from '/dist/worker.mjs'
import '/pages/harness.js'

const client = globalThis.createHarness(api, (event) => postMessage(event))
onmessage = (event) => client.command(event.data)
postMessage({ kind: 'loaded', build: 'dist/worker.mjs', exports: Object.keys(api).sort() })
