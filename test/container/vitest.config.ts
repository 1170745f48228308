import { defineConfig } from 'vitest/config'

// `npm run test:container`: builds the Dockerfile with podman and runs the image and the compose services.
export default defineConfig({
  test: {
    root: new URL('../..', import.meta.url).pathname,
    include: ['test/container/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 20 * 60_000,
    pool: 'forks',
    fileParallelism: false,
  },
})
