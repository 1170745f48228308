import type { IncomingMessage, ServerResponse } from 'node:http'
import type { FastifyInstance } from 'fastify'
import type { Logger } from 'pino'
import secureJson from 'secure-json-parse'
import type { z } from 'zod'
import type { Config } from '../config.js'
import { accessLine } from '../logger.js'
import { problemHeaders, reportProblem, toProblem, validationProblem } from '../plugins/errors.js'
import { genReqId } from '../request-id.js'
import { VerifyRequest } from '../schemas.js'
import { API_SECURITY_HEADERS } from '../security-headers.js'
import { bearerFromHeader } from '../token.js'
import { validate } from '../validator.js'

/**
 * A request listener that runs ahead of Fastify's routing: true when it has taken the request (and
 * answers it), false to leave it to Fastify untouched.
 */
export type FastPath = (request: IncomingMessage, response: ServerResponse) => boolean

export const VERIFY_ROUTE = '/v1/identity/verify'

// JSON as Fastify's parser takes it and as clients send it; rarer spellings go to Fastify.
const JSON_TYPES: ReadonlySet<string> = new Set([
  'application/json',
  'application/json; charset=utf-8',
  'application/json;charset=utf-8',
])
const CONTENT_LENGTH = /^[1-9][0-9]{0,8}$/
// Fastify's defaults for its JSON parser: a body with __proto__ or constructor.prototype is refused.
const PARSE_OPTIONS = { protoAction: 'error', constructorAction: 'error' } as const
const JSON_ANSWER = { 'content-type': 'application/json; charset=utf-8' }

export interface VerifyFastPathOptions {
  config: Config
  /** The route's answer for a valid body (throws a Problem): the same function its handler calls. */
  answer: (body: z.output<typeof VerifyRequest>, serviceKeyId: string) => string
}

/**
 * POST /v1/identity/verify with a service key, served from Node's request event ahead of Fastify.
 * Service-to-service checks are this route's hot path, and on it Fastify's per-request machinery
 * (route lookup, Request and Reply, hook runners, the content-type parser) was a third to a half of
 * what the service cost above bare Node (docs/performance.md, The verify fast path).
 *
 * It takes a request only when its headers pass every check the route makes before the body (a
 * service key, a JSON content type, a length within the limit, a Host, no Origin or Expect, not
 * draining), so anything else, every 401 included, reaches Fastify with its body unread. From the
 * body on it answers as the route does, with the route's parser options, validator, answer,
 * problems, headers, metrics and access line: test/routes/verify-fast-path.test.ts holds the two to
 * the same answers. None without a service key, or with a rate limit (charged per caller in a hook).
 */
export function verifyFastPath(
  fastify: FastifyInstance,
  { config, answer }: VerifyFastPathOptions,
): FastPath | undefined {
  if (config.verifyApiKeys.length === 0 || config.rateLimit !== undefined) return undefined
  const { metrics, readiness } = fastify
  const log = fastify.log as Logger
  const record = metrics.requestDuration.forRoute(VERIFY_ROUTE)
  const access = config.logRequests ? accessLine(log) : undefined
  const everyAnswer = {
    ...API_SECURITY_HEADERS,
    'cache-control': 'no-store',
    // Given a delegator, @fastify/cors marks every answer of the identity routes as varying by Origin.
    ...(config.corsOrigins.length > 0 ? { vary: 'Origin' } : {}),
  }

  function serviceKeyIdOf(request: IncomingMessage): string | undefined {
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
      return fastify.matchServiceKey(bearerFromHeader(authorization))
    } catch {
      return undefined
    }
  }

  function serve(request: IncomingMessage, response: ServerResponse, serviceKeyId: string) {
    const start = performance.now()
    const reqId = genReqId(request)
    let answered = false

    const send = (status: number, headers: Record<string, string>, payload: string) => {
      answered = true
      response.writeHead(status, {
        'x-request-id': reqId,
        ...everyAnswer,
        ...headers,
        'content-length': Buffer.byteLength(payload),
      })
      response.end(payload)
      const seconds = (performance.now() - start) / 1000
      record('POST', status, seconds)
      access?.(reqId, 'POST', VERIFY_ROUTE, status, seconds)
    }
    // Fastify closes the connection after a body it could not read or parse.
    const fail = (error: unknown, close = false) => {
      const problem = toProblem(error as Error)
      reportProblem(problem, error, log.child({ reqId }), metrics)
      const headers = problemHeaders(problem)
      if (close) headers.connection = 'close'
      send(problem.statusCode, headers, JSON.stringify(problem.toBody()))
    }
    // Fastify contains whatever a request throws; here an escaped exception would end the process.
    const contained = (step: () => void) => {
      try {
        step()
      } catch (error) {
        log.error({ err: error, reqId }, 'request failed')
        response.destroy()
      }
    }

    // As Fastify reads a body: Buffers, decoded once at the end (a character split across chunks
    // stays whole). Node's parser ends the body at its Content-Length, which is within the limit.
    const chunks: Buffer[] = []
    request.on('data', (chunk: Buffer) => chunks.push(chunk))
    // A client gone mid-body (or timed out) gets what Fastify gives it: its read error as a 400,
    // written nowhere, but logged and counted.
    request.on('error', (error) =>
      contained(() => {
        if (!answered) fail(Object.assign(error, { statusCode: 400 }), true)
      }),
    )
    request.on('end', () =>
      contained(() => {
        const body = chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks)
        let data: unknown
        try {
          data = secureJson.parse(body.toString('utf8'), undefined, PARSE_OPTIONS)
        } catch (error) {
          return fail(error, true)
        }
        let payload: string
        try {
          const result = validate(VerifyRequest, data)
          if (result.error) throw validationProblem(result.error)
          payload = answer(result.value, serviceKeyId)
        } catch (error) {
          return fail(error)
        }
        send(200, JSON_ANSWER, payload)
      }),
    )
  }

  return (request, response) => {
    const serviceKeyId = serviceKeyIdOf(request)
    if (serviceKeyId === undefined) return false
    serve(request, response, serviceKeyId)
    return true
  }
}
