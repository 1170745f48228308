import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { Script } from 'node:vm'
import type { FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { etagMatches } from '../../src/sdk-asset.js'
import { buildApp } from '../helpers/app.js'

const source = readFileSync(new URL('../../src/sdk/sdk.js', import.meta.url))
const version = createHash('sha256').update(source).digest('hex').slice(0, 16)
const etag = `"${version}"`

let app: FastifyInstance
beforeAll(async () => {
  app = await buildApp({
    JWT_SECRET: 'x'.repeat(32),
    CHATWOOT_INBOX_WEBSITE_SECRET: 's',
    CORS_ORIGINS: 'https://app.example.com',
  })
})
afterAll(() => app.close())

const get = (url: string, headers: Record<string, string> = {}) => app.inject({ method: 'GET', url, headers })

describe('GET /sdk.js', () => {
  it('serves the script as is: JavaScript, a few KB, dependency-free', async () => {
    const response = await get('/sdk.js')
    expect(response.statusCode).toBe(200)
    expect(response.headers['content-type']).toBe('text/javascript; charset=utf-8')
    expect(response.rawPayload.equals(source)).toBe(true)
    expect(response.rawPayload.length).toBeLessThan(8 * 1024)
    // A classic script: it compiles as one, so it has no import and needs no bundler.
    expect(() => new Script(response.body)).not.toThrow()
    expect(response.body).not.toMatch(/\brequire\(|^\s*import\s/m)
  })

  it('is embeddable by any site, with the other security headers kept', async () => {
    const response = await get('/sdk.js')
    expect(response.headers['cross-origin-resource-policy']).toBe('cross-origin')
    expect(response.headers['x-content-type-options']).toBe('nosniff')
    expect(response.headers['x-request-id']).toBeTruthy()
  })

  it('is cached briefly at its bare URL and for a year, immutable, at its versioned one', async () => {
    const bare = await get('/sdk.js')
    expect(bare.headers.etag).toBe(etag)
    expect(bare.headers['cache-control']).toBe('public, max-age=300')
    const versioned = await get(`/sdk.js?v=${version}`)
    expect(versioned.headers.etag).toBe(etag)
    expect(versioned.headers['cache-control']).toBe('public, max-age=31536000, immutable')
    expect(versioned.rawPayload.equals(source)).toBe(true)
    // An old version's URL gets today's script, but never for a year.
    const stale = await get('/sdk.js?v=0123456789abcdef')
    expect(stale.statusCode).toBe(200)
    expect(stale.headers['cache-control']).toBe('public, max-age=300')
  })

  it('answers 304 with no body when If-None-Match holds the ETag', async () => {
    for (const ifNoneMatch of [etag, `W/${etag}`, `"other", ${etag}`, '*']) {
      const response = await get(`/sdk.js?v=${version}`, { 'if-none-match': ifNoneMatch })
      expect(response.statusCode, ifNoneMatch).toBe(304)
      expect(response.body).toBe('')
      expect(response.headers.etag).toBe(etag)
      expect(response.headers['cache-control']).toBe('public, max-age=31536000, immutable')
    }
    const changed = await get('/sdk.js', { 'if-none-match': '"0123456789abcdef"' })
    expect(changed.statusCode).toBe(200)
    expect(changed.rawPayload.equals(source)).toBe(true)
  })

  it('answers HEAD with the headers and no body, and a bad version with a 400 problem', async () => {
    const head = await app.inject({ method: 'HEAD', url: '/sdk.js' })
    expect(head.statusCode).toBe(200)
    expect(head.headers.etag).toBe(etag)
    expect(head.body).toBe('')
    const bad = await get(`/sdk.js?v=${'a'.repeat(65)}`)
    expect(bad.statusCode).toBe(400)
    expect(bad.headers['content-type']).toMatch(/^application\/problem\+json/)
  })
})

describe('etagMatches', () => {
  it.each([
    [undefined, false],
    ['', false],
    ['*', true],
    [' * ', true],
    ['"abc"', true],
    ['W/"abc"', true],
    ['"x", "abc"', true],
    ['"x","y"', false],
    ['abc', false],
  ])('%s -> %s', (header, expected) => {
    expect(etagMatches(header, '"abc"')).toBe(expected)
  })
})
