import pino from 'pino'
import { describe, expect, it } from 'vitest'
import type { z } from 'zod'
import app, { createFastify } from '../src/app.js'
import { loadConfig } from '../src/config.js'
import { IdentityResponse, Problem, VerifyResponse } from '../src/schemas.js'
import { serializerCompiler } from '../src/serializer.js'
import { hsKey } from './helpers/keys.js'

const compile = (schema: z.ZodType) =>
  serializerCompiler({ schema, method: 'GET', url: '/', httpStatus: '200' } as never) as (
    data: unknown,
  ) => string

describe('serializerCompiler', () => {
  it('writes flat answers exactly as JSON.stringify would, in schema order, leaving out undeclared and undefined fields', () => {
    const write = compile(IdentityResponse)
    const answer = { inbox: 'web', identifier: 'ü "quoted" \\ \n 🙂', identifier_hash: 'a'.repeat(64) }
    expect(JSON.parse(write({ ...answer, secret: 'leak', name: undefined }))).toEqual(answer)
    expect(write(answer)).toBe(JSON.stringify(answer))
    expect(compile(VerifyResponse)({ valid: false, extra: 1 })).toBe('{"valid":false}')
  })

  it('whitelists nested shapes too (problems with their unmet list)', () => {
    const write = compile(Problem)
    const body = {
      type: 't',
      title: 'T',
      status: 503,
      detail: 'd',
      code: 'not_ready',
      unmet: ['jwt_keys'],
      stack: 'x',
    }
    const { stack: _stack, ...expected } = body
    expect(JSON.parse(write(body))).toEqual(expected)
  })

  // Built on first use, a serializer whose schema cannot be converted would fail only when its answer
  // is first sent: every route's, for every status, is built here instead.
  it("builds every route's serializer for every status", async () => {
    const config = loadConfig({
      JWT_SECRET: hsKey().secret as string,
      CHATWOOT_INBOX_WEBSITE_SECRET: 'x',
      VERIFY_API_KEYS: 'k'.repeat(32),
    })
    const fastify = createFastify(config, pino({ level: 'silent' }))
    const schemas: [string, z.ZodType][] = []
    fastify.addHook('onRoute', ({ method, url, schema }) => {
      const responses = (schema?.response ?? {}) as Record<string, z.ZodType>
      for (const [status, response] of Object.entries(responses))
        schemas.push([`${String(method)} ${url} ${status}`, response])
    })
    await fastify.register(app, { config })
    await fastify.ready()
    await fastify.close()
    const routes = new Set(schemas.map(([name]) => name.split(' ').slice(0, 2).join(' ')))
    expect(routes).toContain('POST /v1/identity/verify')
    expect(schemas.length).toBeGreaterThan(15)
    for (const [name, schema] of schemas) expect(typeof compile(schema)({}), name).toBe('string')
  })
})
