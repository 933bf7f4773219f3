/**
 * The UMD build (global `Lifeline`): the browser entry and the optional APIs in one file, since a
 * <script> tag cannot import `lifeline-ws/monitor` and friends (and nothing is tree-shaken there).
 */
export * from './index.browser.js'
export { monitor } from './runtime/monitor.js'
export { messages } from './runtime/stream.js'
export { opened, sendAsync } from './runtime/promises.js'
export { closeOn } from './runtime/abort.js'
