import { STATUS_CODES } from 'node:http'
import type { Socket } from 'node:net'
import type {
  ConnectionError,
  FastifyBaseLogger,
  FastifyError,
  FastifyInstance,
  FastifyReply,
  FastifyRequest,
} from 'fastify'
import fp from 'fastify-plugin'
import type { Metrics } from '../metrics.js'
import { isProblem, PROBLEM_CONTENT_TYPE, Problem, type ProblemCode } from '../problems.js'
import { newRequestId } from '../request-id.js'
import type { ValidationIssue as SchemaIssue } from '../validator.js'
import { secondsSince } from './metrics.js'

export const WWW_AUTHENTICATE_REALM = 'Bearer realm="chatwoot-identity"'

/** Fastify's own errors, by code, as the problems SPEC.md names. */
const FASTIFY_ERRORS: Record<string, ProblemCode> = {
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'unsupported_media_type',
  FST_ERR_CTP_BODY_TOO_LARGE: 'body_too_large',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'invalid_json',
  FST_ERR_CTP_INVALID_JSON_BODY: 'invalid_json',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'invalid_request',
}

const DETAILS: Partial<Record<ProblemCode, string>> = {
  unsupported_media_type: 'Send the body as application/json',
  body_too_large: 'The body is larger than the service accepts',
  invalid_json: 'The body is not valid JSON',
}

// As Fastify passes them on (loosely typed), or as validate() makes them.
type ValidationIssue = Partial<Pick<SchemaIssue, 'instancePath' | 'message'>>

/** A request that failed its route's schema, named by its first issue. */
export function validationProblem(issues: readonly ValidationIssue[]): Problem {
  const issue = issues[0]
  const field = issue?.instancePath?.replace(/^\//, '').replaceAll('/', '.') || 'body'
  if (field === 'inbox') return new Problem('invalid_inbox', 'inbox must match ^[A-Za-z0-9_-]{1,64}$')
  return new Problem('invalid_request', `${field}: ${issue?.message ?? 'is invalid'}`)
}

/** Any error as a Problem; internal messages are never passed on to clients. */
export function toProblem(error: FastifyError | Error): Problem {
  if (isProblem(error)) return error
  const fastifyError = error as FastifyError
  const validation = fastifyError.validation as ValidationIssue[] | undefined
  if (validation) return validationProblem(validation)
  const mapped = fastifyError.code ? FASTIFY_ERRORS[fastifyError.code] : undefined
  if (mapped) return new Problem(mapped, DETAILS[mapped])
  if (error instanceof SyntaxError) return new Problem('invalid_json', DETAILS.invalid_json)
  const status = fastifyError.statusCode ?? 500
  if (status === 413) return new Problem('body_too_large', DETAILS.body_too_large)
  if (status === 429) return new Problem('rate_limited', 'Too many requests: retry later')
  if (status === 503) return new Problem('not_ready', 'The service is not ready')
  if (status >= 400 && status < 500) return new Problem('invalid_request', 'The request is invalid')
  return new Problem('internal_error', 'The service failed to answer; the request id is in X-Request-Id')
}

/** The headers a problem answer carries besides those of every answer. */
export function problemHeaders(problem: Problem): Record<string, string> {
  const headers: Record<string, string> = {
    // With its charset, as Fastify would complete it for a string body.
    'content-type': `${PROBLEM_CONTENT_TYPE}; charset=utf-8`,
    'cache-control': 'no-store',
  }
  if (problem.statusCode === 401) {
    headers['www-authenticate'] =
      problem.code === 'missing_token'
        ? WWW_AUTHENTICATE_REALM
        : `${WWW_AUTHENTICATE_REALM}, error="invalid_token"`
  }
  return headers
}

export function sendProblem(reply: FastifyReply, problem: Problem): FastifyReply {
  return reply
    .code(problem.statusCode)
    .headers(problemHeaders(problem))
    .send(JSON.stringify(problem.toBody()))
}

/** Counts a problem answer and logs it: an error with its stack only when unexpected. */
export function reportProblem(
  problem: Problem,
  error: unknown,
  log: FastifyBaseLogger,
  metrics: Metrics,
): void {
  metrics.rejections.inc(problem.code)
  // Only the unexpected is an error with a stack: a 503 while not ready is every probe's answer then.
  if (problem.code === 'internal_error') log.error({ err: error, code: problem.code }, 'request failed')
  else log.info({ code: problem.code, status: problem.statusCode }, 'request rejected')
}

/**
 * Requests Node refuses before any route (headers over the size limit, headers or body not received
 * in time, not HTTP at all) are answered as problems too, with a request id, instead of Fastify's
 * plain JSON. Server option `clientErrorHandler`: `this` is the Fastify instance.
 */
export function clientErrorHandler(this: FastifyInstance, error: ConnectionError, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return
  const problem =
    error.code === 'HPE_HEADER_OVERFLOW'
      ? new Problem('headers_too_large', 'The request line and headers are larger than 16 KiB')
      : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? new Problem('request_timeout', 'The request was not received in time')
        : new Problem('invalid_request', 'The request is not valid HTTP/1.1')
  const reqId = newRequestId()
  this.metrics.rejections.inc(problem.code)
  this.log.info({ reqId, code: problem.code, status: problem.statusCode }, 'request rejected')
  // As Node does: never write into a response that has already started on this socket.
  const inFlight = (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage
  if (socket.writable && !inFlight?.headersSent) {
    const body = JSON.stringify(problem.toBody())
    socket.write(
      `HTTP/1.1 ${problem.statusCode} ${STATUS_CODES[problem.statusCode]}\r\n` +
        `Content-Type: ${PROBLEM_CONTENT_TYPE}; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
        `X-Request-Id: ${reqId}\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n${body}`,
    )
  }
  socket.destroy(error)
}

/** Server option `frameworkErrors`: a URL Fastify cannot decode, answered like any other bad request. */
export function frameworkErrors(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  const problem = toProblem(error)
  request.server.metrics.rejections.inc(problem.code)
  request.log.info({ code: problem.code, status: problem.statusCode }, 'request rejected')
  sendProblem(reply.header('x-request-id', request.id), problem)
}

/** problem+json for every error and unknown route, with one log line per rejection naming its code. */
async function errorsPlugin(fastify: FastifyInstance) {
  fastify.setErrorHandler((error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    const problem = toProblem(error)
    reportProblem(problem, error, request.log, fastify.metrics)
    return sendProblem(reply, problem)
  })
  fastify.setNotFoundHandler((request, reply) => {
    fastify.metrics.rejections.inc('not_found')
    // No route, so no route hook: recorded here.
    fastify.metrics.requestDuration.observe(request.method, 'unmatched', 404, secondsSince(request))
    request.log.info({ code: 'not_found', status: 404 }, 'request rejected')
    return sendProblem(reply, new Problem('not_found', 'No such route'))
  })
}

export default fp(errorsPlugin, { name: 'errors', dependencies: ['metrics'] })
