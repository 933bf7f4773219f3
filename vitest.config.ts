import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    environment: 'node',
    pool: 'forks',
    // integration tests use real sockets on loopback; each bounds its own waits
    testTimeout: 30_000,
    hookTimeout: 30_000,
    reporters: ['default'],
  },
})
