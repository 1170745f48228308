import { readFileSync } from 'node:fs'
import { validate } from '@readme/openapi-parser'
import { describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import { generateOpenApi } from '../src/openapi-document.js'
import { PROBLEMS } from '../src/problems.js'

const committed = readFileSync(new URL('../openapi.yaml', import.meta.url), 'utf8')

describe('openapi.yaml', () => {
  it('is exactly what the code generates (run `npm run openapi` after changing a route or schema)', async () => {
    expect(await generateOpenApi()).toBe(committed)
  })

  it('is a valid OpenAPI 3.1 document', async () => {
    const result = await validate(parse(committed))
    expect(result.valid ? [] : result.errors).toEqual([])
  })

  const document = parse(committed)

  it('documents every route with its statuses, problem codes and headers', () => {
    expect(Object.keys(document.paths).sort()).toEqual([
      '/healthz',
      '/metrics',
      '/openapi.yaml',
      '/readyz',
      '/sdk.js',
      '/v1/identity',
      '/v1/identity/verify',
    ])
    const identity = document.paths['/v1/identity'].get
    expect(Object.keys(identity.responses).sort()).toEqual(['200', '400', '401', '403', '404', '429', '503'])
    const verify = document.paths['/v1/identity/verify'].post
    expect(Object.keys(verify.responses).sort()).toEqual(['200', '400', '401', '404', '413', '429', '503'])
    expect(identity.responses['401'].headers['WWW-Authenticate']).toBeDefined()
    expect(identity.responses['429'].headers['Retry-After']).toBeDefined()
    expect(identity.responses['200'].headers['Cache-Control']).toBeDefined()
    expect(identity.responses['400'].content['application/problem+json'].schema.$ref).toBe(
      '#/components/schemas/Problem',
    )
    for (const path of Object.values(document.paths) as Record<
      string,
      { responses: Record<string, { headers: object }> }
    >[]) {
      for (const operation of Object.values(path)) {
        for (const response of Object.values(operation.responses))
          expect(response.headers).toHaveProperty('X-Request-Id')
      }
    }
    expect(document.components.schemas.Problem.properties.code.enum.sort()).toEqual(
      Object.keys(PROBLEMS).sort(),
    )
    const sdk = document.paths['/sdk.js'].get
    expect(Object.keys(sdk.responses).sort()).toEqual(['200', '304'])
    expect(Object.keys(sdk.responses['200'].content)).toEqual(['text/javascript'])
    expect(sdk.responses['200'].headers.ETag).toBeDefined()
    expect(sdk.responses['200'].headers['Cache-Control'].description).toContain('immutable')
    expect(sdk.responses['304'].headers.ETag).toBeDefined()
    expect(sdk.parameters.map((p: { name: string }) => p.name)).toEqual(['v'])
    const profile = document.components.schemas.IdentityResponse
    for (const field of ['name', 'email', 'avatar_url', 'phone_number']) {
      expect(profile.properties[field].type).toBe('string')
      expect(profile.required).not.toContain(field)
    }
    expect(profile.required.sort()).toEqual(['identifier', 'identifier_hash', 'inbox'])
    expect(Object.keys(document.components.securitySchemes).sort()).toEqual([
      'bearerAuth',
      'serviceKey',
      'sessionCookie',
    ])
  })
})
