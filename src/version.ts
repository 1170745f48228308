import { readFileSync } from 'node:fs'

// Read once from package.json, which ships next to dist/ in the image.
export const VERSION: string = JSON.parse(
  readFileSync(new URL('../package.json', import.meta.url), 'utf8'),
).version
