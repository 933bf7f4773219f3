/** lifeline-ws/monitor: `monitor(socket)` → `{ stats(), history() }`, for any runtime's socket. */
export { monitor } from './runtime/monitor.js'
export type { MonitorOptions, SocketMonitor, Stats, Disconnect, DisconnectCause, HeartbeatKind } from './runtime/monitor.js'
