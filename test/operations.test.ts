import { once } from 'node:events'
import { afterEach, describe, expect, it } from 'vitest'
import { JwksServer } from './helpers/jwks-server.js'
import { hsKey, rsaKey, sign } from './helpers/keys.js'
import { serverPool } from './helpers/process.js'
import { GENERATED_REQUEST_ID } from '../src/request-id.js'

// Shutdown under load, metrics after traffic, and what the logs hold: the built server as a process.

const start = serverPool(afterEach)

const INBOX_SECRET = 'operations-inbox-secret'

describe('graceful shutdown', () => {
  it('on SIGTERM with load running and a slow request in flight: every accepted request answered, exit 0', async () => {
    const jwks = await new JwksServer().start()
    const key = { ...rsaKey(), kid: 'k1' }
    await jwks.publish(key)
    const server = await start({
      JWT_JWKS_URL: jwks.url,
      JWT_ISSUER: 'iss',
      JWT_AUDIENCE: 'aud',
      JWKS_COOLDOWN_SECONDS: '0',
      CHATWOOT_INBOX_WEBSITE_SECRET: INBOX_SECRET,
      SHUTDOWN_DRAIN_SECONDS: '1',
      SHUTDOWN_TIMEOUT_SECONDS: '6',
    })
    const good = await sign(key, { sub: 'u' }, { issuer: 'iss', audience: 'aud', header: { kid: 'k1' } })
    await (await fetch(`${server.url}/v1/identity`, { headers: { authorization: `Bearer ${good}` } })).text()

    // A request whose unknown kid makes the service wait on a slow key-set fetch.
    const rotated = { ...rsaKey(), kid: 'k2' }
    const slowToken = await sign(
      rotated,
      { sub: 'slow' },
      { issuer: 'iss', audience: 'aud', header: { kid: 'k2' } },
    )
    jwks.slowMs = 1500
    jwks.mode = 'slow'
    await jwks.publish(key, rotated)
    const slow = fetch(`${server.url}/v1/identity`, { headers: { authorization: `Bearer ${slowToken}` } })

    // Load: workers looping until the server stops accepting.
    let signalled = 0
    const statuses: number[] = []
    const errors: string[] = []
    let stop = false
    const worker = async () => {
      while (!stop) {
        try {
          const response = await fetch(`${server.url}/v1/identity`, {
            headers: { authorization: `Bearer ${good}` },
          })
          await response.text()
          statuses.push(response.status)
        } catch (error) {
          const code = ((error as Error).cause as { code?: string } | undefined)?.code ?? String(error)
          if (code === 'ECONNREFUSED') return
          errors.push(`${code}@${Date.now() - signalled}`)
        }
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 100))
    signalled = Date.now()
    server.child.kill('SIGTERM')
    const workers = Promise.all(Array.from({ length: 4 }, worker))
    const slowResponse = await slow
    expect(slowResponse.status).toBe(200)
    expect(((await slowResponse.json()) as { identifier: string }).identifier).toBe('slow')
    const { code } = await server.exited()
    stop = true
    await workers
    expect(code, server.lines.slice(-8).join('\n')).toBe(0)
    // The only failures allowed are connections the OS still held in the listener's accept queue at the
    // moment the listener closed (after the drain): the service never saw them. Nothing during the drain fails.
    const failedAt = errors.map((error) => Number(error.split('@')[1]))
    expect(
      errors.every((error) => error.startsWith('ECONNRESET@')),
      errors.join(),
    ).toBe(true)
    expect(
      failedAt.every((ms) => ms >= 900 && ms <= 2500),
      errors.join(),
    ).toBe(true)
    expect(errors.length).toBeLessThanOrEqual(4)
    expect(statuses.length).toBeGreaterThan(10)
    expect(statuses.every((status) => status === 200 || status === 503)).toBe(true)
    await jwks.stop()
  })
})

describe('metrics and logs', () => {
  it('exports request, hash, verification, rejection and process metrics after traffic', async () => {
    const key = hsKey()
    const server = await start({
      JWT_SECRET: key.secret,
      CHATWOOT_INBOX_WEBSITE_SECRET: INBOX_SECRET,
      VERIFY_API_KEYS: 'k'.repeat(32),
    })
    const token = await sign(key, { sub: 'user-1' })
    await fetch(`${server.url}/v1/identity`, { headers: { authorization: `Bearer ${token}` } })
    await fetch(`${server.url}/v1/identity`, {
      headers: { authorization: `Bearer ${await sign(key, { sub: 'u' }, { expiresIn: -60 })}` },
    })
    await fetch(`${server.url}/v1/identity/verify`, {
      method: 'POST',
      headers: { authorization: `Bearer ${'k'.repeat(32)}`, 'content-type': 'application/json' },
      body: JSON.stringify({ identifier: 'user-1', identifier_hash: '0'.repeat(64) }),
    })
    const response = await fetch(`${server.url}/metrics`)
    expect(response.headers.get('content-type')).toMatch(/^text\/plain/)
    const text = await response.text()
    expect(text).toMatch(
      /http_request_duration_seconds_count\{method="GET",route="\/v1\/identity",status="200"\} 1/,
    )
    expect(text).toMatch(
      /http_request_duration_seconds_count\{method="GET",route="\/v1\/identity",status="401"\} 1/,
    )
    expect(text).toMatch(/chatwoot_identity_hashes_issued_total\{inbox="website"\} 1/)
    expect(text).toMatch(/chatwoot_identity_verifications_total\{result="invalid"\} 1/)
    expect(text).toMatch(/chatwoot_identity_rejections_total\{code="token_expired"\} 1/)
    expect(text).toMatch(/^process_cpu_user_seconds_total /m)
    expect(text).not.toMatch(/quantile=/) // no summaries
    expect(text).not.toContain(INBOX_SECRET)
  })

  it('serves /metrics on METRICS_PORT alone when set', async () => {
    const key = hsKey()
    const server = await start({
      JWT_SECRET: key.secret,
      CHATWOOT_INBOX_WEBSITE_SECRET: INBOX_SECRET,
      METRICS_PORT: '0',
    })
    const line = server.lines.find((l) => l.includes('metrics listening'))
    const port = (JSON.parse(line as string) as { port: number }).port
    expect((await fetch(`${server.url}/metrics`)).status).toBe(404)
    const metrics = await fetch(`http://127.0.0.1:${port}/metrics`)
    expect(metrics.status).toBe(200)
    expect(metrics.headers.get('x-request-id')).toMatch(GENERATED_REQUEST_ID)
    expect(await metrics.text()).toContain('http_request_duration_seconds')
    const { code } = await server.stop('SIGTERM')
    expect(code).toBe(0)
  })

  it('logs through the service logger, with one line per rejection and no access lines by default', async () => {
    const key = hsKey()
    const server = await start({ JWT_SECRET: key.secret, CHATWOOT_INBOX_WEBSITE_SECRET: INBOX_SECRET })
    const token = await sign(key, { sub: 'user-1' })
    expect(
      (await fetch(`${server.url}/v1/identity`, { headers: { authorization: `Bearer ${token}` } })).status,
    ).toBe(200)
    const refused = await fetch(`${server.url}/v1/identity`)
    expect(refused.status).toBe(401)
    const { code } = await server.stop('SIGTERM')
    expect(code).toBe(0)
    const lines = server.lines.map((line) => JSON.parse(line) as Record<string, unknown>)
    // Fastify's own line, through the instance logger: the service's format, not a null logger.
    expect(lines).toContainEqual(
      expect.objectContaining({
        service: 'chatwoot-identity',
        msg: expect.stringMatching(/^Server listening at /),
      }),
    )
    expect(lines).toContainEqual(
      expect.objectContaining({
        msg: 'request rejected',
        code: 'missing_token',
        reqId: refused.headers.get('x-request-id'),
      }),
    )
    expect(lines.filter((line) => line.msg === 'request')).toEqual([])
  })

  it('redacts credentials from any log line, even at trace level with LOG_REQUESTS', async () => {
    const key = hsKey()
    const server = await start({
      JWT_SECRET: key.secret,
      CHATWOOT_INBOX_WEBSITE_SECRET: INBOX_SECRET,
      LOG_LEVEL: 'trace',
      LOG_REQUESTS: 'true',
      JWT_COOKIE: 'session',
    })
    const token = await sign(key, { sub: 'user-1' })
    await fetch(`${server.url}/v1/identity`, { headers: { authorization: `Bearer ${token}` } })
    await fetch(`${server.url}/v1/identity`, { headers: { cookie: `session=${token}` } })
    await fetch(`${server.url}/v1/identity`, {
      headers: { authorization: `Basic ${Buffer.from('user:pass').toString('base64')}` },
    })
    const done = once(server.child, 'exit')
    server.child.kill('SIGTERM')
    await done
    const all = server.lines.join('\n')
    for (const secret of [token, key.secret, INBOX_SECRET, 'dXNlcjpwYXNz']) expect(all).not.toContain(secret)
    const access = server.lines.filter((line) => line.includes('"msg":"request"'))
    expect(access.length).toBeGreaterThanOrEqual(3)
    for (const line of access) expect(line).not.toMatch(/[0-9a-f]{64}/) // never the hash
  })
})
