import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify'
import { afterEach, describe, expect, it } from 'vitest'
import type { Env } from '../src/config.js'
import { buildApp } from './helpers/app.js'
import { hsKey, sign } from './helpers/keys.js'

// The limit in-process (in-memory store): who is charged, the 429 problem, and what TRUST_PROXY changes.

const key = hsKey()
const SERVICE_KEY = 'svc-key-0123456789abcdefghijklmnopqrstuv'
const base: Env = {
  JWT_SECRET: key.secret,
  CHATWOOT_INBOX_WEBSITE_SECRET: 'inbox-secret',
  VERIFY_API_KEYS: SERVICE_KEY,
}

let apps: FastifyInstance[] = []
afterEach(async () => {
  await Promise.all(apps.map((app) => app.close()))
  apps = []
})
async function app(env: Env) {
  const built = await buildApp({ ...base, ...env })
  apps.push(built)
  return built
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` })
const identity = (
  target: FastifyInstance,
  headers: Record<string, string>,
  extra: Partial<InjectOptions> = {},
) => target.inject({ method: 'GET', url: '/v1/identity', headers, ...extra })
const verify = (target: FastifyInstance, headers: Record<string, string>) =>
  target.inject({
    method: 'POST',
    url: '/v1/identity/verify',
    headers: { ...headers, 'content-type': 'application/json' },
    payload: { identifier: 'user-1', identifier_hash: '0'.repeat(64) },
  })

async function statuses(times: number, send: () => Promise<LightMyRequestResponse>) {
  const result: number[] = []
  for (let i = 0; i < times; i++) result.push((await send()).statusCode)
  return result
}

describe('rate limiting', () => {
  it('answers 429 problem+json with Retry-After, X-Request-Id and no-store once a subject is over the limit', async () => {
    const target = await app({ RATE_LIMIT_MAX: '2', RATE_LIMIT_WINDOW_SECONDS: '30' })
    const token = await sign(key, { sub: 'user-1' })
    expect(await statuses(2, () => identity(target, bearer(token)))).toEqual([200, 200])

    const limited = await identity(target, { ...bearer(token), 'x-request-id': 'flood-1' })
    expect(limited.statusCode).toBe(429)
    expect(limited.headers['content-type']).toMatch(/^application\/problem\+json/)
    expect(limited.headers['cache-control']).toBe('no-store')
    expect(limited.headers['x-request-id']).toBe('flood-1')
    const retryAfter = Number(limited.headers['retry-after'])
    expect(Number.isInteger(retryAfter)).toBe(true)
    expect(retryAfter).toBeGreaterThanOrEqual(1)
    expect(retryAfter).toBeLessThanOrEqual(30)
    const body = limited.json()
    expect(body).toEqual({
      type: 'urn:chatwoot-identity:problem:rate_limited',
      title: 'Too many requests',
      status: 429,
      detail: `Too many requests: retry in ${retryAfter} seconds`,
      code: 'rate_limited',
    })
    expect(limited.body).not.toContain(token)
  })

  it('counts per subject across both endpoints, and one subject does not use up another', async () => {
    const target = await app({ RATE_LIMIT_MAX: '3' })
    const alice = await sign(key, { sub: 'alice' })
    const aliceAgain = await sign(key, { sub: 'alice', nonce: 'another token, same person' })
    const bob = await sign(key, { sub: 'bob' })
    expect((await identity(target, bearer(alice))).statusCode).toBe(200)
    expect((await verify(target, bearer(aliceAgain))).statusCode).toBe(200)
    expect((await identity(target, bearer(alice))).statusCode).toBe(200)
    expect((await verify(target, bearer(alice))).statusCode).toBe(429)
    expect((await identity(target, bearer(aliceAgain))).statusCode).toBe(429)
    expect(await statuses(3, () => identity(target, bearer(bob)))).toEqual([200, 200, 200])
  })

  it('tells the same subject of two issuers apart', async () => {
    const target = await app({ RATE_LIMIT_MAX: '1' })
    const first = await sign(key, { sub: 'user-1' }, { issuer: 'https://a.example' })
    const second = await sign(key, { sub: 'user-1' }, { issuer: 'https://b.example' })
    expect((await identity(target, bearer(first))).statusCode).toBe(200)
    expect((await identity(target, bearer(second))).statusCode).toBe(200)
    expect((await identity(target, bearer(first))).statusCode).toBe(429)
  })

  it('counts a service key on its own, whatever address it calls from', async () => {
    const target = await app({ RATE_LIMIT_MAX: '2' })
    const call = (remoteAddress: string) =>
      target.inject({
        method: 'POST',
        url: '/v1/identity/verify',
        remoteAddress,
        headers: { ...bearer(SERVICE_KEY), 'content-type': 'application/json' },
        payload: { identifier: 'user-1', identifier_hash: 'x' },
      })
    expect((await call('10.0.0.1')).statusCode).toBe(200)
    expect((await call('10.0.0.2')).statusCode).toBe(200)
    expect((await call('10.0.0.3')).statusCode).toBe(429)
    // A session from one of those addresses is someone else.
    expect((await verify(target, bearer(await sign(key, { sub: 'user-1' })))).statusCode).toBe(200)
  })

  it('limits anonymous callers by address: 401 while under the limit, then 429', async () => {
    const target = await app({ RATE_LIMIT_MAX: '2' })
    const anonymous = (remoteAddress: string, headers: Record<string, string> = {}) =>
      identity(target, headers, { remoteAddress })
    expect((await anonymous('192.0.2.10')).statusCode).toBe(401)
    expect((await anonymous('192.0.2.10', bearer('not-a-token'))).statusCode).toBe(401)
    const limited = await anonymous('192.0.2.10', bearer(await sign(hsKey(), { sub: 'forged' })))
    expect(limited.statusCode).toBe(429)
    expect(limited.headers['retry-after']).toBeDefined()
    // Another address, and a valid session from the flooding address, are not affected.
    expect((await anonymous('192.0.2.11')).statusCode).toBe(401)
    const valid = await anonymous('192.0.2.10', bearer(await sign(key, { sub: 'user-1' })))
    expect(valid.statusCode).toBe(200)
  })

  it('never throttles health, readiness, or the API document', async () => {
    const target = await app({ RATE_LIMIT_MAX: '1' })
    for (const url of ['/healthz', '/readyz', '/openapi.yaml'])
      expect(await statuses(3, () => target.inject({ method: 'GET', url }))).toEqual([200, 200, 200])
  })

  it('is off when RATE_LIMIT_MAX is unset: no counting, no rate limit headers', async () => {
    const target = await app({})
    expect(target.hasDecorator('createRateLimit')).toBe(false)
    const token = await sign(key, { sub: 'user-1' })
    const answers = await statuses(50, () => identity(target, bearer(token)))
    expect(answers.every((status) => status === 200)).toBe(true)
    const last = await identity(target, bearer(token))
    expect(Object.keys(last.headers).filter((name) => /ratelimit|retry-after/i.test(name))).toEqual([])
  })
})

describe('TRUST_PROXY and the client address', () => {
  const flood = async (target: FastifyInstance, remoteAddress: string, forwardedFor: string) =>
    (await identity(target, { 'x-forwarded-for': forwardedFor }, { remoteAddress })).statusCode

  it('ignores X-Forwarded-For by default: one peer is one caller, whatever it claims', async () => {
    const target = await app({ RATE_LIMIT_MAX: '2' })
    expect(await flood(target, '203.0.113.5', '198.51.100.1')).toBe(401)
    expect(await flood(target, '203.0.113.5', '198.51.100.2')).toBe(401)
    expect(await flood(target, '203.0.113.5', '198.51.100.3')).toBe(429)
  })

  it('with a hop count, takes the address the trusted proxy saw', async () => {
    const target = await app({ RATE_LIMIT_MAX: '1', TRUST_PROXY: '1' })
    // The proxy appends the client's address; what the client wrote before it does not count.
    expect(await flood(target, '10.0.0.9', 'spoofed, 198.51.100.1')).toBe(401)
    expect(await flood(target, '10.0.0.9', 'other-spoof, 198.51.100.1')).toBe(429)
    expect(await flood(target, '10.0.0.9', '198.51.100.2')).toBe(401)
  })

  it('with CIDRs, honours X-Forwarded-For only from peers inside them', async () => {
    const target = await app({ RATE_LIMIT_MAX: '1', TRUST_PROXY: '10.0.0.0/8, 127.0.0.1' })
    expect(await flood(target, '10.1.2.3', '198.51.100.1')).toBe(401)
    expect(await flood(target, '10.1.2.4', '198.51.100.2')).toBe(401)
    expect(await flood(target, '127.0.0.1', '198.51.100.1')).toBe(429)
    // An untrusted peer is charged by its own address, whatever it forwards.
    expect(await flood(target, '203.0.113.7', '198.51.100.3')).toBe(401)
    expect(await flood(target, '203.0.113.7', '198.51.100.4')).toBe(429)
  })
})
