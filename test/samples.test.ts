import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { referenceHash, SPEC_VECTOR } from './helpers/reference.js'

// The language samples of docs/hash-samples.md, run by their own runtimes: each must give the SPEC
// vector and agree with the reference HMAC on UTF-8 and numeric identifiers. A missing runtime is a
// failure that says how to install it (bash .ci/run does), never a silent skip.

const samples = fileURLToPath(new URL('../docs/samples/', import.meta.url))
const page = readFileSync(new URL('../docs/hash-samples.md', import.meta.url), 'utf8')

const SAMPLES = [
  { file: 'hash.mjs', lang: 'js', runtime: process.execPath, package: 'nodejs' },
  { file: 'hash.py', lang: 'python', runtime: 'python3', package: 'python3' },
  { file: 'hash.rb', lang: 'ruby', runtime: 'ruby', package: 'ruby' },
  { file: 'hash.php', lang: 'php', runtime: 'php', package: 'php-cli' },
]

const CASES: [string, string][] = [
  [SPEC_VECTOR.secret, SPEC_VECTOR.identifier],
  ['sëcret-with-ünïcode-€', 'user-ünïcode-€-😀'],
  ['numeric-id-secret', '42'],
]

describe.each(SAMPLES)('docs/samples/$file', ({ file, lang, runtime, package: pkg }) => {
  const run = (secret: string, identifier: string) => {
    const result = spawnSync(runtime, [`${samples}${file}`, identifier], {
      env: { ...process.env, INBOX_SECRET: secret },
      encoding: 'utf8',
    })
    if ((result.error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT') {
      throw new Error(
        `${runtime} is not installed, so docs/samples/${file} cannot be checked: ` +
          `run "apt-get install -y --no-install-recommends ${pkg}" (bash .ci/run does it)`,
      )
    }
    expect(result.stderr).toBe('')
    expect(result.status).toBe(0)
    return result.stdout
  }

  it('gives the SPEC vector, and the reference hash for UTF-8 and numeric identifiers', () => {
    expect(run(SPEC_VECTOR.secret, SPEC_VECTOR.identifier)).toBe(`${SPEC_VECTOR.hash}\n`)
    for (const [secret, identifier] of CASES.slice(1))
      expect(run(secret, identifier), identifier).toBe(`${referenceHash(secret, identifier)}\n`)
  })

  it('is shown verbatim on docs/hash-samples.md', () => {
    const code = readFileSync(`${samples}${file}`, 'utf8')
    expect(page).toContain(`\`\`\`${lang}\n${code}\`\`\`\n`)
  })
})
