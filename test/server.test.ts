import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { ecKey, edKey, hsKey, type KeyPair, rsaKey, sign } from './helpers/keys.js'
import { runToExit, serverPool } from './helpers/process.js'
import { referenceHash, SPEC_VECTOR } from './helpers/reference.js'

// The built service (`node dist/server.js`) as a real process, over real HTTP on loopback.

const dir = mkdtempSync(join(tmpdir(), 'ci-server-'))
const file = (name: string, content: string) => {
  const path = join(dir, name)
  writeFileSync(path, content)
  return path
}

const start = serverPool(afterEach)

const INBOX = { CHATWOOT_INBOX_WEBSITE_SECRET: SPEC_VECTOR.secret }

describe('the built server over HTTP', () => {
  const kinds: [string, () => KeyPair, (key: KeyPair) => Record<string, string>][] = [
    [
      'HS256 secret',
      () => hsKey(40),
      (key) => ({ JWT_SECRET: (key as KeyPair & { secret: string }).secret }),
    ],
    ['RSA PEM (RS256)', () => rsaKey(), (key) => ({ JWT_PUBLIC_KEY: key.publicPem })],
    ['EC P-256 PEM (ES256)', () => ecKey('P-256'), (key) => ({ JWT_PUBLIC_KEY: key.publicPem })],
    ['EC P-384 PEM (ES384)', () => ecKey('P-384'), (key) => ({ JWT_PUBLIC_KEY: key.publicPem })],
    [
      'Ed25519 PEM (EdDSA)',
      () => edKey(),
      (key) => ({ JWT_PUBLIC_KEY_FILE: file(`ed-${Date.now()}.pem`, `${key.publicPem}\n`) }),
    ],
  ]

  it.each(kinds)('issues the Chatwoot hash for a real token signed with %s', async (_name, makeKey, env) => {
    const key = makeKey()
    const server = await start({
      ...env(key),
      ...INBOX,
      JWT_ISSUER: 'https://idp.example',
      JWT_AUDIENCE: 'web',
    })
    const token = await sign(
      key,
      { sub: SPEC_VECTOR.identifier },
      { issuer: 'https://idp.example', audience: 'web' },
    )
    const response = await fetch(`${server.url}/v1/identity`, {
      headers: { authorization: `Bearer ${token}` },
    })
    expect(response.status).toBe(200)
    expect(response.headers.get('cache-control')).toBe('no-store')
    expect(await response.json()).toEqual({
      inbox: 'website',
      identifier: SPEC_VECTOR.identifier,
      identifier_hash: SPEC_VECTOR.hash,
    })

    const forged = await sign(
      makeKey(),
      { sub: 'someone-else' },
      { issuer: 'https://idp.example', audience: 'web' },
    )
    const refused = await fetch(`${server.url}/v1/identity`, {
      headers: { authorization: `Bearer ${forged}` },
    })
    expect(refused.status).toBe(401)
    expect(refused.headers.get('www-authenticate')).toBe(
      'Bearer realm="chatwoot-identity", error="invalid_token"',
    )
    expect(((await refused.json()) as { code: string }).code).toBe('invalid_signature')

    const verified = await fetch(`${server.url}/v1/identity/verify`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ identifier: SPEC_VECTOR.identifier, identifier_hash: SPEC_VECTOR.hash }),
    })
    expect(await verified.json()).toEqual({ valid: true })
  })

  it('merges env inboxes with a secrets file loaded at start, and serves health, readiness and the document', async () => {
    const key = hsKey()
    const secretsFile = file(
      'secrets.json',
      JSON.stringify({ inboxes: { 'Acme Shop': { secret: 'shop-secret' } } }),
    )
    const server = await start({ JWT_SECRET: key.secret, ...INBOX, SECRETS_FILE: secretsFile })
    const token = await sign(key, { sub: 'user-1' })
    const shop = await fetch(`${server.url}/v1/identity?inbox=acme_shop`, {
      headers: { authorization: `Bearer ${token}` },
    })
    expect(await shop.json()).toEqual({
      inbox: 'acme_shop',
      identifier: 'user-1',
      identifier_hash: referenceHash('shop-secret', 'user-1'),
    })
    const ambiguous = await fetch(`${server.url}/v1/identity`, {
      headers: { authorization: `Bearer ${token}` },
    })
    expect(ambiguous.status).toBe(400)
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200)
    expect(await (await fetch(`${server.url}/readyz`)).json()).toEqual({ status: 'ready' })
    expect(await (await fetch(`${server.url}/openapi.yaml`)).text()).toMatch(/^openapi: 3\.1\.0/)
  })

  it('logs JSON lines with the request id, one access line per request, and never a token or secret', async () => {
    const key = hsKey()
    const server = await start({ JWT_SECRET: key.secret, ...INBOX, LOG_REQUESTS: 'true' })
    const token = await sign(key, { sub: 'user-1' })
    await fetch(`${server.url}/v1/identity`, {
      headers: { authorization: `Bearer ${token}`, 'x-request-id': 'req-ok-1' },
    })
    const expired = await sign(key, { sub: 'user-1' }, { expiresIn: -600 })
    await fetch(`${server.url}/v1/identity`, {
      headers: { authorization: `Bearer ${expired}`, 'x-request-id': 'req-bad-1' },
    })
    await fetch(`${server.url}/nowhere`, { headers: { 'x-request-id': 'req-404-1' } })
    await fetch(`${server.url}/v1/identity/verify`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${token}`,
        'content-type': 'application/json',
        'x-request-id': 'req-json-1',
      },
      body: '{"identifier":',
    })
    await new Promise((resolve) => setTimeout(resolve, 200))
    const logs: Record<string, unknown>[] = server.lines
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line))
    // Exactly one access line per request, with the status the client got, errors included.
    const access = (reqId: string) => logs.filter((l) => l.reqId === reqId && l.msg === 'request')
    expect(access('req-ok-1')).toEqual([
      expect.objectContaining({ method: 'GET', route: '/v1/identity', status: 200 }),
    ])
    expect(access('req-bad-1')).toEqual([expect.objectContaining({ route: '/v1/identity', status: 401 })])
    expect(access('req-404-1')).toEqual([expect.objectContaining({ route: '(no route)', status: 404 })])
    expect(access('req-json-1')).toEqual([
      expect.objectContaining({ method: 'POST', route: '/v1/identity/verify', status: 400 }),
    ])
    // A real duration (the first request also verifies the token and hashes the identifier).
    for (const line of access('req-ok-1')) expect(line.durationMs).toBeGreaterThan(0)
    expect(logs.find((l) => l.reqId === 'req-bad-1' && l.msg === 'request rejected')).toMatchObject({
      code: 'token_expired',
      status: 401,
    })
    const all = server.lines.join('\n')
    for (const secret of [token, expired, key.secret, SPEC_VECTOR.secret, SPEC_VECTOR.hash])
      expect(all).not.toContain(secret)
  })

  it('on SIGTERM: not ready at once, still serving while draining, then exit 0', async () => {
    const key = hsKey()
    const server = await start({
      JWT_SECRET: key.secret,
      ...INBOX,
      SHUTDOWN_DRAIN_SECONDS: '1',
      SHUTDOWN_TIMEOUT_SECONDS: '5',
    })
    const token = await sign(key, { sub: 'user-1' })
    const began = Date.now()
    server.child.kill('SIGTERM')
    await new Promise((resolve) => setTimeout(resolve, 150))
    const ready = await fetch(`${server.url}/readyz`)
    expect(ready.status).toBe(503)
    expect(((await ready.json()) as { unmet: string[] }).unmet).toEqual(['shutting_down'])
    const served = await fetch(`${server.url}/v1/identity`, { headers: { authorization: `Bearer ${token}` } })
    expect(served.status).toBe(200)
    const { code } = await server.exited()
    expect(code).toBe(0)
    expect(Date.now() - began).toBeGreaterThanOrEqual(900)
    expect(Date.now() - began).toBeLessThan(5000)
  })
})

describe('configuration errors at start', () => {
  it.each([
    ['no JWT key', 'JWT_SECRET', { ...INBOX }],
    ['a short secret', 'JWT_SECRET', { JWT_SECRET: 'too-short-secret-value', ...INBOX }],
    ['no inbox', 'CHATWOOT_INBOX_<NAME>_SECRET', { JWT_SECRET: 'x'.repeat(32) }],
    ['a bad PEM', 'JWT_PUBLIC_KEY', { JWT_PUBLIC_KEY: 'not a pem', ...INBOX }],
    ['a bad port', 'PORT', { JWT_SECRET: 'x'.repeat(32), ...INBOX, PORT: 'x' }],
    ['a rate limit of 0', 'RATE_LIMIT_MAX', { JWT_SECRET: 'x'.repeat(32), ...INBOX, RATE_LIMIT_MAX: '0' }],
    [
      'a Redis URL of another scheme',
      'RATE_LIMIT_REDIS_URL',
      {
        JWT_SECRET: 'x'.repeat(32),
        ...INBOX,
        RATE_LIMIT_MAX: '5',
        RATE_LIMIT_REDIS_URL: 'http://:hunter2@cache',
      },
    ],
    ['trusting every proxy', 'TRUST_PROXY', { JWT_SECRET: 'x'.repeat(32), ...INBOX, TRUST_PROXY: 'true' }],
  ])('%s: exit 1 with one line naming %s, no secret printed', async (_name, variable, env) => {
    const { code, stdout, stderr } = await runToExit(env as Record<string, string>)
    expect(code).toBe(1)
    expect(stdout).toBe('')
    const lines = stderr.trimEnd().split('\n')
    expect(lines).toHaveLength(1)
    expect(lines[0]).toContain(`${variable}: `)
    expect(stderr).not.toContain(SPEC_VECTOR.secret)
    expect(stderr).not.toContain('too-short-secret-value')
    expect(stderr).not.toContain('hunter2')
  })
})
