// A module worker with a socket: Chromium fires no online/offline here; navigator.onLine changes.
import { createSocket } from '/dist/worker.mjs'
onmessage = ({ data: options }) => {
  const socket = createSocket(options)
  socket.on('state', (next, prev, reason) => postMessage({ kind: 'state', next, prev, reason }))
}
postMessage({ kind: 'loaded' })
