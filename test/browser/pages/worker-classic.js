// A classic dedicated worker: the UMD build through importScripts, then the shared harness.
importScripts('/dist/lifeline.umd.cjs', '/pages/harness.js')
const client = createHarness(Lifeline, (event) => postMessage(event))
onmessage = (event) => client.command(event.data)
postMessage({ kind: 'loaded', build: 'dist/lifeline.umd.cjs (importScripts)', exports: Object.keys(Lifeline).sort() })
