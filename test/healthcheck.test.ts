import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { createServer } from 'node:net'
import { fileURLToPath } from 'node:url'
import { afterEach, describe, expect, it } from 'vitest'
import { hsKey } from './helpers/keys.js'
import { type Running, startServer } from './helpers/process.js'
import { freePort } from './helpers/net.js'

// dist/healthcheck.js, the image's HEALTHCHECK, run as the container runs it: node, environment, exit code.

const HEALTHCHECK_JS = fileURLToPath(new URL('../dist/healthcheck.js', import.meta.url))

async function healthcheck(env: Record<string, string>): Promise<{ code: number | null; ms: number }> {
  const began = Date.now()
  const child = spawn(process.execPath, [HEALTHCHECK_JS], { env: { PATH: process.env.PATH ?? '', ...env } })
  const [code] = (await once(child, 'exit')) as [number | null]
  return { code, ms: Date.now() - began }
}

let running: Running[] = []
afterEach(async () => {
  await Promise.all(running.map((server) => server.stop('SIGKILL')))
  running = []
})

describe('the healthcheck script', () => {
  it('exits 0 when the service on PORT answers /healthz', async () => {
    const server = await startServer({ JWT_SECRET: hsKey().secret, CHATWOOT_INBOX_WEBSITE_SECRET: 's' })
    running.push(server)
    const port = new URL(server.url).port
    expect((await healthcheck({ PORT: port, HOST: '0.0.0.0' })).code).toBe(0)
    expect((await healthcheck({ PORT: port, HOST: '127.0.0.1' })).code).toBe(0)
  })

  it('exits 1 when nothing listens', async () => {
    expect((await healthcheck({ PORT: String(await freePort()) })).code).toBe(1)
  })

  it('exits 1, within its timeout, when the port accepts but never answers', async () => {
    const silent = createServer(() => {}).listen(0, '127.0.0.1')
    await once(silent, 'listening')
    const { port } = silent.address() as { port: number }
    try {
      const { code, ms } = await healthcheck({ PORT: String(port) })
      expect(code).toBe(1)
      expect(ms).toBeLessThan(10_000)
    } finally {
      silent.close()
    }
  })
})
