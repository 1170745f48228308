import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { PROBLEMS, type ProblemCode } from '../src/problems.js'
import { httpRequest, PROBLEM_TYPE, type RawResponse, rawRequest } from './helpers/http.js'
import { base64url } from './helpers/keys.js'
import { COOKIE, KINDS, SERVICE_KEY, startTarget, type Target } from './helpers/targets.js'

// Generated garbage at every route of the built server, over raw sockets: methods, paths, query
// strings, headers, tokens, content types and bodies. Whatever comes in: an answer, never a 5xx, an
// error is problem+json whose code fits its status, nothing secret or sent as a credential comes
// back, and the process is healthy afterwards. Bounded and reproducible: a fixed seed, printed by
// fast-check on failure (set FUZZ_SEED to explore others).

const SEED = Number(process.env.FUZZ_SEED ?? 20_260_424)
const RUNS_PER_CONFIGURATION = 150

/** Strips what would break the request's framing (CR, LF): everything else goes through as it is. */
const noBreaks = (text: string) => text.replace(/[\r\n]/g, '')
/** For well-formed requests: what HTTP allows in a method, a request target, a header value. */
const asToken = (text: string) => text.replace(/[^!#$%&'*+.^_`|~0-9A-Za-z-]/g, '')
const asTarget = (text: string) =>
  text.replace(/[^\x21-\x7e]/g, (char) => encodeURIComponent(char).replace(/%25/g, '%'))
const asFieldValue = (text: string) =>
  [...text].filter((char) => char === '\t' || (char >= ' ' && char !== '\x7f')).join('')

const ROUTES = [
  '/v1/identity',
  '/v1/identity/verify',
  '/healthz',
  '/readyz',
  '/metrics',
  '/openapi.yaml',
  '/',
  '/v1',
  '/v1/identity/',
  '//v1/identity',
  '/v1/identity/../healthz',
  '/v1/%2e%2e/healthz',
  '/V1/IDENTITY',
  '/v1/identity%00',
  '/v1/identity;jsessionid=1',
  '/v1/%ff%fe',
  '*',
]
const METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD', 'TRACE', 'PROPFIND', 'get']
const CONTENT_TYPES = [
  'application/json',
  'application/json; charset=utf-8',
  'APPLICATION/JSON',
  'application/json;',
  'application/json, text/plain',
  'application/problem+json',
  'text/plain',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  '',
]
/** Headers the generator leaves alone: the request's framing is the test's, not the garbage's. */
const FRAMING = /^(content-length|transfer-encoding|connection|host)$/i

function arbitraries(t: Target) {
  const genuine = t.token()
  // Mostly printable, sometimes any byte: a request is made well-formed (or not) as a whole below.
  const text = fc.oneof(
    { weight: 4, arbitrary: fc.string({ unit: 'grapheme-ascii', maxLength: 200 }) },
    fc.string({ unit: 'binary-ascii', maxLength: 200 }),
  )
  const jsonText = fc.json({ maxDepth: 3 })
  const b64 = (arb: fc.Arbitrary<string>) => arb.map((value) => base64url(value))

  const mutated = fc
    .tuple(fc.nat({ max: genuine.length - 1 }), fc.constantFrom(...'AZaz09-_.=+/ '), fc.nat({ max: 3 }))
    .map(([at, char, how]) =>
      how === 0
        ? `${genuine.slice(0, at)}${char}${genuine.slice(at + 1)}`
        : how === 1
          ? `${genuine.slice(0, at)}${char}${genuine.slice(at)}`
          : how === 2
            ? genuine.slice(0, at)
            : `${genuine.slice(0, at)}${genuine.slice(at + 1)}`,
    )
  const shaped = fc
    .tuple(
      fc.oneof(
        b64(jsonText),
        fc
          .record({ alg: fc.constantFrom('none', 'HS256', 'RS256', 'ES256', 'PS256', 'EdDSA'), kid: text })
          .map((header) => base64url(JSON.stringify(header))),
      ),
      fc.oneof(
        b64(jsonText),
        fc.object().map((claims) => base64url(JSON.stringify(claims))),
      ),
      fc.oneof(fc.constant(''), b64(text), fc.base64String({ maxLength: 400 })),
    )
    .map((segments) => segments.join('.'))
  const token = fc.oneof(
    { weight: 2, arbitrary: fc.constant(genuine) },
    fc.constant(SERVICE_KEY),
    { weight: 3, arbitrary: mutated },
    { weight: 2, arbitrary: shaped },
    fc.base64String({ maxLength: 200 }),
    text,
  )

  const authorization = fc.tuple(
    fc.constant('Authorization'),
    fc.oneof(
      { weight: 3, arbitrary: token.map((value) => `Bearer ${value}`) },
      fc.tuple(fc.constantFrom('Basic', 'bearer', 'Token', 'Bearer  ', ''), token).map((p) => p.join(' ')),
      text,
    ),
  )
  const cookie = fc.tuple(
    fc.constant('Cookie'),
    fc.oneof(
      { weight: 3, arbitrary: token.map((value) => `${COOKIE}=${value}`) },
      fc.tuple(token, token).map(([a, b]) => `${COOKIE}=${a}; ${COOKIE}=${b}`),
      text,
    ),
  )
  /** Most requests carry a credential of some sort: the header, the cookie, or both. */
  const credentials = fc.oneof(
    fc.constant([]),
    { weight: 4, arbitrary: fc.tuple(authorization) },
    { weight: 2, arbitrary: fc.tuple(cookie) },
    fc.tuple(authorization, cookie),
  )
  const header: fc.Arbitrary<[string, string]> = fc.oneof(
    authorization,
    cookie,
    fc.tuple(fc.constant('Content-Type'), fc.oneof(fc.constantFrom(...CONTENT_TYPES), text)),
    fc.tuple(fc.constantFrom('X-Request-Id', 'Accept', 'Origin', 'X-Forwarded-For', 'Expect'), text),
    fc.tuple(fc.stringMatching(/^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,24}$/), text),
  )

  const verifyShaped = fc
    .record(
      {
        inbox: fc.oneof(fc.constantFrom('website', 'WEBSITE', 'other', '', '../x'), text, fc.integer()),
        identifier: fc.oneof(fc.constant('user-1'), text, fc.integer(), fc.double(), jsonText),
        identifier_hash: fc.oneof(fc.stringMatching(/^[0-9a-f]{64}$/), text),
      },
      { requiredKeys: [] },
    )
    .map((body) => JSON.stringify(body))
  const body = fc.option(
    fc.oneof(
      verifyShaped,
      jsonText,
      fc.string({ unit: 'binary', maxLength: 300 }),
      fc.uint8Array({ maxLength: 300 }).map((bytes) => Buffer.from(bytes)),
      fc.nat({ max: 24 * 1024 }).map((size) => `{"pad":"${'x'.repeat(size)}"}`),
    ),
    { nil: undefined },
  )

  const request = fc.record({
    // One in ten is left as generated, whatever Node's parser makes of it.
    wellFormed: fc.oneof({ weight: 9, arbitrary: fc.constant(true) }, fc.constant(false)),
    // Mostly the two API routes with their methods, where tokens and bodies are looked at.
    route: fc.oneof(
      {
        weight: 6,
        arbitrary: fc.constantFrom<[string, string]>(
          ['GET', '/v1/identity'],
          ['POST', '/v1/identity/verify'],
        ),
      },
      { weight: 2, arbitrary: fc.tuple(fc.constantFrom(...METHODS), fc.constantFrom(...ROUTES)) },
      fc.tuple(
        fc.oneof(fc.constantFrom(...METHODS), text),
        fc.oneof(
          fc.webPath(),
          text.map((p) => `/${p}`),
        ),
      ),
    ),
    query: fc.oneof(
      fc.constant(''),
      fc.webQueryParameters().map((query) => `?${query}`),
      text.map((value) => `?inbox=${value}`),
    ),
    headers: fc
      .tuple(credentials, fc.array(header, { maxLength: 5 }))
      .map(([credential, others]): [string, string][] => [...credential, ...others]),
    body,
  })
  return request
}

type Garbage = ReturnType<typeof arbitraries> extends fc.Arbitrary<infer T> ? T : never

function toBytes(garbage: Garbage): Buffer {
  const clean = garbage.wellFormed
  const headers = garbage.headers
    .map(([name, value]): [string, string] => [noBreaks(name), noBreaks(clean ? asFieldValue(value) : value)])
    .filter(([name]) => name.length > 0 && !FRAMING.test(name))
  const [rawMethod, path] = garbage.route
  const method = noBreaks(clean ? asToken(rawMethod) : rawMethod) || 'GET'
  const target = noBreaks(`${path}${garbage.query}`)
  return httpRequest(method, (clean ? asTarget(target) : target) || '/', headers, garbage.body)
}

/** Credentials sent in this request: none of them may come back in the answer. */
function credentials(garbage: Garbage): string[] {
  const sent: string[] = []
  for (const [name, value] of garbage.headers) {
    if (/^authorization$/i.test(name)) sent.push(value.replace(/^\S*\s*/, ''))
    if (/^cookie$/i.test(name))
      for (const pair of value.split(';')) sent.push(pair.slice(pair.indexOf('=') + 1).trim())
  }
  // Short strings can appear in any answer by chance; a token or key cannot.
  return sent.filter((value) => value.length >= 16)
}

function checkAnswer(garbage: Garbage, answer: RawResponse, t: Target) {
  expect(answer.status, 'an answer').toBeGreaterThan(0)
  expect(answer.status, answer.raw.slice(0, 500)).toBeLessThan(500)
  expect(answer.headers['x-request-id']).toBeTruthy()
  for (const secret of [...t.secrets, ...credentials(garbage)]) expect(answer.raw).not.toContain(secret)
  if (answer.status >= 400 && garbage.route[0] !== 'HEAD') {
    expect(answer.headers['content-type']).toMatch(PROBLEM_TYPE)
    const problem = JSON.parse(answer.body) as { code: ProblemCode; status: number }
    expect(PROBLEMS[problem.code]?.status, problem.code).toBe(answer.status)
    expect(problem.status).toBe(answer.status)
  }
}

describe.each(KINDS)('%s: generated garbage at every route', (kind) => {
  let t: Target
  beforeAll(async () => {
    t = await startTarget(kind)
  })
  afterAll(() => t?.stop())

  it(`never answers 5xx, never echoes a secret or credential (seed ${SEED})`, async () => {
    let requests = 0
    const statuses = new Set<number>()
    await fc.assert(
      fc.asyncProperty(arbitraries(t), async (garbage) => {
        requests++
        const answer = await rawRequest(t.url, toBytes(garbage), 5000)
        statuses.add(answer.status)
        checkAnswer(garbage, answer, t)
      }),
      { seed: SEED, numRuns: RUNS_PER_CONFIGURATION, interruptAfterTimeLimit: 60_000 },
    )
    expect(requests).toBeGreaterThanOrEqual(RUNS_PER_CONFIGURATION)
    // The garbage reached past the parser: successes and each kind of refusal, not only 400s.
    for (const status of [200, 400, 401, 404]) expect(statuses).toContain(status)

    // Alive and healthy afterwards, with nothing secret and no error in the logs.
    expect(t.server.child.exitCode).toBeNull()
    expect((await fetch(`${t.url}/healthz`)).status).toBe(200)
    expect((await fetch(`${t.url}/readyz`)).status).toBe(200)
    expect(
      (await fetch(`${t.url}/v1/identity`, { headers: { authorization: `Bearer ${t.token()}` } })).status,
    ).toBe(200)
    await new Promise((resolve) => setTimeout(resolve, 100))
    const logs = t.server.lines.join('\n')
    for (const secret of t.secrets) expect(logs).not.toContain(secret)
    expect(t.server.lines.filter((line) => /"level":"(error|fatal)"/.test(line))).toEqual([])
  }, 90_000)
})
