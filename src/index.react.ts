/** lifeline-ws/react: `useSocket`, a shared, reference-counted socket as React state. React (>= 18) is a peer dependency of this entry only. */
export { useSocket } from './react/use-socket.js'
export type { UseSocketOptions, UseSocketResult, SocketView } from './react/use-socket.js'
