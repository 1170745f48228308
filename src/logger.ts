import type { FastifyBaseLogger, FastifyReply, FastifyRequest } from 'fastify'
import pino, { type Bindings, type ChildLoggerOptions, type Logger } from 'pino'
import type { Config } from './config.js'
import { secondsSince } from './plugins/metrics.js'

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

let stampMs = Number.NaN
let stamp = ''

/**
 * pino's `isoTime`, made once per millisecond: a Date and its ISO string cost as much as the rest of
 * an access line, and under load many lines share a millisecond.
 */
export function isoTime(): string {
  const now = Date.now()
  if (now !== stampMs) {
    stampMs = now
    stamp = `,"time":"${new Date(now).toISOString()}"`
  }
  return stamp
}

const LINE_OPTIONS = {
  base: { service: 'chatwoot-identity' },
  timestamp: isoTime,
  formatters: { level: (label: string) => ({ level: label }) },
}

/** What the loggers write to: pino's `write`, and the flushes the service and pino's exit hook call. */
export interface LogDestination extends pino.DestinationStream {
  flush(callback?: (error?: Error) => void): void
  flushSync(): void
}

/**
 * pino's asynchronous destination (sonic-boom) on `fd`, in its Buffer mode, each line handed over as
 * a Buffer. Asynchronous writes keep logging off the request path. In its default string mode
 * sonic-boom measures the UTF-8 length of its whole pending text on every line, a copy and a scan
 * that grow with the backlog while a write is in flight; in Buffer mode a line costs its own encoding
 * (LOG_REQUESTS=true: about 4 % more requests per second).
 */
export function asyncDestination(fd = 1): LogDestination {
  const sonic = pino.destination({ dest: fd, sync: false, contentMode: 'buffer' })
  return {
    write: (line: string) => sonic.write(Buffer.from(line) as unknown as string),
    flush: (callback) => sonic.flush(callback),
    flushSync: () => sonic.flushSync(),
  }
}

export function createLogger(
  config: Pick<Config, 'logLevel'>,
  destination: LogDestination = asyncDestination(),
): Logger {
  return pino(
    {
      level: config.logLevel,
      ...LINE_OPTIONS,
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    },
    // Writes in flight finish before the process exits; pino's exit hook writes what is left.
    destination,
  )
}

/**
 * The access line's logger: same destination, level and line format as `logger`, without redaction.
 * The line is built from fixed fields only (no header, body or URL), so there is nothing to redact,
 * and the redaction paths' wildcards cost more than the rest of the line.
 */
export function accessLogger(logger: Logger): Logger {
  return pino(
    { level: logger.level, ...LINE_OPTIONS },
    (logger as unknown as Record<symbol, pino.DestinationStream>)[pino.symbols.streamSym],
  )
}

/**
 * The access line of LOG_REQUESTS=true, as an onSend hook: one line per request (method, route,
 * status, duration, request id: never a body, header or hash). Fixed fields only, so it is written
 * through `accessLogger`, without redaction. onSend, once the answer is final and about to be
 * written, rather than onResponse: Fastify follows every response to its end for an onResponse
 * hook, which cost 6-8 % of a logged request. The duration is the metrics' one, from the request's
 * first hook to its answer (Fastify's `reply.elapsedTime` is 0 without response listeners).
 */
export function accessLogHook(logger: Logger) {
  const line = accessLine(logger)
  return (
    request: FastifyRequest,
    reply: FastifyReply,
    payload: unknown,
    done: (error: null, payload: unknown) => void,
  ) => {
    line(
      request.id,
      request.method,
      request.routeOptions.url ?? '(no route)',
      reply.statusCode,
      secondsSince(request),
    )
    done(null, payload)
  }
}

/** Writes one access line (see accessLogHook; the verify fast path writes its own). */
export function accessLine(logger: Logger) {
  const access = accessLogger(logger)
  return (reqId: string, method: string, route: string, status: number, seconds: number) => {
    // The request id as a field: the same line as through the request's child logger, without
    // building that child for every request.
    access.info({ reqId, method, route, status, durationMs: Math.round(seconds * 100_000) / 100 }, 'request')
  }
}

const LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const

/**
 * Fastify gives every request a child logger bound to its id. A pino child costs about as much as
 * the rest of a request's logging put together, and most requests never log a line: this one is
 * made on the first line logged (see requestLoggerFactory).
 */
class LazyChildLogger {
  #child: FastifyBaseLogger | undefined

  constructor(
    readonly parent: FastifyBaseLogger,
    readonly bindings: Bindings,
    readonly options: ChildLoggerOptions,
  ) {}

  get logger(): FastifyBaseLogger {
    this.#child ??= this.parent.child(this.bindings, this.options)
    return this.#child
  }

  get level(): string {
    return this.#child?.level ?? this.options.level ?? this.parent.level
  }

  set level(level: string) {
    this.logger.level = level
  }

  child(bindings: Bindings, options?: ChildLoggerOptions): FastifyBaseLogger {
    return this.logger.child(bindings, options)
  }
}

for (const level of LEVELS) {
  Object.defineProperty(LazyChildLogger.prototype, level, {
    value(this: LazyChildLogger, ...args: unknown[]) {
      ;(this.logger[level] as (...a: unknown[]) => void)(...args)
    },
  })
}

/**
 * Fastify's childLoggerFactory: each request's logger, a child of `logger` made lazily. Fastify itself
 * is given no logger (see createFastify), so the parent it passes is its null logger and is ignored.
 */
export function requestLoggerFactory(logger: Logger) {
  const parent = logger as FastifyBaseLogger
  return (_fastifyLogger: FastifyBaseLogger, bindings: Bindings, options: ChildLoggerOptions) =>
    new LazyChildLogger(parent, bindings, options) as unknown as FastifyBaseLogger
}
