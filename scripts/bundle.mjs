// Bundles dist/server.js (tsc output) with its dependencies, in place: the service then starts by
// reading a few modules instead of some 300, which is most of its start-up time. The other dist/
// files (demo, tools) stay as tsc wrote them. esbuild, a static binary: it runs in any build image,
// so the container ships the same bundle `npm run bench` measures.
import { rmSync } from 'node:fs'
import { build } from 'esbuild'

rmSync(new URL('../dist/chunks', import.meta.url), { recursive: true, force: true })
await build({
  entryPoints: { server: 'dist/server.js' },
  outdir: 'dist',
  allowOverwrite: true,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  // Modules imported on demand (Swagger, rate limiting, Redis) stay in chunks of their own, read
  // only when the configuration asks for them.
  splitting: true,
  chunkNames: 'chunks/[name]-[hash]',
  // What Fastify requires only on demand and this service never asks for (its schema compilers are
  // the service's own; inject() is for tests): left out, never read, parsed or compiled at start-up.
  external: ['@fastify/ajv-compiler', '@fastify/fast-json-stringify-compiler', 'light-my-request'],
  // The bundled CommonJS packages require Node's built-ins (and the externals above).
  banner: {
    js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);",
  },
  // Less to read and parse at start-up; names are kept, so stack traces stay legible.
  minifyWhitespace: true,
  minifySyntax: true,
  legalComments: 'none',
  sourcemap: true,
  logLevel: 'warning',
})
