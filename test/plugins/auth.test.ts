import pino from 'pino'
import { describe, expect, it } from 'vitest'
import app, { createFastify } from '../../src/app.js'
import { loadConfig } from '../../src/config.js'
import { apiKeyMatcher } from '../../src/plugins/auth.js'
import { hsKey, sign } from '../helpers/keys.js'

describe('apiKeyMatcher', () => {
  const keys = ['a'.repeat(32), 'b'.repeat(40)]
  const matches = apiKeyMatcher(keys)

  it('accepts each configured key exactly, naming it by a digest prefix, never the key', () => {
    const a = matches('a'.repeat(32))
    const b = matches('b'.repeat(40))
    expect(a).toMatch(/^[0-9a-f]{16}$/)
    expect(b).toMatch(/^[0-9a-f]{16}$/)
    expect(a).not.toBe(b)
  })

  it('refuses near misses, prefixes, extensions and the empty string', () => {
    for (const candidate of [
      'a'.repeat(31),
      'a'.repeat(33),
      `${'a'.repeat(31)}b`,
      '',
      'A'.repeat(32),
      // The keys are kept padded with NULs: those are no match.
      `${'a'.repeat(32)}\u0000`,
      'a'.repeat(32).padEnd(300, '\u0000'),
    ]) {
      expect(matches(candidate)).toBeUndefined()
    }
  })

  it('refuses a key longer than it can compare', () => {
    expect(() => apiKeyMatcher(['k'.repeat(257)])).toThrow(RangeError)
  })

  it('refuses everything when no key is configured', () => {
    expect(apiKeyMatcher([])('a'.repeat(32))).toBeUndefined()
  })
})

describe('auth hooks on their own', () => {
  it('requireSession puts the verified claims on the request, and nothing else passes', async () => {
    const key = hsKey()
    const config = loadConfig({ JWT_SECRET: key.secret, CHATWOOT_INBOX_A_SECRET: 's', JWT_COOKIE: 'sid' })
    const fastify = createFastify(config, pino({ level: 'silent' }))
    await fastify.register(app, { config })
    fastify.get('/probe', { onRequest: fastify.requireSession }, (request) => ({ sub: request.claims?.sub }))
    await fastify.ready()
    const token = await sign(key, { sub: 'probe-user' })
    expect(
      (await fastify.inject({ url: '/probe', headers: { authorization: `Bearer ${token}` } })).json(),
    ).toEqual({ sub: 'probe-user' })
    expect((await fastify.inject({ url: '/probe', headers: { cookie: `sid=${token}` } })).json()).toEqual({
      sub: 'probe-user',
    })
    expect((await fastify.inject({ url: '/probe' })).statusCode).toBe(401)
    expect((await fastify.inject({ url: '/probe', headers: { cookie: `other=${token}` } })).statusCode).toBe(
      401,
    )
    await fastify.close()
  })
})
