/**
 * lifeline-ws/react on the server: importing the hook and rendering a component that uses it
 * opens nothing (no WebSocket is constructed, no socket created), and it renders state 'idle'.
 * Bad hook options throw synchronously with a message naming the option.
 */
import { createElement as h } from 'react'
import { renderToString } from 'react-dom/server'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { useSocket, type UseSocketOptions } from '../../src/index.react.js'

function Status(props: { options: UseSocketOptions<unknown> }) {
  const { state, socket, lastMessage } = useSocket(props.options)
  return h('p', null, `${state} ${socket === undefined} ${String(lastMessage)}`)
}

afterEach(() => {
  vi.unstubAllGlobals()
})

describe('useSocket on the server', () => {
  it('renders idle and constructs no WebSocket', () => {
    const constructed = vi.fn()
    vi.stubGlobal('WebSocket', function WebSocket() {
      constructed()
    })
    const create = vi.fn()
    const html = renderToString(h(Status, { options: { url: 'wss://example.test/live' } }))
    expect(html).toBe('<p>idle true undefined</p>')
    renderToString(h(Status, { options: { url: 'wss://example.test/live', create } }))
    expect(constructed).not.toHaveBeenCalled()
    expect(create).not.toHaveBeenCalled()
  })

  it.each([
    [{ url: 'wss://x.test', enabled: 'yes' }, 'useSocket(options): enabled must be a boolean, got string "yes"'],
    [{ url: 'wss://x.test', linger: -1 }, 'useSocket(options): linger must be a number of ms >= 0, got number -1'],
    [{ url: 'wss://x.test', reduce: 1 }, 'useSocket(options): reduce must be a function, got number 1'],
    [{ url: () => 'wss://x.test' }, 'useSocket(options): key is required when url or protocols is a function'],
    [{ url: 'wss://x.test', key: '' }, 'useSocket(options): key must be a non-empty string, got string ""'],
  ])('%o throws %s', (options, message) => {
    expect(() => renderToString(h(Status, { options: options as UseSocketOptions<unknown> }))).toThrow(new TypeError(message))
  })
})
