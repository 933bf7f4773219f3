import { build } from 'esbuild'
import { gzipSync } from 'node:zlib'
const m = async (contents, show) => { const r = await build({ stdin: { contents, resolveDir: process.cwd(), loader: 'js' }, bundle: true, minify: true, format: 'esm', platform: 'neutral', external: ['react','react-dom','ws','isomorphic-ws'], write: false, logLevel: 'silent' }); const c = r.outputFiles[0].contents; if (show) console.log(r.outputFiles[0].text.slice(0, 0)); return [c.length, gzipSync(c,{level:9}).length] }
const base = await m(`export { createSocket } from './dist/browser.mjs'`)
const react = await m(`export { createSocket } from './dist/browser.mjs'; export { useSocket } from './dist/react.mjs'`)
const tabs = await m(`export { createSocket } from './dist/browser.mjs'; export { createSharedSocket } from './dist/tabs.mjs'`)
console.log({ base, react, tabs, addReact: react[1]-base[1], addTabs: tabs[1]-base[1] })
