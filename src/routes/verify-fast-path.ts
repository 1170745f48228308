import type { IncomingMessage, ServerResponse } from 'node:http'
import type { FastifyInstance } from 'fastify'
import type { Logger } from 'pino'
import secureJson from 'secure-json-parse'
import type { z } from 'zod'
import type { FastPath } from '../app.js'
import type { Config } from '../config.js'
import { accessLine } from '../logger.js'
import { apiKeyMatcher } from '../plugins/auth.js'
import { problemHeaders, reportProblem, toProblem, validationProblem } from '../plugins/errors.js'
import { Problem } from '../problems.js'
import { genReqId } from '../request-id.js'
import { VerifyRequest } from '../schemas.js'
import { API_SECURITY_HEADERS } from '../security-headers.js'
import { bearerFromHeader } from '../token.js'
import { validate } from '../validator.js'

export const VERIFY_ROUTE = '/v1/identity/verify'

// The content types Fastify's JSON parser takes that callers send in practice; others go to Fastify.
const JSON_TYPES: ReadonlySet<string> = new Set(['application/json', 'application/json; charset=utf-8'])
const CONTENT_LENGTH = /^[1-9][0-9]{0,8}$/
// Fastify's defaults for its JSON parser: a body with __proto__ or constructor.prototype is refused.
const PARSE_OPTIONS = { protoAction: 'error', constructorAction: 'error' } as const

export interface VerifyFastPathOptions {
  config: Config
  /** The route's answer for a valid body (throws a Problem): the same function its handler calls. */
  answer: (body: z.output<typeof VerifyRequest>, serviceKeyId: string) => string
}

/**
 * POST /v1/identity/verify with a service key, served from Node's request event ahead of Fastify's
 * routing. Fastify's per-request machinery (route lookup, Request and Reply, hook runners, the
 * content-type parser) costs a bare POST route about a fifth of its time on this service's hardware, and
 * service-to-service checks are its hot path. It takes a request only when its headers pass every
 * check the route makes before the body (a service key, a JSON content type, a length within the
 * limit, no CORS, no rate limit, not draining), so everything else, every 401 included, goes to
 * Fastify untouched. From the body on it answers as the route does, with the route's validator,
 * answer, problems, headers, metrics and access line: test/routes/verify-fast-path.test.ts holds the
 * two to the same answers. Undefined when there is no service key, or when a rate limit (charged in
 * a hook) is configured.
 */
export function verifyFastPath(
  fastify: FastifyInstance,
  { config, answer }: VerifyFastPathOptions,
): FastPath | undefined {
  if (config.verifyApiKeys.length === 0 || config.rateLimit !== undefined) return undefined
  const { metrics, readiness } = fastify
  const log = fastify.log as Logger
  const serviceKeyId = apiKeyMatcher(config.verifyApiKeys)
  const record = metrics.requestDuration.forRoute(VERIFY_ROUTE)
  const access = config.logRequests ? accessLine(log) : undefined

  /** The caller's service key id when the route would get past authentication to the body. */
  function caller(request: IncomingMessage): string | undefined {
    if (request.method !== 'POST' || request.url !== VERIFY_ROUTE) return undefined
    const { headers } = request
    const type = headers['content-type']
    const length = headers['content-length']
    const { authorization } = headers
    if (
      type === undefined ||
      !JSON_TYPES.has(type.toLowerCase()) ||
      length === undefined ||
      !CONTENT_LENGTH.test(length) ||
      Number(length) > config.bodyLimit ||
      authorization === undefined ||
      headers['transfer-encoding'] !== undefined ||
      headers.expect !== undefined ||
      headers.origin !== undefined ||
      headers.host === undefined ||
      readiness.shuttingDown
    )
      return undefined
    try {
      return serviceKeyId(bearerFromHeader(authorization))
    } catch {
      return undefined
    }
  }

  function respond(
    request: IncomingMessage,
    response: ServerResponse,
    keyId: string,
    start: number,
    reqId: string,
    body: string,
  ) {
    let status = 200
    let payload: string
    let headers: Record<string, string> = { 'content-type': 'application/json; charset=utf-8' }
    try {
      let data: unknown
      try {
        data = secureJson.parse(body, undefined, PARSE_OPTIONS)
      } catch {
        throw new Problem('invalid_json', 'The body is not valid JSON')
      }
      const result = validate(VerifyRequest, data)
      if (result.error) throw validationProblem(result.error)
      payload = answer(result.value, keyId)
    } catch (error) {
      const problem = toProblem(error as Error)
      reportProblem(problem, error, log.child({ reqId }), metrics)
      status = problem.statusCode
      headers = problemHeaders(problem)
      payload = JSON.stringify(problem.toBody())
    }
    response.writeHead(status, {
      'x-request-id': reqId,
      ...API_SECURITY_HEADERS,
      'cache-control': 'no-store',
      ...headers,
      'content-length': Buffer.byteLength(payload),
    })
    response.end(payload)
    const seconds = (performance.now() - start) / 1000
    record(request.method as string, status, seconds)
    access?.(reqId, 'POST', VERIFY_ROUTE, status, seconds)
  }

  return (request, response) => {
    const keyId = caller(request)
    if (keyId === undefined) return false
    const start = performance.now()
    const reqId = genReqId(request)
    // As Fastify reads a body: Buffers, decoded once at the end (a character split across chunks
    // stays whole). Node's parser ends the body at Content-Length, which is within the limit. A client
    // that goes away mid-body gets no answer, as its socket is gone.
    const chunks: Buffer[] = []
    request.on('data', (chunk: Buffer) => chunks.push(chunk))
    request.on('end', () => {
      const body =
        chunks.length === 1 ? (chunks[0] as Buffer).toString('utf8') : Buffer.concat(chunks).toString('utf8')
      respond(request, response, keyId, start, reqId, body)
    })
    return true
  }
}
