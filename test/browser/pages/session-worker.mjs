// The worker side of session-worker.html: the same socket as session.html, in a module worker
// (dist/worker.mjs + dist/session.mjs); commands come by postMessage, reports go back the same way.
import { createSocket } from '/dist/worker.mjs'
import { session } from '/dist/session.mjs'
import { sessionDriver } from './session-driver.mjs'

const report = (event) => postMessage(event)
const command = sessionDriver(createSocket, session, report)
onmessage = ({ data }) => command(data)
report({ kind: 'loaded' })
