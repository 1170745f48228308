import { existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

/**
 * The folder holding package.json and openapi.yaml, found by walking up from this module: the same
 * answer whether it runs from src/ (tests), dist/ (tsc output) or the bundled dist/server.js.
 */
export function packageRoot(from = fileURLToPath(import.meta.url)): string {
  let dir = dirname(from)
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir)
    if (parent === dir) throw new Error('package.json not found above this module')
    dir = parent
  }
  return dir
}
