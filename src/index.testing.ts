/** lifeline-ws/testing: a virtual clock and a scripted fake WebSocket for your own tests. */
export { createVirtualClock, type VirtualClock } from './testing/clock.js'
export { createFakeServer, FakeSocket, type FakeServer, type FakeServerOptions } from './testing/fake-websocket.js'
export { recordStates } from './testing/record.js'
