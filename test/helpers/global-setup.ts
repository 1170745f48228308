import { existsSync } from 'node:fs'

export default function setup() {
  if (!existsSync(new URL('../../dist/server.js', import.meta.url))) {
    throw new Error('dist/server.js is missing: run `npm test` (it builds first) or `npm run build`')
  }
}
