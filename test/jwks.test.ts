import { randomUUID } from 'node:crypto'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { JwksServer } from './helpers/jwks-server.js'
import { ecKey, type KeyPair, rsaKey, sign } from './helpers/keys.js'
import { type Running, serverPool } from './helpers/process.js'
import { referenceHash } from './helpers/reference.js'

// The built server as a process, with a JWKS endpoint on 127.0.0.1 that the test controls.

const ISSUER = 'https://idp.example'
const AUDIENCE = 'web'
const INBOX_SECRET = 'jwks-test-inbox-secret'
const rsaA = { ...rsaKey(), kid: 'rsa-a' }
const rsaB = { ...rsaKey(), kid: 'rsa-b' }
const ecA = { ...ecKey('P-256'), kid: 'ec-a' }
const ecB = { ...ecKey('P-256'), kid: 'ec-b' }

let jwks: JwksServer
const startServer = serverPool(afterEach)
beforeAll(async () => {
  jwks = await new JwksServer().start()
})
afterAll(() => jwks.stop())
afterEach(() => {
  jwks.mode = 'ok'
})

async function start(env: Record<string, string> = {}) {
  return startServer({
    JWT_JWKS_URL: jwks.url,
    JWT_ISSUER: ISSUER,
    JWT_AUDIENCE: AUDIENCE,
    CHATWOOT_INBOX_WEBSITE_SECRET: INBOX_SECRET,
    JWKS_COOLDOWN_SECONDS: '0',
    ...env,
  })
}

const token = (key: KeyPair & { kid?: string }, sub = 'user-1', kid = key.kid) =>
  sign(key, { sub }, { issuer: ISSUER, audience: AUDIENCE, header: kid === undefined ? {} : { kid } })

const identity = (server: Running, jwt: string) =>
  fetch(`${server.url}/v1/identity`, { headers: { authorization: `Bearer ${jwt}` } })

async function waitFor(check: () => Promise<boolean>, timeoutMs = 8000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (await check()) return
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  throw new Error('condition not met in time')
}
const ready = (server: Running) => waitFor(async () => (await fetch(`${server.url}/readyz`)).status === 200)
const code = async (response: Response) => ((await response.json()) as { code: string }).code

describe('JWKS', () => {
  it.each([
    ['RS256', rsaA, rsaB],
    ['ES256', ecA, ecB],
  ])('follows a key rotation to a new kid (%s) without restart', async (_alg, oldKey, newKey) => {
    await jwks.publish(oldKey)
    const server = await start()
    await ready(server)
    const oldToken = await token(oldKey)
    const before = await identity(server, oldToken)
    expect(before.status).toBe(200)
    expect((await identity(server, oldToken)).status).toBe(200) // now a verified-token cache hit
    expect(await before.json()).toEqual({
      inbox: 'website',
      identifier: 'user-1',
      identifier_hash: referenceHash(INBOX_SECRET, 'user-1'),
    })

    await jwks.publish(newKey)
    const after = await identity(server, await token(newKey, 'user-2'))
    expect(after.status).toBe(200)
    expect(((await after.json()) as { identifier: string }).identifier).toBe('user-2')
    // The old key left the set with that refetch: its tokens no longer pass, cached or not.
    const old = await identity(server, oldToken)
    expect(old.status).toBe(401)
    expect(await code(old)).toBe('unknown_key')
  })

  it('refetches at most once per cooldown under a burst of random kids, sharing one fetch', async () => {
    await jwks.publish(rsaA)
    const server = await start({ JWKS_COOLDOWN_SECONDS: '30' })
    await ready(server)
    const fetchesBefore = jwks.requests
    const tokens = await Promise.all(Array.from({ length: 40 }, () => token(rsaA, 'u', randomUUID())))
    const answers = await Promise.all(tokens.map((jwt) => identity(server, jwt)))
    for (const answer of answers) {
      expect(answer.status).toBe(401)
      expect(await code(answer)).toBe('unknown_key')
    }
    expect(jwks.requests - fetchesBefore).toBeLessThanOrEqual(1)
    // The genuine key still works, with no further fetch.
    expect((await identity(server, await token(rsaA))).status).toBe(200)
    expect(jwks.requests - fetchesBefore).toBeLessThanOrEqual(1)
  })

  it('accepts a token without kid only when the set holds exactly one key', async () => {
    await jwks.publish(rsaA)
    const server = await start()
    await ready(server)
    expect((await identity(server, await token(rsaA, 'u', undefined as unknown as string))).status).toBe(200)
    await jwks.publish(rsaA, rsaB)
    expect((await identity(server, await token(rsaB))).status).toBe(200) // refetch brings the second key
    const noKid = await identity(
      server,
      await sign(rsaA, { sub: 'u' }, { issuer: ISSUER, audience: AUDIENCE }),
    )
    expect(noKid.status).toBe(401)
    expect(await code(noKid)).toBe('unknown_key')
  })

  it('a cached token stops passing at its exp', async () => {
    await jwks.publish(rsaA)
    const server = await start({ JWT_CLOCK_TOLERANCE_SECONDS: '0' })
    await ready(server)
    const shortLived = await sign(
      rsaA,
      { sub: 'u' },
      { issuer: ISSUER, audience: AUDIENCE, expiresIn: 2, header: { kid: rsaA.kid } },
    )
    expect((await identity(server, shortLived)).status).toBe(200)
    expect((await identity(server, shortLived)).status).toBe(200)
    await new Promise((resolve) => setTimeout(resolve, 3100))
    const late = await identity(server, shortLived)
    expect(late.status).toBe(401)
    expect(await code(late)).toBe('token_expired')
  })

  it('pins each key to its algorithm: a token claiming another algorithm for that kid is refused', async () => {
    await jwks.publish(rsaA)
    const server = await start()
    await ready(server)
    const ps = await sign(
      rsaA,
      { sub: 'u' },
      { alg: 'PS256', issuer: ISSUER, audience: AUDIENCE, header: { kid: rsaA.kid } },
    )
    const response = await identity(server, ps)
    expect(response.status).toBe(401)
    expect(await code(response)).toBe('algorithm_not_allowed')
  })

  it('unreachable at start: alive, not ready, and ready by itself once the provider answers', async () => {
    await jwks.publish(rsaA)
    jwks.mode = 'down'
    const server = await start()
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200)
    const notReady = await fetch(`${server.url}/readyz`)
    expect(notReady.status).toBe(503)
    expect(((await notReady.json()) as { unmet: string[] }).unmet).toContain('jwt_keys')
    const early = await identity(server, await token(rsaA))
    expect(early.status).toBe(503)
    expect(await code(early)).toBe('not_ready')
    // Expected while not ready, so logged as a rejection, never as an error with a stack.
    await new Promise((resolve) => setTimeout(resolve, 100))
    const logs = server.lines.filter((line) => line.startsWith('{')).map((line) => JSON.parse(line))
    expect(
      logs.filter((line) => line.code === 'not_ready').map((line) => [line.level, line.msg]),
    ).toContainEqual(['info', 'request rejected'])
    expect(logs.filter((line) => line.level === 'error' || line.level === 'fatal')).toEqual([])
    jwks.mode = 'ok'
    await ready(server)
    expect((await identity(server, await token(rsaA))).status).toBe(200)
  })

  it.each([
    ['down (HTTP 503)', 'down', 'http_error'],
    ['answering HTML', 'html', 'invalid'],
    ['answering a huge body', 'huge', 'too_large'],
    ['redirecting', 'redirect', 'redirect'],
    ['hanging', 'hang', 'timeout'],
  ] as const)('a provider %s later never replaces the last good keys', async (_name, mode, outcome) => {
    await jwks.publish(rsaA)
    const server = await start({ JWKS_CACHE_SECONDS: '1', JWKS_TIMEOUT_SECONDS: '0.5' })
    await ready(server)
    jwks.mode = mode
    await waitFor(async () => {
      const metrics = await (await fetch(`${server.url}/metrics`)).text()
      return metrics.includes(`chatwoot_identity_jwks_fetches_total{outcome="${outcome}"}`)
    })
    const response = await identity(server, await token(rsaA))
    expect(response.status).toBe(200)
    expect((await fetch(`${server.url}/readyz`)).status).toBe(200)
    const metrics = await (await fetch(`${server.url}/metrics`)).text()
    expect(metrics).toMatch(/^chatwoot_identity_jwks_age_seconds \d/m)
    expect(metrics).toMatch(/^chatwoot_identity_jwks_keys 1$/m)
    // An unknown kid while the provider misbehaves is answered promptly, not left hanging.
    const started = Date.now()
    const unknown = await identity(server, await token(rsaA, 'u', 'not-there'))
    expect(unknown.status).toBe(401)
    expect(Date.now() - started).toBeLessThan(3000)
  })

  it('stops serving keys staler than JWKS_MAX_STALE_SECONDS', async () => {
    await jwks.publish(rsaA)
    const server = await start({ JWKS_CACHE_SECONDS: '1', JWKS_MAX_STALE_SECONDS: '1' })
    await ready(server)
    jwks.mode = 'down'
    await waitFor(async () => (await fetch(`${server.url}/readyz`)).status === 503)
    const response = await identity(server, await token(rsaA))
    expect(response.status).toBe(503)
    jwks.mode = 'ok'
    await ready(server)
  })

  it('never fetches a host named by the token (jku, x5u)', async () => {
    await jwks.publish(rsaA)
    const server = await start()
    await ready(server)
    const before = jwks.requests
    const attacker = rsaKey()
    const evil = await sign(
      attacker,
      { sub: 'admin' },
      {
        issuer: ISSUER,
        audience: AUDIENCE,
        header: { kid: rsaA.kid, jku: 'http://127.0.0.1:9/jwks.json', x5u: 'http://127.0.0.1:9/cert.pem' },
      },
    )
    const response = await identity(server, evil)
    expect(response.status).toBe(401)
    expect(await code(response)).toBe('invalid_signature')
    expect(jwks.requests).toBe(before)
  })
})
