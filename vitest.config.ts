import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    environment: 'node',
    // Tests open real sockets and spawn processes; give them room.
    testTimeout: 20_000,
    hookTimeout: 20_000,
    pool: 'forks',
    // Files still run in parallel, but at most two at a time (2-core machine).
    maxWorkers: 2
  }
})
