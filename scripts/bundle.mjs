// Bundles dist/server.js (tsc output) with its dependencies into one file, in place: the service then
// starts by reading one module instead of some 300, which is most of its start-up time. The other
// dist/ files (demo, tools) stay as tsc wrote them.
import { build } from 'rolldown'

await build({
  input: { server: 'dist/server.js' },
  platform: 'node',
  // Node built-ins stay imports; everything else is inlined, except what Fastify requires only on
  // demand and this service never asks for (its schema compilers are the service's own; inject() is
  // for tests): left out, they are never read, parsed or compiled at start-up.
  external: ['@fastify/ajv-compiler', '@fastify/fast-json-stringify-compiler', 'light-my-request'],
  output: {
    dir: 'dist',
    format: 'esm',
    entryFileNames: '[name].js',
    chunkFileNames: 'chunks/[name]-[hash].js',
    sourcemap: true,
  },
  logLevel: 'warn',
})
