import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { FastifyInstance, LightMyRequestResponse } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { GENERATED_REQUEST_ID } from '../../src/request-id.js'
import { buildApp } from '../helpers/app.js'
import { hsKey, rawToken, rsaKey, sign } from '../helpers/keys.js'
import { referenceHash } from '../helpers/reference.js'

const key = hsKey()
const SECRETS = { website: 'website-inbox-secret', mobile_app: 'mobile-inbox-secret' }
const ISSUER = 'https://idp.example'
const AUDIENCE = 'chatwoot-identity'

let app: FastifyInstance
let single: FastifyInstance

beforeAll(async () => {
  app = await buildApp({
    JWT_SECRET: key.secret,
    JWT_ISSUER: ISSUER,
    JWT_AUDIENCE: AUDIENCE,
    JWT_COOKIE: 'session',
    CHATWOOT_INBOX_WEBSITE_SECRET: SECRETS.website,
    CHATWOOT_INBOX_MOBILE_APP_SECRET: SECRETS.mobile_app,
  })
  single = await buildApp({
    JWT_SECRET: key.secret,
    CHATWOOT_INBOX_WEBSITE_SECRET: SECRETS.website,
    IDENTIFIER_CLAIM: 'user.id',
  })
})
afterAll(async () => {
  await app.close()
  await single.close()
})

const good = (claims: Record<string, unknown> = { sub: 'user-42' }, options = {}) =>
  sign(key, claims, { issuer: ISSUER, audience: AUDIENCE, ...options })

const get = (url: string, headers: Record<string, string> = {}, target = app) =>
  target.inject({ method: 'GET', url, headers })

function expectProblem(response: LightMyRequestResponse, status: number, code: string) {
  expect(response.statusCode, response.body).toBe(status)
  expect(response.headers['content-type']).toMatch(/^application\/problem\+json/)
  expect(response.headers['cache-control']).toBe('no-store')
  expect(response.headers['x-request-id']).toBeTruthy()
  const body = response.json()
  expect(body).toMatchObject({ status, code, type: `urn:chatwoot-identity:problem:${code}` })
  expect(typeof body.title).toBe('string')
  expect(typeof body.detail).toBe('string')
  expect(response.body).not.toMatch(/at .*\.js:\d+|stack/)
  return body
}

describe('GET /v1/identity', () => {
  it('answers the identifier from the token and its Chatwoot hash', async () => {
    const response = await get('/v1/identity?inbox=website', { authorization: `Bearer ${await good()}` })
    expect(response.statusCode).toBe(200)
    expect(response.json()).toEqual({
      inbox: 'website',
      identifier: 'user-42',
      identifier_hash: referenceHash(SECRETS.website, 'user-42'),
    })
    expect(response.headers['cache-control']).toBe('no-store')
    expect(response.headers['x-request-id']).toBeTruthy()
    expect(response.headers['content-type']).toMatch(/^application\/json/)
  })

  it('looks the inbox up by canonical name and answers the canonical name', async () => {
    const response = await get('/v1/identity?inbox=Mobile-App', { authorization: `Bearer ${await good()}` })
    expect(response.json()).toMatchObject({
      inbox: 'mobile_app',
      identifier_hash: referenceHash(SECRETS.mobile_app, 'user-42'),
    })
  })

  it('hashes a numeric identifier as its decimal string', async () => {
    const response = await get('/v1/identity?inbox=website', {
      authorization: `Bearer ${await good({ sub: 1234567 })}`,
    })
    expect(response.json()).toMatchObject({
      identifier: '1234567',
      identifier_hash: referenceHash(SECRETS.website, '1234567'),
    })
  })

  it('reads a dotted claim path and takes the only inbox when none is named', async () => {
    const token = await sign(key, { sub: 'ignored', user: { id: 'nested-7' } })
    const response = await get('/v1/identity?cachebuster=123', { authorization: `Bearer ${token}` }, single)
    expect(response.json()).toEqual({
      inbox: 'website',
      identifier: 'nested-7',
      identifier_hash: referenceHash(SECRETS.website, 'nested-7'),
    })
  })

  it('takes the token from the cookie when there is no Authorization header', async () => {
    const response = await get('/v1/identity?inbox=website', { cookie: `other=1; session=${await good()}` })
    expect(response.statusCode).toBe(200)
  })

  it('lets the Authorization header alone count when both are present', async () => {
    const response = await get('/v1/identity?inbox=website', {
      authorization: 'Bearer not.a.token',
      cookie: `session=${await good()}`,
    })
    expectProblem(response, 401, 'token_malformed')
  })

  it('keeps a sane X-Request-Id and replaces an odd one', async () => {
    const kept = await get('/healthz', { 'x-request-id': 'trace-abc_123' })
    expect(kept.headers['x-request-id']).toBe('trace-abc_123')
    const replaced = await get('/healthz', { 'x-request-id': 'bad id\u0007with spaces' })
    expect(replaced.headers['x-request-id']).toMatch(GENERATED_REQUEST_ID)
    // One of the generated form is not taken from a caller: it could stand for another request.
    const ours = replaced.headers['x-request-id'] as string
    const forged = ours.replace(/[0-9a-z]+$/, (n) => (Number.parseInt(n, 36) + 1000).toString(36))
    const answered = (await get('/healthz', { 'x-request-id': forged })).headers['x-request-id']
    expect(answered).toMatch(GENERATED_REQUEST_ID)
    expect(answered).not.toBe(forged)
  })

  describe('401 for every unacceptable token, with WWW-Authenticate', () => {
    const realm = 'Bearer realm="chatwoot-identity"'

    it('no credentials: no error attribute', async () => {
      const body = expectProblem(await get('/v1/identity?inbox=website'), 401, 'missing_token')
      expect(body.detail).toContain('session')
      expect((await get('/v1/identity')).headers['www-authenticate']).toBe(realm)
    })

    const cases: [string, () => Promise<string>, string][] = [
      ['malformed', async () => 'Bearer abc', 'token_malformed'],
      ['another scheme', async () => 'Basic dXNlcjpwYXNz', 'invalid_authorization'],
      ['empty bearer', async () => 'Bearer ', 'invalid_authorization'],
      [
        'bad signature',
        async () => `Bearer ${await sign(hsKey(), { sub: 'u' }, { issuer: ISSUER, audience: AUDIENCE })}`,
        'invalid_signature',
      ],
      ['expired', async () => `Bearer ${await good({ sub: 'u' }, { expiresIn: -3600 })}`, 'token_expired'],
      ['no exp', async () => `Bearer ${await good({ sub: 'u' }, { expiresIn: null })}`, 'claim_missing'],
      [
        'not yet valid',
        async () => `Bearer ${await good({ sub: 'u' }, { notBefore: 3600 })}`,
        'token_not_yet_valid',
      ],
      [
        'issued in the future',
        async () => `Bearer ${await good({ sub: 'u' }, { issuedAt: Math.floor(Date.now() / 1000) + 3600 })}`,
        'token_not_yet_valid',
      ],
      [
        'wrong issuer',
        async () => `Bearer ${await good({ sub: 'u' }, { issuer: 'https://evil.example' })}`,
        'invalid_issuer',
      ],
      [
        'missing issuer',
        async () => `Bearer ${await sign(key, { sub: 'u' }, { audience: AUDIENCE })}`,
        'claim_missing',
      ],
      [
        'wrong audience',
        async () => `Bearer ${await good({ sub: 'u' }, { audience: 'other-app' })}`,
        'invalid_audience',
      ],
      [
        'missing audience',
        async () => `Bearer ${await sign(key, { sub: 'u' }, { issuer: ISSUER })}`,
        'claim_missing',
      ],
      [
        'algorithm not allowed (HS512)',
        async () => `Bearer ${await good({ sub: 'u' }, { alg: 'HS512' })}`,
        'algorithm_not_allowed',
      ],
      [
        'algorithm not allowed (RS256)',
        async () => `Bearer ${await sign(rsaKey(), { sub: 'u' }, { issuer: ISSUER, audience: AUDIENCE })}`,
        'algorithm_not_allowed',
      ],
      [
        'alg none, unsigned',
        async () =>
          `Bearer ${rawToken({ alg: 'none' }, { sub: 'u', exp: 9999999999, iss: ISSUER, aud: AUDIENCE })}`,
        'invalid_signature',
      ],
      [
        'alg none, with a signature',
        async () =>
          `Bearer ${rawToken({ alg: 'none' }, { sub: 'u', exp: 9999999999, iss: ISSUER, aud: AUDIENCE }, 'c2ln')}`,
        'algorithm_not_allowed',
      ],
      ['too large', async () => `Bearer ${'a'.repeat(9000)}.b.c`, 'token_too_large'],
    ]

    it.each(cases)('%s', async (_name, header, code) => {
      const response = await get('/v1/identity?inbox=website', { authorization: await header() })
      expectProblem(response, 401, code)
      expect(response.headers['www-authenticate']).toBe(`${realm}, error="invalid_token"`)
    })

    it('comes before input checks: a bad inbox without credentials is still 401', async () => {
      expectProblem(await get('/v1/identity?inbox=no%20such'), 401, 'missing_token')
      expectProblem(await get('/v1/identity?inbox=unknown'), 401, 'missing_token')
    })

    it('never echoes the token', async () => {
      const token = await good({ sub: 'u' }, { expiresIn: -3600 })
      const response = await get('/v1/identity?inbox=website', { authorization: `Bearer ${token}` })
      expect(response.body).not.toContain(token)
      expect(response.body).not.toContain(token.split('.')[1])
    })
  })

  describe('403 when the valid token carries no usable identifier', () => {
    it.each([
      ['missing', {}, 'identifier_missing'],
      ['null', { sub: null }, 'identifier_missing'],
      ['empty', { sub: '' }, 'identifier_invalid'],
      ['a float', { sub: 1.5 }, 'identifier_invalid'],
      ['an unsafe integer', { sub: 2 ** 60 }, 'identifier_invalid'],
      ['a boolean', { sub: true }, 'identifier_invalid'],
      ['an object', { sub: { id: 1 } }, 'identifier_invalid'],
      ['an array', { sub: ['a'] }, 'identifier_invalid'],
    ])('%s', async (_name, claims, code) => {
      expectProblem(
        await get('/v1/identity?inbox=website', { authorization: `Bearer ${await good(claims)}` }),
        403,
        code,
      )
    })
  })

  describe('400 and 404 on the inbox', () => {
    it.each([
      ['missing while several are configured', '/v1/identity', 400, 'inbox_required'],
      ['malformed', '/v1/identity?inbox=web%20site', 400, 'invalid_inbox'],
      ['too long', `/v1/identity?inbox=${'a'.repeat(65)}`, 400, 'invalid_inbox'],
      ['given twice', '/v1/identity?inbox=website&inbox=mobile_app', 400, 'invalid_inbox'],
      ['empty', '/v1/identity?inbox=', 400, 'invalid_inbox'],
      ['unknown', '/v1/identity?inbox=nope', 404, 'inbox_not_found'],
    ])('%s', async (_name, url, status, code) => {
      expectProblem(await get(url, { authorization: `Bearer ${await good()}` }), status, code)
    })
  })
})

describe('a token seen again', () => {
  it('gets the answer for the inbox it names now and the secret in force now', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'ci-answers-')), 'secrets.json')
    const write = (website: string) =>
      writeFileSync(
        file,
        JSON.stringify({ inboxes: { website: { secret: website }, shop: { secret: 'shop-secret' } } }),
      )
    write('first-website-secret')
    const target = await buildApp({ JWT_SECRET: key.secret, SECRETS_FILE: file })
    try {
      // One token string throughout: every answer after the first is for a token already verified.
      const auth = { authorization: `Bearer ${await sign(key, { sub: 'user-7' })}` }
      const hashOf = async (inbox: string) => {
        const response = await get(`/v1/identity?inbox=${inbox}`, auth, target)
        expect(response.statusCode, response.body).toBe(200)
        expect(response.headers['content-type']).toBe('application/json; charset=utf-8')
        return response.json()
      }
      const first = {
        inbox: 'website',
        identifier: 'user-7',
        identifier_hash: referenceHash('first-website-secret', 'user-7'),
      }
      expect(await hashOf('website')).toEqual(first)
      expect(await hashOf('website')).toEqual(first)
      expect(await hashOf('shop')).toMatchObject({ identifier_hash: referenceHash('shop-secret', 'user-7') })
      expect(await hashOf('website')).toEqual(first)

      write('second-website-secret')
      expect(target.reloadSecrets('test')).toBe('ok')
      expect(await hashOf('website')).toMatchObject({
        identifier_hash: referenceHash('second-website-secret', 'user-7'),
      })
      // No inbox named is still a 400 with two inboxes, however often the token was answered before.
      expectProblem(await get('/v1/identity', auth, target), 400, 'inbox_required')
    } finally {
      await target.close()
    }
  })
})

describe('profile fields', () => {
  it('adds the configured claims that are non-empty strings, and nothing else', async () => {
    const profiled = await buildApp({
      JWT_SECRET: key.secret,
      CHATWOOT_INBOX_WEBSITE_SECRET: SECRETS.website,
      NAME_CLAIM: 'name',
      EMAIL_CLAIM: 'contact.email',
      AVATAR_URL_CLAIM: 'picture',
      PHONE_NUMBER_CLAIM: 'phone_number',
    })
    try {
      const token = await sign(key, {
        sub: 'user-42',
        name: 'Ada Lovelace',
        contact: { email: 'ada@example.com' },
        picture: 'https://example.com/ada.png',
        phone_number: 4412345,
      })
      const response = await get('/v1/identity', { authorization: `Bearer ${token}` }, profiled)
      expect(response.statusCode).toBe(200)
      expect(response.json()).toEqual({
        inbox: 'website',
        identifier: 'user-42',
        identifier_hash: referenceHash(SECRETS.website, 'user-42'),
        name: 'Ada Lovelace',
        email: 'ada@example.com',
        avatar_url: 'https://example.com/ada.png',
      })
      const bare = await get(
        '/v1/identity',
        { authorization: `Bearer ${await sign(key, { sub: 'user-7' })}` },
        profiled,
      )
      expect(Object.keys(bare.json()).sort()).toEqual(['identifier', 'identifier_hash', 'inbox'])
    } finally {
      await profiled.close()
    }
  })

  it('includes no profile field unless its claim variable is set', async () => {
    const token = await good({ sub: 'user-42', name: 'Ada', email: 'ada@example.com' })
    const response = await get('/v1/identity?inbox=website', { authorization: `Bearer ${token}` })
    expect(Object.keys(response.json()).sort()).toEqual(['identifier', 'identifier_hash', 'inbox'])
  })
})

describe('operations', () => {
  it('GET /healthz is ok', async () => {
    const response = await get('/healthz')
    expect(response.statusCode).toBe(200)
    expect(response.json()).toEqual({ status: 'ok' })
  })

  it('GET /readyz is ready, and names the unmet condition once shutting down', async () => {
    const fresh = await buildApp({ JWT_SECRET: key.secret, CHATWOOT_INBOX_WEBSITE_SECRET: 's' })
    expect((await get('/readyz', {}, fresh)).json()).toEqual({ status: 'ready' })
    fresh.readiness.startShutdown()
    const body = expectProblem(await get('/readyz', {}, fresh), 503, 'not_ready')
    expect(body.unmet).toEqual(['shutting_down'])
    await fresh.close()
  })

  it('unknown routes are problem+json 404s', async () => {
    expectProblem(await get('/nope'), 404, 'not_found')
    expectProblem(await app.inject({ method: 'DELETE', url: '/v1/identity' }), 404, 'not_found')
  })

  it('GET /openapi.yaml serves the document', async () => {
    const response = await get('/openapi.yaml')
    expect(response.statusCode).toBe(200)
    expect(response.headers['content-type']).toMatch(/^application\/yaml/)
    expect(response.body).toBe(readFileSync(new URL('../../openapi.yaml', import.meta.url), 'utf8'))
  })
})
