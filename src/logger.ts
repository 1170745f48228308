import { type FastifyReply, type FastifyRequest, LogController } from 'fastify'
import pino, { type Logger } from 'pino'
import type { Config } from './config.js'

// Credentials can only reach logs through headers; they are redacted wherever a serializer might put them.
export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
  'headers.authorization',
  'headers.cookie',
  '*.secret',
  '*.token',
]

export function createLogger(config: Pick<Config, 'logLevel'>): Logger {
  return pino(
    {
      level: config.logLevel,
      base: { service: 'chatwoot-identity' },
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    // Asynchronous writes keep logging off the request path; flushed on shutdown.
    pino.destination({ sync: false }),
  )
}

/**
 * Fastify's per-request lines, replaced by one access line per request when LOG_REQUESTS=true
 * (method, route, status, duration, request id: never a body, header or hash) and by nothing otherwise.
 */
export class AccessLogController extends LogController {
  readonly #enabled: boolean

  constructor(enabled: boolean) {
    super({ disableRequestLogging: true })
    this.#enabled = enabled
  }

  override requestCompleted(
    error: Error | null | undefined,
    request: FastifyRequest,
    reply: FastifyReply,
  ): void {
    if (!this.#enabled) return
    reply.log.info(
      {
        method: request.method,
        route: request.routeOptions.url ?? '(no route)',
        status: reply.statusCode,
        durationMs: Math.round(reply.elapsedTime * 100) / 100,
        ...(error ? { err: error } : {}),
      },
      'request',
    )
  }
}
