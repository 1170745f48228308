import { describe, expect, it } from 'vitest'
import type { z } from 'zod'
import { IdentityResponse, Problem, VerifyResponse } from '../src/schemas.js'
import { serializerCompiler } from '../src/serializer.js'

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
})
