import { once } from 'node:events'
import { Agent, createServer, request as httpRequest, type RequestListener, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import fc from 'fast-check'
import type { FastifyInstance } from 'fastify'
import pino from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import app, { createFastify } from '../../src/app.js'
import { type Env, loadConfig } from '../../src/config.js'
import { type FastPath, VERIFY_ROUTE, verifyFastPath } from '../../src/routes/verify-fast-path.js'
import { buildApp } from '../helpers/app.js'
import { hsKey, sign } from '../helpers/keys.js'
import { httpRequest as rawHttpRequest, openSocket, rawRequest } from '../helpers/http.js'
import { startServer } from '../helpers/process.js'
import { referenceHash, SPEC_VECTOR } from '../helpers/reference.js'

const key = hsKey()
const SERVICE_KEY = 'svc_0123456789abcdefghijklmnopqrstuv'
const ENV: Env = {
  JWT_SECRET: key.secret,
  CHATWOOT_INBOX_WEBSITE_SECRET: SPEC_VECTOR.secret,
  CHATWOOT_INBOX_SHOP_SECRET: 'shop-secret',
  VERIFY_API_KEYS: `another_key_0123456789abcdefghijklmn,${SERVICE_KEY}`,
}
const vector = { inbox: 'website', identifier: SPEC_VECTOR.identifier, identifier_hash: SPEC_VECTOR.hash }
const JSON_HEADERS = { 'content-type': 'application/json', authorization: `Bearer ${SERVICE_KEY}` }

interface Answer {
  status: number
  headers: Record<string, unknown>
  body: string
}

const agent = new Agent({ keepAlive: true })
afterAll(() => agent.destroy())

/** One request over loopback; a string body goes with its Content-Length, an array of chunks chunked. */
function send(
  url: string,
  { method = 'POST', path = VERIFY_ROUTE, headers = {}, body = '' as string | Buffer | string[] } = {},
): Promise<Answer> {
  const framed: Record<string, string | number> = { ...headers }
  if (!Array.isArray(body)) framed['content-length'] = Buffer.byteLength(body)
  return new Promise((resolve, reject) => {
    const request = httpRequest(`${url}${path}`, { method, headers: framed, agent }, (response) => {
      let text = ''
      response.setEncoding('utf8')
      response.on('data', (chunk: string) => {
        text += chunk
      })
      response.on('end', () =>
        resolve({ status: response.statusCode ?? 0, headers: response.headers, body: text }),
      )
    })
    request.on('error', reject)
    if (Array.isArray(body)) for (const chunk of body) request.write(chunk)
    request.end(Array.isArray(body) ? undefined : body)
  })
}

const listen = async (server: Server) => {
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
}

describe('verifyFastPath on its own: the requests it takes', () => {
  const STUB = '{"stub":true}'
  let fastify: FastifyInstance
  let server: Server
  let url: string

  beforeAll(async () => {
    fastify = await buildApp(ENV)
    const path = verifyFastPath(fastify, { config: loadConfig(ENV), answer: () => STUB }) as FastPath
    // What it leaves alone must reach the fallback whole: its body still unread.
    const listener: RequestListener = (request, response) => {
      if (path(request, response)) return
      let length = 0
      request.on('data', (chunk: Buffer) => {
        length += chunk.length
      })
      request.on('end', () => response.writeHead(599).end(`fallback read ${length}`))
    }
    // Node's options as the service's server has them (app.ts); other expectations reach it too.
    server = createServer({ joinDuplicateHeaders: true, requireHostHeader: false }, listener)
    server.on('checkExpectation', listener)
    url = await listen(server)
  })
  afterAll(async () => {
    server.close()
    await fastify.close()
  })

  const body = JSON.stringify(vector)
  const fallback = `fallback read ${Buffer.byteLength(body)}`

  it.each([
    ['application/json', {}],
    ['its charset', { 'content-type': 'application/json; charset=utf-8' }],
    ['another case', { 'content-type': 'Application/JSON; Charset=UTF-8' }],
    ['the other service key', { authorization: 'Bearer another_key_0123456789abcdefghijklmn' }],
  ])('takes a JSON POST with a service key: %s', async (_name, headers) => {
    const answer = await send(url, {
      headers: { ...JSON_HEADERS, ...headers, 'x-request-id': 'taken-1' },
      body,
    })
    expect(answer.status, answer.body).toBe(200)
    expect(answer.body).toBe(STUB)
    expect(answer.headers['x-request-id']).toBe('taken-1')
    expect(answer.headers['cache-control']).toBe('no-store')
    expect(answer.headers['x-content-type-options']).toBe('nosniff')
  })

  it('answers a taken request whose body fails as the route does, from the body on', async () => {
    const answer = await send(url, { headers: JSON_HEADERS, body: '{"identifier":' })
    expect(answer.status).toBe(400)
    expect(answer.headers['content-type']).toBe('application/problem+json; charset=utf-8')
    expect(JSON.parse(answer.body)).toMatchObject({ code: 'invalid_json' })
  })

  it.each([
    ['a session JWT', async () => ({ authorization: `Bearer ${await sign(key, { sub: 'u' })}` })],
    ['an unknown key', async () => ({ authorization: 'Bearer svc_0123456789abcdefghijklmnopqrstuX' })],
    ['a key with Basic', async () => ({ authorization: `Basic ${SERVICE_KEY}` })],
    ['no Authorization', async () => ({ authorization: '' })],
    ['text/plain', async () => ({ 'content-type': 'text/plain' })],
    ['another charset', async () => ({ 'content-type': 'application/json; charset=latin1' })],
    ['an Origin (CORS)', async () => ({ origin: 'https://shop.example' })],
  ])('leaves %s to Fastify, body unread', async (_name, extra) => {
    const headers: Record<string, string> = { ...JSON_HEADERS, ...(await extra()) }
    if (headers.authorization === '') delete headers.authorization
    const answer = await send(url, { headers, body })
    expect(answer.status).toBe(599)
    expect(answer.body).toBe(fallback)
  })

  it('leaves other paths, methods, chunked, empty and oversized bodies, and expectations to Fastify', async () => {
    for (const path of [`${VERIFY_ROUTE}?x=1`, `${VERIFY_ROUTE}/`, '/v1/identity']) {
      expect((await send(url, { path, headers: JSON_HEADERS, body })).body).toBe(fallback)
    }
    expect((await send(url, { method: 'PUT', headers: JSON_HEADERS, body })).body).toBe(fallback)
    expect((await send(url, { headers: JSON_HEADERS, body: [body.slice(0, 9), body.slice(9)] })).body).toBe(
      fallback,
    )
    expect((await send(url, { headers: JSON_HEADERS, body: '' })).body).toBe('fallback read 0')
    const large = JSON.stringify({ ...vector, identifier: 'x'.repeat(20_000) })
    expect((await send(url, { headers: JSON_HEADERS, body: large })).body).toBe(
      `fallback read ${large.length}`,
    )
    const expecting = await send(url, { headers: { ...JSON_HEADERS, expect: 'x-custom' }, body })
    expect(expecting.body).toBe(fallback)
  })

  it('leaves a doubled Authorization and a request without Host to Fastify', async () => {
    const headers: [string, string][] = [
      ['Content-Type', 'application/json'],
      ['Authorization', `Bearer ${SERVICE_KEY}`],
    ]
    const doubled = await rawRequest(
      url,
      rawHttpRequest('POST', VERIFY_ROUTE, [...headers, ['Authorization', `Bearer ${SERVICE_KEY}`]], body),
    )
    expect(doubled.body).toBe(fallback)
    const framed = `Content-Type: application/json\r\nAuthorization: Bearer ${SERVICE_KEY}\r\nContent-Length: ${body.length}`
    for (const version of ['1.0', '1.1']) {
      const hostless = await rawRequest(
        url,
        `POST ${VERIFY_ROUTE} HTTP/${version}\r\n${framed}\r\n\r\n${body}`,
      )
      expect(hostless.body).toBe(fallback)
    }
  })

  it('leaves everything to Fastify once draining (Fastify then closes keep-alive connections)', async () => {
    const draining = await buildApp(ENV)
    const path = verifyFastPath(draining, { config: loadConfig(ENV), answer: () => STUB }) as FastPath
    const other = createServer((request, response) => {
      if (!path(request, response)) response.writeHead(599).end()
    })
    const otherUrl = await listen(other)
    try {
      expect((await send(otherUrl, { headers: JSON_HEADERS, body })).status).toBe(200)
      draining.readiness.startShutdown()
      expect((await send(otherUrl, { headers: JSON_HEADERS, body })).status).toBe(599)
    } finally {
      other.close()
      await draining.close()
    }
  })

  it('is one per server', () => {
    expect(() => fastify.setFastPath(() => false)).toThrow(/fast path already/)
  })

  it('is not made without service keys, or with a rate limit (charged per caller in a hook)', async () => {
    for (const env of [
      { ...ENV, VERIFY_API_KEYS: undefined },
      { ...ENV, RATE_LIMIT_MAX: '100' },
    ]) {
      expect(verifyFastPath(fastify, { config: loadConfig(env), answer: () => STUB })).toBeUndefined()
    }
  })
})

/** The whole app listening on loopback, counting the requests its fast path takes. */
async function listeningApp(env: Env) {
  const config = loadConfig(env)
  const fastify = createFastify(config, pino({ level: 'silent' }))
  let taken = 0
  const install = fastify.setFastPath
  fastify.setFastPath = (path) =>
    install((request, response) => {
      const took = path(request, response)
      if (took) taken++
      return took
    })
  await fastify.register(app, { config })
  const url = await fastify.listen({ port: 0, host: '127.0.0.1' })
  return { fastify, url, taken: () => taken }
}

// What Node adds on the wire and inject() does not see; a `Connection: close` either way is compared.
const transport = (name: string, value: unknown) =>
  name === 'date' || name === 'keep-alive' || (name === 'connection' && value === 'keep-alive')
const comparable = ({ status, headers, body }: Answer) => ({
  status,
  body,
  headers: Object.fromEntries(Object.entries(headers).filter(([name, value]) => !transport(name, value))),
})

describe.each([
  ['by default', ENV],
  [
    'with CORS, access lines and a trusted proxy',
    { ...ENV, CORS_ORIGINS: 'https://shop.example', LOG_REQUESTS: 'true', TRUST_PROXY: '1' },
  ],
])('the fast path answers exactly as the route, %s', (_name, env) => {
  let target: Awaited<ReturnType<typeof listeningApp>>
  let requestNumber = 0

  beforeAll(async () => {
    target = await listeningApp(env)
  })
  afterAll(() => target.fastify.close())

  /** The same request over loopback and through inject() (Fastify's route): the two answers. */
  async function both(headers: Record<string, string>, body: string | Buffer) {
    const withId = { ...headers, 'x-request-id': `same-${++requestNumber}` }
    const overHttp = await send(target.url, { headers: withId, body })
    const injected = await target.fastify.inject({
      method: 'POST',
      url: VERIFY_ROUTE,
      headers: withId,
      payload: body,
    })
    return [
      comparable(overHttp),
      comparable({ status: injected.statusCode, headers: injected.headers, body: injected.body }),
    ] as const
  }

  it.each([
    ['the SPEC vector', vector],
    ['a wrong hash', { ...vector, identifier_hash: '0'.repeat(64) }],
    ['uppercase hex', { ...vector, identifier_hash: SPEC_VECTOR.hash.toUpperCase() }],
    [
      'a safe integer',
      { inbox: 'shop', identifier: 42, identifier_hash: referenceHash('shop-secret', '42') },
    ],
    ['not JSON', '{"inbox": '],
    ['whitespace', ' '],
    ['an empty identifier', { ...vector, identifier: '' }],
    ['an unsafe integer', { ...vector, identifier: 2 ** 60 }],
    ['a malformed inbox', { ...vector, inbox: 'web site' }],
    ['a numeric inbox', { ...vector, inbox: 7 }],
    ['no inbox of several', { identifier: 'u', identifier_hash: SPEC_VECTOR.hash }],
    ['an unknown inbox', { ...vector, inbox: 'nope' }],
    ['an array', [vector]],
    ['null', 'null'],
    ['prototype poisoning', '{"__proto__": {"x": 1}, "identifier": "u", "identifier_hash": "x"}'],
    [
      'constructor poisoning',
      '{"constructor": {"prototype": {"x": 1}}, "identifier": "u", "identifier_hash": "x"}',
    ],
    ['extra fields', { ...vector, extra: { deep: [1, 2] } }],
    ['non-ASCII', { ...vector, identifier: 'üser-🙂' }],
    ['invalid UTF-8', Buffer.from([0x7b, 0x22, 0xff, 0x22, 0x3a, 0x31, 0x7d])],
  ])('%s', async (_name, body) => {
    const before = target.taken()
    const text = typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body)
    const [overHttp, injected] = await both(JSON_HEADERS, text)
    expect(target.taken()).toBe(before + 1)
    expect(overHttp).toEqual(injected)
  })

  it('for any body, content type and credentials (property)', async () => {
    const token = await sign(key, { sub: 'caller' })
    const field = fc.oneof(
      fc.string({ maxLength: 70 }),
      fc.integer(),
      fc.double(),
      fc.constant(null),
      fc.boolean(),
      fc.constantFrom('website', 'shop', 'nope', SPEC_VECTOR.identifier, SPEC_VECTOR.hash),
      fc.array(fc.string(), { maxLength: 2 }),
    )
    const body = fc.oneof(
      fc
        .record({ inbox: field, identifier: field, identifier_hash: field }, { requiredKeys: [] })
        .map((value) => JSON.stringify(value)),
      fc.json({ maxDepth: 2 }),
      fc.string({ maxLength: 80 }),
    )
    const headers = fc.record({
      'content-type': fc.constantFrom(
        'application/json',
        'application/json; charset=utf-8',
        'APPLICATION/JSON',
        'text/plain',
        'application/json; charset=latin1',
      ),
      authorization: fc.constantFrom(
        `Bearer ${SERVICE_KEY}`,
        'Bearer another_key_0123456789abcdefghijklmn',
        `Bearer ${token}`,
        'Bearer svc_0123456789abcdefghijklmnopqrstuX',
        `Basic ${SERVICE_KEY}`,
      ),
    })
    let taken = 0
    await fc.assert(
      fc.asyncProperty(headers, body, async (h, b) => {
        const before = target.taken()
        const [overHttp, injected] = await both(h, b)
        taken += target.taken() - before
        expect(overHttp).toEqual(injected)
      }),
      { numRuns: 300 },
    )
    // Both ways were exercised.
    expect(taken).toBeGreaterThan(50)
    expect(taken).toBeLessThan(250)
  })

  it('records the same metrics as the route', async () => {
    const metric = async (pattern: RegExp) => {
      const text = (await target.fastify.inject({ url: '/metrics' })).body
      return Number(pattern.exec(text)?.[1] ?? 0)
    }
    const valid = /chatwoot_identity_verifications_total\{result="valid"\} (\d+)/
    const served =
      /_request_duration_seconds_count\{method="POST",route="\/v1\/identity\/verify",status="200"\} (\d+)/
    const rejected = /chatwoot_identity_rejections_total\{code="invalid_json"\} (\d+)/
    const counts = async () => [await metric(valid), await metric(served), await metric(rejected)]
    const start = await counts()
    const before = target.taken()
    await send(target.url, { headers: JSON_HEADERS, body: JSON.stringify(vector) })
    await send(target.url, { headers: JSON_HEADERS, body: '{' })
    expect(target.taken()).toBe(before + 2)
    const afterFast = await counts()
    await both(JSON_HEADERS, JSON.stringify(vector))
    await both(JSON_HEADERS, '{')
    const afterBoth = await counts()
    expect(afterFast.map((n, i) => n - (start[i] as number))).toEqual([1, 1, 1])
    expect(afterBoth.map((n, i) => n - (afterFast[i] as number))).toEqual([2, 2, 2])
  })

  it('counts a client gone mid-body as the route does', async () => {
    const counts = async () => {
      const text = (await target.fastify.inject({ url: '/metrics' })).body
      const value = (pattern: RegExp) => Number(pattern.exec(text)?.[1] ?? 0)
      return [
        value(/chatwoot_identity_rejections_total\{code="invalid_request"\} (\d+)/),
        value(
          /_request_duration_seconds_count\{method="POST",route="\/v1\/identity\/verify",status="400"\} (\d+)/,
        ),
      ]
    }
    const leaveMidBody = async (authorization: string) => {
      const socket = await openSocket(target.url)
      socket.write(
        `POST ${VERIFY_ROUTE} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n` +
          `Authorization: ${authorization}\r\nContent-Length: 100\r\n\r\n{"identifier":`,
      )
      await new Promise((resolve) => setTimeout(resolve, 50))
      socket.destroy()
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
    const before = await counts()
    const taken = target.taken()
    await leaveMidBody(`Bearer ${SERVICE_KEY}`)
    expect(target.taken()).toBe(taken + 1)
    const afterFast = await counts()
    await leaveMidBody(`Bearer ${await sign(key, { sub: 'caller' })}`)
    expect(target.taken()).toBe(taken + 1)
    const afterRoute = await counts()
    // Node's parser reports the cut-short request as well (clientErrorHandler): one more rejection.
    const fast = afterFast.map((n, i) => n - (before[i] as number))
    expect(fast).toEqual([2, 1])
    expect(afterRoute.map((n, i) => n - (afterFast[i] as number))).toEqual(fast)
  })
})

describe('the fast path in the built server', () => {
  it('logs one access line per request and a line per rejection, never the key or the hash', async () => {
    const server = await startServer({ ...ENV, LOG_REQUESTS: 'true' } as Record<string, string>)
    try {
      const ok = await send(server.url, {
        headers: { ...JSON_HEADERS, 'x-request-id': 'fast-ok-1' },
        body: JSON.stringify(vector),
      })
      expect(ok.body).toBe('{"valid":true}')
      await send(server.url, { headers: { ...JSON_HEADERS, 'x-request-id': 'fast-bad-1' }, body: '{"x' })
      // The same through Fastify's route (a session token is not the fast path's).
      const session = `Bearer ${await sign(key, { sub: 'caller' })}`
      await send(server.url, {
        headers: { ...JSON_HEADERS, authorization: session, 'x-request-id': 'route-bad-1' },
        body: '{"x',
      })
      await send(server.url, {
        headers: { ...JSON_HEADERS, 'x-request-id': 'fast-404-1' },
        body: JSON.stringify({ ...vector, inbox: 'nope' }),
      })
    } finally {
      await server.stop()
    }
    const logs: Record<string, unknown>[] = server.lines
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line))
    const lines = (reqId: string) => logs.filter((line) => line.reqId === reqId)
    expect(lines('fast-ok-1')).toEqual([
      expect.objectContaining({ msg: 'request', method: 'POST', route: VERIFY_ROUTE, status: 200 }),
    ])
    expect(lines('fast-bad-1')).toEqual([
      expect.objectContaining({ msg: 'request rejected', code: 'invalid_json', status: 400 }),
      expect.objectContaining({ msg: 'request', route: VERIFY_ROUTE, status: 400 }),
    ])
    expect(lines('fast-404-1')).toEqual([
      expect.objectContaining({ msg: 'request rejected', code: 'inbox_not_found', status: 404 }),
      expect.objectContaining({ msg: 'request', route: VERIFY_ROUTE, status: 404 }),
    ])
    for (const line of lines('fast-ok-1')) expect(line.durationMs).toBeGreaterThan(0)
    const fields = ({ reqId: _id, time: _time, durationMs: _ms, ...rest }: Record<string, unknown>) => rest
    expect(lines('fast-bad-1').map(fields)).toEqual(lines('route-bad-1').map(fields))
    const all = server.lines.join('\n')
    for (const secret of [SERVICE_KEY, SPEC_VECTOR.secret, SPEC_VECTOR.hash])
      expect(all).not.toContain(secret)
  })
})
