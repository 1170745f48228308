import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { createServer } from 'node:net'
import { fileURLToPath } from 'node:url'
import { expect, it } from 'vitest'

const DEMO_JS = fileURLToPath(new URL('../dist/demo.js', import.meta.url))

async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as { port: number }
  server.close()
  return port
}

it('npm run demo starts with no configuration and prints a curl line that returns a real hash', async () => {
  const port = await freePort()
  const env: Record<string, string> = { PATH: process.env.PATH ?? '', PORT: String(port) }
  const child = spawn(process.execPath, [DEMO_JS], { env, stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  child.stdout.setEncoding('utf8').on('data', (chunk) => {
    out += chunk
  })
  try {
    const deadline = Date.now() + 15_000
    while (!/^curl .*$/m.test(out) && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 50))
    const curl = /^curl .*$/m.exec(out)?.[0]
    expect(curl, out).toBeDefined()
    const expected = /Expected identifier_hash: ([0-9a-f]{64})/.exec(out)?.[1]
    expect(expected).toMatch(/^[0-9a-f]{64}$/)

    // The line as a user pastes it, run by a shell with the real curl.
    const shell = spawn('sh', ['-c', curl as string], { stdio: ['ignore', 'pipe', 'pipe'] })
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
    child.kill('SIGTERM')
    await once(child, 'exit')
  }
})
