import type { Server } from 'node:http'
import { createServer } from 'node:http'
import Fastify, {
  type FastifyBaseLogger,
  type FastifyHttpOptions,
  type FastifyInstance,
  LogController,
} from 'fastify'
import fp from 'fastify-plugin'
import type { Logger } from 'pino'
import type { Config } from './config.js'
import { accessLogHook, requestLoggerFactory } from './logger.js'
import auth from './plugins/auth.js'
import chatwoot from './plugins/chatwoot.js'
import errors, { clientErrorHandler, frameworkErrors } from './plugins/errors.js'
import inboxes from './plugins/inboxes.js'
import jwt from './plugins/jwt.js'
import metrics from './plugins/metrics.js'
import rateLimit from './plugins/rate-limit.js'
import readiness from './plugins/readiness.js'
import { Problem } from './problems.js'
import { genReqId } from './request-id.js'
import { fastifyTrustProxy } from './trust-proxy.js'
import health from './routes/health.js'
import identity from './routes/identity.js'
import openapi from './routes/openapi.js'
import sdk from './routes/sdk.js'
import type { FastPath } from './routes/verify-fast-path.js'
import { API_SECURITY_HEADERS } from './security-headers.js'
import { serializerCompiler } from './serializer.js'
import { validatorCompiler } from './validator.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** Installs the server's one fast path; requests it does not take go to Fastify as before. */
    setFastPath(path: FastPath): void
  }
}

/** Server limits, explicit rather than inherited from Node's defaults. */
export const LIMITS = {
  requestTimeoutMs: 10_000,
  headersTimeoutMs: 10_000,
  // How often Node enforces those two: its default (30 s) lets a slow client hold a socket for 40 s.
  connectionsCheckingIntervalMs: 1_000,
  // Above the idle timeout of common load balancers (60 s), so they close first.
  keepAliveTimeoutMs: 65_000,
  maxHeaderSize: 16 * 1024,
} as const

/** Fastify's options for this service (see createFastify). */
function serverOptions(
  config: Config,
  logger: Logger,
  fastPath: FastPath,
): FastifyHttpOptions<Server, FastifyBaseLogger> {
  return {
    // No loggerInstance: given one, Fastify attaches two listeners to every response to log its own
    // request lines, which this service replaces (LOG_REQUESTS) and which cost about 3 % of a request.
    // Requests get their logger here, the instance its log in createFastify.
    childLoggerFactory: requestLoggerFactory(logger),
    // Fastify's own request lines, off: LOG_REQUESTS adds the service's access line instead.
    logController: new LogController({ disableRequestLogging: true }),
    genReqId,
    // The app brings its own compilers (zod): Fastify need not load Ajv and fast-json-stringify at all.
    // (Fastify types these factories for Ajv schemas, hence the casts.)
    schemaController: {
      compilersFactory: {
        buildValidator: (() => validatorCompiler) as never,
        buildSerializer: (() => serializerCompiler) as never,
      },
    },
    bodyLimit: config.bodyLimit,
    // Requests still arriving once close() runs are served as usual (Fastify would answer them with a
    // bare 503 of its own): readiness is already 503, and in-flight work is to be finished.
    return503OnClosing: false,
    // X-Forwarded-For counts only from the proxies TRUST_PROXY names (request.ip, the rate limit's key).
    trustProxy: fastifyTrustProxy(config.trustProxy),
    requestTimeout: LIMITS.requestTimeoutMs,
    keepAliveTimeout: LIMITS.keepAliveTimeoutMs,
    clientErrorHandler,
    frameworkErrors,
    serverFactory: (handler) => {
      const server = createServer(
        {
          maxHeaderSize: LIMITS.maxHeaderSize,
          requestTimeout: LIMITS.requestTimeoutMs,
          headersTimeout: LIMITS.headersTimeoutMs,
          connectionsCheckingInterval: LIMITS.connectionsCheckingIntervalMs,
          keepAliveTimeout: LIMITS.keepAliveTimeoutMs,
          // Node keeps the first of two Authorization (or Content-Type...) headers and drops the
          // other; joined, an ambiguous pair is refused instead of silently picked.
          joinDuplicateHeaders: true,
          // Node would answer a missing Host itself, bare: the app's first hook does instead.
          requireHostHeader: false,
        },
        (request, response) => {
          if (!fastPath(request, response)) handler(request, response)
        },
      )
      // RFC 9110 §10.1.1: an expectation other than 100-continue may be ignored (Node answered 417).
      server.on('checkExpectation', handler)
      return server
    },
  }
}

/** A Fastify instance with this service's options and logger: server.ts's and the tests'. */
export function createFastify(config: Config, logger: Logger): FastifyInstance {
  let fastPath: FastPath = () => false
  const fastify = Fastify(serverOptions(config, logger, (request, response) => fastPath(request, response)))
  fastify.log = logger as FastifyBaseLogger
  let installed = false
  fastify.decorate('setFastPath', (path: FastPath) => {
    if (installed) throw new Error('The server has a fast path already')
    installed = true
    fastPath = path
  })
  return fastify
}

/** The whole service as one plugin: what server.ts listens with and what tests build. */
export interface AppOptions {
  config: Config
  /**
   * Generate the OpenAPI document from the routes (`npm run openapi` and the drift test). The running
   * service serves the committed openapi.yaml instead, which a test proves identical: no document
   * generation, YAML or JSON Schema conversion at start-up.
   */
  generateDocument?: boolean
}

// As entries once: reply.headers() takes Object.keys() of its argument on every request.
const SECURITY_HEADER_ENTRIES = Object.entries(API_SECURITY_HEADERS)

async function app(fastify: FastifyInstance, { config, generateDocument = false }: AppOptions) {
  fastify.setValidatorCompiler(validatorCompiler)
  fastify.setSerializerCompiler(serializerCompiler)
  // Only JSON bodies are accepted; other types get a clear 400 instead of a string parsed as text.
  fastify.removeContentTypeParser('text/plain')

  await fastify.register(readiness)
  const { readiness: state } = fastify
  // Before any route, so that every route is in the document.
  if (generateDocument) await fastify.register((await import('./plugins/swagger.js')).default)
  // Before any other hook: its onRequest hook stamps each request's start, which an earlier hook that
  // rejects the request would skip (the duration would then be the process's uptime).
  await fastify.register(metrics, { config })

  // One hook for what every answer carries; routes that need other values override them. The verify
  // fast path (routes/verify-fast-path.ts) does what it does without it: a change here goes there too.
  fastify.addHook('onRequest', (request, reply, done) => {
    reply.header('x-request-id', request.id)
    for (const [name, value] of SECURITY_HEADER_ENTRIES) reply.header(name, value)
    // While draining, move keep-alive clients to new connections (another replica) one by one.
    if (state.shuttingDown) reply.header('connection', 'close')
    // RFC 9112 §3.2, which Node would answer with a bare 400 (requireHostHeader).
    if (request.headers.host === undefined && request.raw.httpVersion === '1.1')
      return done(new Problem('invalid_request', 'An HTTP/1.1 request needs a Host header'))
    done()
  })

  // One line per answer, once final: the only global onSend hook, and no hook after it changes the
  // status (the routes' own onSend hooks only record metrics). Were one of those to fail, the error
  // answer that replaces the first would get a line of its own.
  if (config.logRequests) fastify.addHook('onSend', accessLogHook(fastify.log as Logger))

  await fastify.register(errors)
  await fastify.register(jwt, { config })
  await fastify.register(auth, { config })
  await fastify.register(rateLimit, { config })
  await fastify.register(inboxes, { config })
  await fastify.register(chatwoot, { config })

  await fastify.register(health)
  await fastify.register(identity, { config })
  await fastify.register(sdk)
  await fastify.register(openapi)
}

// Not encapsulated, so that server.ts sees the decorators (readiness) it drives shutdown with.
export default fp(app, { name: 'chatwoot-identity' })
