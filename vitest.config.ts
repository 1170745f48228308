import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 20_000,
    hookTimeout: 30_000,
    pool: 'forks',
    // The end-to-end tests start the built server: dist/ must be current (npm test builds it first).
    globalSetup: ['test/helpers/global-setup.ts'],
  },
})
