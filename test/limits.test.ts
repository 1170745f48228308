import type { Socket } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildApp } from './helpers/app.js'
import { closed, expectProblem, httpRequest, openSocket, parseResponse, rawRequest } from './helpers/http.js'
import { hsKey } from './helpers/keys.js'
import { referenceHash } from './helpers/reference.js'
import { INBOX_SECRET, startTarget, type Target } from './helpers/targets.js'
import { GENERATED_REQUEST_ID } from '../src/request-id.js'

// Request limits over real sockets: body, header and URL size, slow clients, a connection flood.
// What README.md promises: bodies and headers at most 16 KiB, headers and requests within 10 s.

const KiB = 1024

describe('the server options the limits rely on', () => {
  it('sets the documented sizes and timeouts on the HTTP server', async () => {
    const app = await buildApp({ JWT_SECRET: hsKey().secret as string, CHATWOOT_INBOX_WEBSITE_SECRET: 'x' })
    try {
      const server = app.server as typeof app.server & {
        connectionsCheckingInterval: number
        maxHeaderSize: number
      }
      expect(server.maxHeaderSize).toBe(16 * KiB)
      expect(server.headersTimeout).toBe(10_000)
      expect(server.requestTimeout).toBe(10_000)
      expect(server.keepAliveTimeout).toBe(65_000)
      // Node enforces the two timeouts only when it checks: every second, not its default 30 s.
      expect(server.connectionsCheckingInterval).toBe(1000)
      expect(app.initialConfig.bodyLimit).toBe(16 * KiB)
    } finally {
      await app.close()
    }
  })
})

describe('limits of the built server over real sockets', () => {
  let t: Target
  let token: string
  beforeAll(async () => {
    t = await startTarget('HS256')
    token = t.token()
  })
  afterAll(() => t?.stop())

  const auth = (): [string, string] => ['Authorization', `Bearer ${token}`]
  const json: [string, string] = ['Content-Type', 'application/json']
  const verifyBody = (padTo?: number) => {
    const body = { identifier: 'user-1', identifier_hash: referenceHash(INBOX_SECRET, 'user-1'), pad: '' }
    if (padTo) body.pad = 'x'.repeat(padTo - JSON.stringify(body).length)
    return JSON.stringify(body)
  }

  it('takes a body of exactly 16 KiB, and refuses one byte more with 413', async () => {
    const exact = verifyBody(16 * KiB)
    expect(Buffer.byteLength(exact)).toBe(16 * KiB)
    const ok = await rawRequest(t.url, httpRequest('POST', '/v1/identity/verify', [auth(), json], exact))
    expect(ok.status, ok.body).toBe(200)
    expect(JSON.parse(ok.body)).toEqual({ valid: true })

    const over = verifyBody(16 * KiB + 1)
    const refused = await rawRequest(t.url, httpRequest('POST', '/v1/identity/verify', [auth(), json], over))
    expectProblem(refused, 413, 'body_too_large')
  })

  it('refuses a declared 1 MB body at once, before reading it, and a chunked one once past the limit', async () => {
    const declared = Buffer.from(
      `POST /v1/identity/verify HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\n` +
        'Content-Type: application/json\r\nContent-Length: 1048576\r\nConnection: close\r\n\r\n{"identifier":',
    )
    const early = await rawRequest(t.url, declared, 2000)
    expectProblem(early, 413, 'body_too_large')

    const chunk = 'x'.repeat(4 * KiB)
    const chunks = Array.from({ length: 5 }, () => `${chunk.length.toString(16)}\r\n${chunk}\r\n`).join('')
    const chunked = Buffer.from(
      `POST /v1/identity/verify HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\n` +
        `Content-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n${chunks}0\r\n\r\n`,
    )
    expectProblem(await rawRequest(t.url, chunked), 413, 'body_too_large')
  })

  it('answers an anonymous oversized body with 401: authentication comes before the body', async () => {
    const response = await rawRequest(
      t.url,
      httpRequest('POST', '/v1/identity/verify', [json], verifyBody(64 * KiB)),
    )
    expectProblem(response, 401, 'missing_token')
  })

  it('takes headers just under 16 KiB, and refuses 17 KiB with 431 before any route', async () => {
    const filler = (size: number): [string, string][] =>
      Array.from({ length: size / KiB }, (_, i) => [`X-Filler-${i}`, 'f'.repeat(KiB - 20)])
    const ok = await rawRequest(t.url, httpRequest('GET', '/v1/identity', [auth(), ...filler(15 * KiB)]))
    expect(ok.status, ok.body).toBe(200)
    const refused = await rawRequest(t.url, httpRequest('GET', '/v1/identity', [auth(), ...filler(17 * KiB)]))
    expectProblem(refused, 431, 'headers_too_large')
    // Answered before Fastify sees the request, with an id of the same form as every other answer's.
    expect(refused.headers['x-request-id']).toMatch(GENERATED_REQUEST_ID)
    expect(refused.headers['cache-control']).toBe('no-store')
  })

  it('takes an 8 KiB URL (a cache buster is ignored), and refuses a 17 KiB one with 431', async () => {
    const ok = await rawRequest(
      t.url,
      httpRequest('GET', `/v1/identity?inbox=website&cb=${'1'.repeat(8 * KiB)}`, [auth()]),
    )
    expect(ok.status, ok.body).toBe(200)
    const refused = await rawRequest(t.url, httpRequest('GET', `/v1/identity?cb=${'1'.repeat(17 * KiB)}`))
    expectProblem(refused, 431, 'headers_too_large')
  })

  it('answers as problems, with a request id, what Node would answer bare: no Host, an unknown Expect', async () => {
    const noHost = await rawRequest(t.url, 'GET /healthz HTTP/1.1\r\nConnection: close\r\n\r\n')
    expectProblem(noHost, 400, 'invalid_request')
    // HTTP/1.0 has no Host requirement.
    expect((await rawRequest(t.url, 'GET /healthz HTTP/1.0\r\n\r\n')).status).toBe(200)
    // RFC 9110 §10.1.1 lets a server ignore an expectation it does not know (Node answered a bare 417).
    const expectation = await rawRequest(
      t.url,
      httpRequest('GET', '/v1/identity', [auth(), ['Expect', 'x-unknown']]),
    )
    expect(expectation.status, expectation.raw).toBe(200)
    expect(expectation.headers['x-request-id']).toBeTruthy()
    // CONNECT asks for a tunnel this service does not offer: the connection is closed, nothing else.
    const connect = await rawRequest(t.url, 'CONNECT 127.0.0.1:22 HTTP/1.1\r\nHost: 127.0.0.1:22\r\n\r\n')
    expect(connect.status).toBe(0)
    expect((await fetch(`${t.url}/healthz`)).status).toBe(200)
  })

  it('cuts off slow clients after the 10 s timeouts with 408, and serves others meanwhile', async () => {
    const started = Date.now()
    const timed = (socket: Socket) => closed(socket).then((raw) => ({ raw, ms: Date.now() - started }))

    // Headers sent byte by byte, one every 300 ms: they would take about 40 s.
    const slowHeaders = await openSocket(t.url)
    const text = `GET /v1/identity HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token.slice(0, 120)}`
    let at = 0
    const drip = setInterval(() => {
      if (!slowHeaders.destroyed) slowHeaders.write(text[at++ % text.length] as string)
    }, 300)
    const slowHeadersDone = timed(slowHeaders)

    // A connection that never sends a byte.
    const silent = await openSocket(t.url)
    const silentDone = timed(silent)

    // Headers complete, then the body trickles.
    const slowBody = await openSocket(t.url)
    slowBody.write(
      `POST /v1/identity/verify HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\n` +
        'Content-Type: application/json\r\nContent-Length: 2000\r\n\r\n{',
    )
    const trickle = setInterval(() => {
      if (!slowBody.destroyed) slowBody.write(' ')
    }, 300)
    const slowBodyDone = timed(slowBody)

    try {
      // The slow ones hold no one else up.
      const health = await fetch(`${t.url}/healthz`, { signal: AbortSignal.timeout(2000) })
      expect(health.status).toBe(200)

      const [headers, quiet, body] = await Promise.all([slowHeadersDone, silentDone, slowBodyDone])
      for (const { raw, ms } of [headers, quiet, body]) {
        expect(ms).toBeLessThan(12_500)
        expectProblem(parseResponse(raw), 408, 'request_timeout')
      }
    } finally {
      clearInterval(drip)
      clearInterval(trickle)
      for (const socket of [slowHeaders, silent, slowBody]) socket.destroy()
    }
  }, 20_000)

  it('stays healthy through a flood of 500 concurrent connections from one address', async () => {
    const sockets: Socket[] = []
    try {
      for (let batch = 0; batch < 5; batch++)
        sockets.push(...(await Promise.all(Array.from({ length: 100 }, () => openSocket(t.url)))))
      // Held open and idle: others are still served.
      const health = await fetch(`${t.url}/healthz`, { signal: AbortSignal.timeout(2000) })
      expect(health.status).toBe(200)

      // Then every one of them sends a forged token at once: each is answered, none with a 5xx.
      const forged = `${token.slice(0, token.lastIndexOf('.'))}.${'A'.repeat(43)}`
      const answers = await Promise.all(
        sockets.map((socket) => {
          const done = closed(socket)
          socket.end(httpRequest('GET', '/v1/identity', [['Authorization', `Bearer ${forged}`]]))
          return done.then((raw) => parseResponse(raw))
        }),
      )
      const statuses = new Map<number, number>()
      for (const answer of answers) statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1)
      expect(Object.fromEntries(statuses)).toEqual({ 401: 500 })
      expect(JSON.parse(answers[0]?.body ?? '{}').code).toBe('invalid_signature')
    } finally {
      for (const socket of sockets) socket.destroy()
    }
    expect((await fetch(`${t.url}/healthz`)).status).toBe(200)
    expect((await fetch(`${t.url}/readyz`)).status).toBe(200)
    expect(
      (await fetch(`${t.url}/v1/identity`, { headers: { authorization: `Bearer ${token}` } })).status,
    ).toBe(200)
    expect(t.server.child.exitCode).toBeNull()
  })
})
