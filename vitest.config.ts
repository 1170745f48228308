import { configDefaults, defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The container tests build and run the image with podman: `npm run test:container` (.ci/run).
    exclude: [...configDefaults.exclude, 'test/container/**'],
    testTimeout: 20_000,
    hookTimeout: 30_000,
    pool: 'forks',
    // The end-to-end tests start the built server: dist/ must be current (npm test builds it first).
    globalSetup: ['test/helpers/global-setup.ts'],
  },
})
