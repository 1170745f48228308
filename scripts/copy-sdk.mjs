// The browser script is plain JavaScript served as is: the build copies it next to the compiled
// service (dist/sdk/), where GET /sdk.js reads it at start.
import { copyFileSync, mkdirSync } from 'node:fs'

const from = new URL('../src/sdk/', import.meta.url)
const to = new URL('../dist/sdk/', import.meta.url)
mkdirSync(to, { recursive: true })
for (const file of ['sdk.js', 'sdk.d.ts']) copyFileSync(new URL(file, from), new URL(file, to))
