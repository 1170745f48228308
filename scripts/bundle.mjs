// Bundles dist/server.js (tsc output) with its dependencies into one file, in place: the service then
// starts by reading one module instead of some 300, which is most of its start-up time. The other
// dist/ files (demo, tools) stay as tsc wrote them.
import { build } from 'rolldown'

await build({
  input: { server: 'dist/server.js' },
  platform: 'node',
  // Node built-ins stay imports; everything else is inlined.
  output: {
    dir: 'dist',
    format: 'esm',
    entryFileNames: '[name].js',
    chunkFileNames: 'chunks/[name]-[hash].js',
    sourcemap: true,
  },
  logLevel: 'warn',
})
