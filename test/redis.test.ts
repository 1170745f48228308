import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Redis } from 'ioredis'
import { afterEach, describe, expect, it } from 'vitest'
import { hsKey, sign } from './helpers/keys.js'
import { type Running, startServer } from './helpers/process.js'
import { freePort } from './helpers/net.js'
import { type RunningRedis, startRedis } from './helpers/redis.js'

// Built service processes over real HTTP, counting in a real redis-server: one limit across replicas,
// and what happens when Redis stops answering or is gone.

const key = hsKey()
const PASSWORD = 'redis-pass-do-not-log-7Qx'
const dir = mkdtempSync(join(tmpdir(), 'ci-redis-test-'))

let servers: Running[] = []
let redises: RunningRedis[] = []
afterEach(async () => {
  await Promise.all(servers.map((server) => server.stop('SIGKILL')))
  await Promise.all(redises.map((redis) => redis.stop()))
  servers = []
  redises = []
})

async function redis(options: { password?: string } = {}) {
  const started = await startRedis(options)
  redises.push(started)
  return started
}

async function service(env: Record<string, string>) {
  const server = await startServer({
    JWT_SECRET: key.secret,
    CHATWOOT_INBOX_WEBSITE_SECRET: 'inbox-secret',
    ...env,
  })
  servers.push(server)
  return server
}

/** GET /v1/identity; a hung request fails the test after a generous 5 s instead of hanging it. */
async function identity(server: Running, token: string) {
  const response = await fetch(`${server.url}/v1/identity`, {
    headers: { authorization: `Bearer ${token}` },
    signal: AbortSignal.timeout(5000),
  })
  await response.arrayBuffer()
  return response
}

const status = async (server: Running, token: string) => (await identity(server, token)).status
/** Whether a log line with this code appears within a second (logs are written asynchronously). */
async function logged(server: Running, code: string): Promise<boolean> {
  const deadline = Date.now() + 1000
  for (;;) {
    if (server.lines.some((line) => line.includes(`"code":"${code}"`))) return true
    if (Date.now() > deadline) return false
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

describe('the rate limit in Redis', () => {
  it('is one limit for two service processes (URL with a password, from a _FILE)', async () => {
    const store = await redis({ password: PASSWORD })
    const urlFile = join(dir, 'redis-url')
    writeFileSync(urlFile, `${store.url}\n`)
    const env = { RATE_LIMIT_MAX: '4', RATE_LIMIT_WINDOW_SECONDS: '60', RATE_LIMIT_REDIS_URL_FILE: urlFile }
    const [a, b] = await Promise.all([service(env), service(env)])
    const alice = await sign(key, { sub: 'alice@example.com' })

    // Two requests each: neither process alone has seen more than the limit, together they have used it.
    expect([
      await status(a, alice),
      await status(b, alice),
      await status(a, alice),
      await status(b, alice),
    ]).toEqual([200, 200, 200, 200])
    const fromA = await identity(a, alice)
    const fromB = await identity(b, alice)
    expect([fromA.status, fromB.status]).toEqual([429, 429])
    expect(Number(fromB.headers.get('retry-after'))).toBeGreaterThanOrEqual(1)
    expect(Number(fromB.headers.get('retry-after'))).toBeLessThanOrEqual(60)

    const bob = await sign(key, { sub: 'bob@example.com' })
    expect(await status(b, bob)).toBe(200)

    // The counters are in Redis under digests: no subject, no token.
    const client = new Redis(store.url, { lazyConnect: true })
    await client.connect()
    const keys = await client.keys('chatwoot-identity:rate-limit:*')
    await client.quit()
    expect(keys).toHaveLength(2)
    for (const name of keys) {
      expect(name).toMatch(/^chatwoot-identity:rate-limit:sub:[A-Za-z0-9_-]{22}$/)
      expect(name).not.toMatch(/alice|bob/)
    }
    for (const server of [a, b]) expect(server.lines.join('\n')).not.toContain(PASSWORD)
  })

  it('fails open, and never hangs, while Redis stops answering or is gone; counts again once it is back', async () => {
    const store = await redis()
    const server = await service({ RATE_LIMIT_MAX: '2', RATE_LIMIT_REDIS_URL: store.url })
    const alice = await sign(key, { sub: 'alice' })
    expect([await status(server, alice), await status(server, alice), await status(server, alice)]).toEqual([
      200, 200, 429,
    ])

    // Frozen: connections open, no answers. The command timeout lets requests through.
    store.pause()
    expect(await status(server, alice)).toBe(200)
    expect(await logged(server, 'rate_limit_store_unavailable')).toBe(true)

    store.resume()
    expect(await status(server, alice)).toBe(429)

    // Gone: connection refused, requests go through at once; shutdown is not held up either.
    await store.stop()
    expect(await status(server, alice)).toBe(200)
    expect(await status(server, alice)).toBe(200)
    expect((await server.stop('SIGTERM')).code).toBe(0)
  })

  it('starts and serves when Redis cannot be reached at start', async () => {
    const closedPort = await freePort()
    const server = await service({
      RATE_LIMIT_MAX: '1',
      RATE_LIMIT_REDIS_URL: `redis://127.0.0.1:${closedPort}`,
    })
    const alice = await sign(key, { sub: 'alice' })
    expect([await status(server, alice), await status(server, alice)]).toEqual([200, 200])
    expect(await logged(server, 'rate_limit_store_unavailable')).toBe(true)
    expect((await fetch(`${server.url}/readyz`)).status).toBe(200)
  })
})
