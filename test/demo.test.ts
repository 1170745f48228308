import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { expect, it } from 'vitest'
import { startDemo } from './helpers/demo.js'

it('npm run demo starts with no configuration and prints a curl line that returns a real hash', async () => {
  const demo = await startDemo()
  try {
    const curl = (await demo.waitFor(/^curl .*$/m))[0]
    const expected = /Expected identifier_hash: ([0-9a-f]{64})/.exec(demo.output())?.[1]
    expect(expected).toMatch(/^[0-9a-f]{64}$/)
    expect(demo.output()).toMatch(/^Demo page .*: http:\/\/127\.0\.0\.1:\d+\/$/m)

    // The line as a user pastes it, run by a shell with the real curl.
    const shell = spawn('sh', ['-c', curl], { stdio: ['ignore', 'pipe', 'pipe'] })
    let answer = ''
    shell.stdout.setEncoding('utf8').on('data', (chunk) => {
      answer += chunk
    })
    const [code] = await once(shell, 'exit')
    expect(code, 'curl must be installed (apt-get install curl)').toBe(0)
    expect(JSON.parse(answer)).toEqual({
      inbox: 'demo',
      identifier: 'demo-user-42',
      identifier_hash: expected,
    })
  } finally {
    await demo.stop()
  }
})
