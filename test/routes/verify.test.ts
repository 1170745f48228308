import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { FastifyInstance, LightMyRequestResponse } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildApp } from '../helpers/app.js'
import { hsKey, sign } from '../helpers/keys.js'
import { referenceHash, SPEC_VECTOR } from '../helpers/reference.js'

const key = hsKey()
const SERVICE_KEY = 'svc_0123456789abcdefghijklmnopqrstuv'
let app: FastifyInstance

beforeAll(async () => {
  app = await buildApp({
    JWT_SECRET: key.secret,
    CHATWOOT_INBOX_WEBSITE_SECRET: SPEC_VECTOR.secret,
    CHATWOOT_INBOX_SHOP_SECRET: 'shop-secret',
    VERIFY_API_KEYS: `another_key_0123456789abcdefghijklmn,${SERVICE_KEY}`,
  })
})
afterAll(() => app.close())

const verify = (
  body: unknown,
  headers: Record<string, string> = { authorization: `Bearer ${SERVICE_KEY}` },
) =>
  app.inject({
    method: 'POST',
    url: '/v1/identity/verify',
    headers: { 'content-type': 'application/json', ...headers },
    payload: typeof body === 'string' ? body : JSON.stringify(body),
  })

const vector = { inbox: 'website', identifier: SPEC_VECTOR.identifier, identifier_hash: SPEC_VECTOR.hash }

function expectProblem(response: LightMyRequestResponse, status: number, code: string) {
  expect(response.statusCode, response.body).toBe(status)
  expect(response.headers['content-type']).toMatch(/^application\/problem\+json/)
  expect(response.headers['cache-control']).toBe('no-store')
  expect(response.json()).toMatchObject({ status, code })
  expect(response.body).not.toContain(SERVICE_KEY)
  expect(response.body).not.toContain(SPEC_VECTOR.secret)
}

describe('POST /v1/identity/verify', () => {
  it('confirms the SPEC vector with a service key', async () => {
    const response = await verify(vector)
    expect(response.statusCode).toBe(200)
    expect(response.body).toBe('{"valid":true}')
    expect(response.headers['content-type']).toBe('application/json; charset=utf-8')
    expect(response.headers['cache-control']).toBe('no-store')
  })

  it('accepts a session JWT without an identifier claim as credentials', async () => {
    const token = await sign(key, { scope: 'service' })
    expect((await verify(vector, { authorization: `Bearer ${token}` })).json()).toEqual({ valid: true })
  })

  it('takes a safe integer identifier as its decimal string', async () => {
    const hash = referenceHash('shop-secret', '42')
    expect((await verify({ inbox: 'shop', identifier: 42, identifier_hash: hash })).json()).toEqual({
      valid: true,
    })
    expect((await verify({ inbox: 'shop', identifier: '42', identifier_hash: hash })).json()).toEqual({
      valid: true,
    })
  })

  it.each([
    ['another inbox', { ...vector, inbox: 'shop' }],
    ['another identifier', { ...vector, identifier: `${SPEC_VECTOR.identifier} ` }],
    ['uppercase hex', { ...vector, identifier_hash: SPEC_VECTOR.hash.toUpperCase() }],
    ['a short hash', { ...vector, identifier_hash: 'abc' }],
    ['an empty hash', { ...vector, identifier_hash: '' }],
  ])('answers valid: false for %s, not an error', async (_name, body) => {
    const response = await verify(body)
    expect(response.statusCode).toBe(200)
    expect(response.json()).toEqual({ valid: false })
  })

  it('401 with neither a service key nor a valid token, before the body is looked at', async () => {
    expectProblem(await verify(vector, {}), 401, 'missing_token')
    expectProblem(
      await verify(vector, { authorization: 'Bearer svc_0123456789abcdefghijklmnopqrstuX' }),
      401,
      'token_malformed',
    )
    expectProblem(await verify('{not json', {}), 401, 'missing_token')
    expectProblem(await verify({ inbox: 'nope' }, {}), 401, 'missing_token')
  })

  it('does not take a service key from the cookie', async () => {
    const app2 = await buildApp({
      JWT_SECRET: key.secret,
      CHATWOOT_INBOX_WEBSITE_SECRET: 's',
      JWT_COOKIE: 'session',
      VERIFY_API_KEYS: SERVICE_KEY,
    })
    const response = await app2.inject({
      method: 'POST',
      url: '/v1/identity/verify',
      headers: { 'content-type': 'application/json', cookie: `session=${SERVICE_KEY}` },
      payload: JSON.stringify(vector),
    })
    expect(response.statusCode).toBe(401)
    await app2.close()
  })

  it.each([
    ['not JSON', '{"inbox": ', 'invalid_json'],
    ['an empty body', '', 'invalid_json'],
    ['a missing identifier', { inbox: 'website', identifier_hash: SPEC_VECTOR.hash }, 'invalid_request'],
    ['a missing hash', { inbox: 'website', identifier: 'u' }, 'invalid_request'],
    ['an empty identifier', { ...vector, identifier: '' }, 'invalid_request'],
    ['a float identifier', { ...vector, identifier: 1.5 }, 'invalid_request'],
    ['an unsafe integer identifier', { ...vector, identifier: 2 ** 60 }, 'invalid_request'],
    ['an object identifier', { ...vector, identifier: { id: 1 } }, 'invalid_request'],
    ['a null identifier', { ...vector, identifier: null }, 'invalid_request'],
    ['a numeric hash', { ...vector, identifier_hash: 123 }, 'invalid_request'],
    ['a malformed inbox', { ...vector, inbox: 'web site' }, 'invalid_inbox'],
    ['a numeric inbox', { ...vector, inbox: 7 }, 'invalid_inbox'],
    [
      'no inbox while several are configured',
      { identifier: 'u', identifier_hash: SPEC_VECTOR.hash },
      'inbox_required',
    ],
    ['a JSON array', [vector], 'invalid_request'],
    ['JSON null', 'null', 'invalid_request'],
    [
      'a prototype-poisoning body',
      '{"__proto__": {"x": 1}, "identifier": "u", "identifier_hash": "x"}',
      'invalid_json',
    ],
  ])('400 for %s', async (_name, body, code) => {
    expectProblem(await verify(body), 400, code)
  })

  it('404 for an unknown inbox', async () => {
    expectProblem(await verify({ ...vector, inbox: 'nope' }), 404, 'inbox_not_found')
  })

  it('400 for a body that is not application/json', async () => {
    for (const type of [
      'text/plain',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
    ]) {
      expectProblem(
        await verify(JSON.stringify(vector), {
          authorization: `Bearer ${SERVICE_KEY}`,
          'content-type': type,
        }),
        400,
        'unsupported_media_type',
      )
    }
  })

  it('413 for a body over the limit', async () => {
    expectProblem(await verify({ ...vector, identifier: 'x'.repeat(20_000) }), 413, 'body_too_large')
  })
})

describe('a pair checked again', () => {
  it('is decided with the secret in force now, for each service key and for sessions', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'ci-verify-')), 'secrets.json')
    const write = (secret: string) =>
      writeFileSync(file, JSON.stringify({ inboxes: { website: { secret } } }))
    write('first-secret')
    const target = await buildApp({
      JWT_SECRET: key.secret,
      SECRETS_FILE: file,
      VERIFY_API_KEYS: `${SERVICE_KEY},svc_second_key_0123456789abcdefghij`,
    })
    try {
      const session = `Bearer ${await sign(key, { sub: 'caller' })}`
      const callers = [`Bearer ${SERVICE_KEY}`, 'Bearer svc_second_key_0123456789abcdefghij', session]
      const check = async (authorization: string, identifier: string, secret: string) => {
        const response = await target.inject({
          method: 'POST',
          url: '/v1/identity/verify',
          headers: { 'content-type': 'application/json', authorization },
          payload: { identifier, identifier_hash: referenceHash(secret, identifier) },
        })
        expect(response.statusCode, response.body).toBe(200)
        return response.json().valid
      }
      for (let round = 0; round < 2; round++) {
        for (const caller of callers) {
          expect(await check(caller, 'user-1', 'first-secret')).toBe(true)
          expect(await check(caller, 'user-1', 'other-secret')).toBe(false)
        }
      }
      write('second-secret')
      expect(target.reloadSecrets('test')).toBe('ok')
      for (const caller of callers) {
        expect(await check(caller, 'user-1', 'first-secret')).toBe(false)
        expect(await check(caller, 'user-1', 'second-secret')).toBe(true)
      }
    } finally {
      await target.close()
    }
  })
})
