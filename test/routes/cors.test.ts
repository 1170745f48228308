import type { FastifyInstance, LightMyRequestResponse } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildApp } from '../helpers/app.js'
import { hsKey, sign } from '../helpers/keys.js'
import { referenceHash } from '../helpers/reference.js'

const key = hsKey()
const SECRET = 'website-inbox-secret'
const APP = 'https://app.example.com'
const LOCAL = 'http://localhost:3000'

let withCors: FastifyInstance
let withoutCors: FastifyInstance

beforeAll(async () => {
  const env = { JWT_SECRET: key.secret, CHATWOOT_INBOX_WEBSITE_SECRET: SECRET, JWT_COOKIE: 'session' }
  withCors = await buildApp({ ...env, CORS_ORIGINS: `${APP}, ${LOCAL}` })
  withoutCors = await buildApp(env)
})
afterAll(async () => {
  await withCors.close()
  await withoutCors.close()
})

const preflight = (app: FastifyInstance, origin: string, url = '/v1/identity?inbox=website') =>
  app.inject({
    method: 'OPTIONS',
    url,
    headers: {
      origin,
      'access-control-request-method': 'GET',
      'access-control-request-headers': 'authorization',
    },
  })

function expectNoCors(response: LightMyRequestResponse) {
  expect(response.headers['access-control-allow-origin']).toBeUndefined()
  expect(response.headers['access-control-allow-credentials']).toBeUndefined()
  expect(response.headers['access-control-allow-methods']).toBeUndefined()
}

const varyOf = (response: LightMyRequestResponse) =>
  String(response.headers.vary ?? '')
    .split(',')
    .map((value) => value.trim().toLowerCase())

describe('CORS with CORS_ORIGINS set', () => {
  it('answers a preflight from an allowed origin without credentials, before authentication', async () => {
    for (const origin of [APP, LOCAL]) {
      const response = await preflight(withCors, origin)
      expect(response.statusCode).toBe(204)
      expect(response.headers['access-control-allow-origin']).toBe(origin)
      expect(response.headers['access-control-allow-credentials']).toBe('true')
      expect(String(response.headers['access-control-allow-methods'])).toContain('GET')
      expect(String(response.headers['access-control-allow-headers']).toLowerCase()).toContain(
        'authorization',
      )
      expect(response.headers['access-control-max-age']).toBe('600')
      expect(response.headers['cache-control']).toBe('no-store')
      expect(response.headers['www-authenticate']).toBeUndefined()
      expect(varyOf(response)).toContain('origin')
    }
  })

  it('echoes only the exact allowed origin on the answer, with credentials, whatever the status', async () => {
    const token = await sign(key, { sub: 'user-42' })
    const ok = await withCors.inject({
      method: 'GET',
      url: '/v1/identity',
      headers: { origin: APP, cookie: `session=${token}` },
    })
    expect(ok.statusCode).toBe(200)
    expect(ok.json().identifier_hash).toBe(referenceHash(SECRET, 'user-42'))
    expect(ok.headers['access-control-allow-origin']).toBe(APP)
    expect(ok.headers['access-control-allow-credentials']).toBe('true')
    expect(String(ok.headers['access-control-expose-headers']).toLowerCase()).toContain('retry-after')
    expect(varyOf(ok)).toContain('origin')

    // The page must be able to read a 401 as "no session" rather than as a network failure.
    const anonymous = await withCors.inject({ method: 'GET', url: '/v1/identity', headers: { origin: APP } })
    expect(anonymous.statusCode).toBe(401)
    expect(anonymous.headers['access-control-allow-origin']).toBe(APP)

    const verify = await withCors.inject({
      method: 'POST',
      url: '/v1/identity/verify',
      headers: { origin: LOCAL, authorization: `Bearer ${token}` },
      payload: { identifier: 'user-42', identifier_hash: referenceHash(SECRET, 'user-42') },
    })
    expect(verify.json()).toEqual({ valid: true })
    expect(verify.headers['access-control-allow-origin']).toBe(LOCAL)
  })

  it.each([
    ['another site', 'https://evil.example'],
    ['an allowed origin as a prefix', `${APP}.evil.example`],
    ['another scheme', 'http://app.example.com'],
    ['another port', 'https://app.example.com:8443'],
    ['another case', 'https://APP.example.com'],
    ['the opaque origin', 'null'],
  ])('gives %s no CORS header at all, never an echo', async (_name, origin) => {
    const token = await sign(key, { sub: 'user-42' })
    const response = await withCors.inject({
      method: 'GET',
      url: '/v1/identity',
      headers: { origin, cookie: `session=${token}` },
    })
    expectNoCors(response)
    expect(JSON.stringify(response.headers)).not.toContain(origin)
    expect(varyOf(response)).toContain('origin')
    const refused = await preflight(withCors, origin)
    expectNoCors(refused)
    expect(refused.statusCode).toBe(404)
  })

  it('keeps CORS to the identity endpoints', async () => {
    expectNoCors(await preflight(withCors, APP, '/healthz'))
    expectNoCors(await preflight(withCors, APP, '/sdk.js'))
    expectNoCors(await withCors.inject({ method: 'GET', url: '/healthz', headers: { origin: APP } }))
  })
})

describe('CORS with CORS_ORIGINS unset', () => {
  it('sends no CORS header and answers no preflight', async () => {
    const token = await sign(key, { sub: 'user-42' })
    const response = await withoutCors.inject({
      method: 'GET',
      url: '/v1/identity',
      headers: { origin: APP, cookie: `session=${token}` },
    })
    expect(response.statusCode).toBe(200)
    expectNoCors(response)
    const refused = await preflight(withoutCors, APP)
    expectNoCors(refused)
    expect(refused.statusCode).toBe(404)
  })
})

describe('security headers', () => {
  const API = {
    'x-content-type-options': 'nosniff',
    'x-frame-options': 'DENY',
    'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
    'cross-origin-resource-policy': 'same-origin',
  }

  it('are on every answer of the API: success, problem, unknown route, preflight', async () => {
    const token = await sign(key, { sub: 'user-42' })
    const responses = await Promise.all([
      withCors.inject({ method: 'GET', url: '/v1/identity', headers: { authorization: `Bearer ${token}` } }),
      withCors.inject({ method: 'GET', url: '/v1/identity' }),
      withCors.inject({ method: 'GET', url: '/nope' }),
      withCors.inject({ method: 'GET', url: '/healthz' }),
      withCors.inject({ method: 'GET', url: '/openapi.yaml' }),
      preflight(withCors, APP),
    ])
    expect(responses.map((response) => response.statusCode)).toEqual([200, 401, 404, 200, 200, 204])
    for (const response of responses) expect(response.headers).toMatchObject(API)
  })
})
