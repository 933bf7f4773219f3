// The SharedWorker of tabs.html?worker: it holds the one socket for every page (?ws=<server url>).
import { serveSharedSocket } from '/dist/tabs.mjs'

serveSharedSocket({
  url: new URL(self.location.href).searchParams.get('ws'),
  heartbeat: false,
  backoff: { initialDelay: 100, maxDelay: 300 },
})
