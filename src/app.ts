import type { Server } from 'node:http'
import { createServer } from 'node:http'
import type { FastifyBaseLogger, FastifyHttpOptions, FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod'
import type { Logger } from 'pino'
import type { Config } from './config.js'
import { AccessLogController } from './logger.js'
import auth from './plugins/auth.js'
import chatwoot from './plugins/chatwoot.js'
import cookie from './plugins/cookie.js'
import errors from './plugins/errors.js'
import inboxes from './plugins/inboxes.js'
import jwt from './plugins/jwt.js'
import metrics from './plugins/metrics.js'
import readiness from './plugins/readiness.js'
import swagger from './plugins/swagger.js'
import { genReqId } from './request-id.js'
import health from './routes/health.js'
import identity from './routes/identity.js'
import openapi from './routes/openapi.js'
import { VERSION } from './version.js'

/** Server limits, explicit rather than inherited from Node's defaults. */
export const LIMITS = {
  requestTimeoutMs: 10_000,
  headersTimeoutMs: 10_000,
  // Above the idle timeout of common load balancers (60 s), so they close first.
  keepAliveTimeoutMs: 65_000,
  maxHeaderSize: 16 * 1024,
} as const

/** Fastify's options for this service; tests build the app in-process with the same ones. */
export function serverOptions(config: Config, logger: Logger): FastifyHttpOptions<Server, FastifyBaseLogger> {
  return {
    loggerInstance: logger as FastifyBaseLogger,
    logController: new AccessLogController(config.logRequests),
    genReqId,
    bodyLimit: config.bodyLimit,
    requestTimeout: LIMITS.requestTimeoutMs,
    keepAliveTimeout: LIMITS.keepAliveTimeoutMs,
    serverFactory: (handler) => {
      const server = createServer(
        {
          maxHeaderSize: LIMITS.maxHeaderSize,
          requestTimeout: LIMITS.requestTimeoutMs,
          headersTimeout: LIMITS.headersTimeoutMs,
          keepAliveTimeout: LIMITS.keepAliveTimeoutMs,
        },
        handler,
      )
      return server
    },
  }
}

/** The whole service as one plugin: what server.ts listens with and what tests build. */
async function app(fastify: FastifyInstance, { config }: { config: Config }) {
  fastify.setValidatorCompiler(validatorCompiler)
  fastify.setSerializerCompiler(serializerCompiler)
  // Only JSON bodies are accepted; other types get a clear 400 instead of a string parsed as text.
  fastify.removeContentTypeParser('text/plain')

  await fastify.register(readiness)
  const { readiness: state } = fastify
  fastify.addHook('onRequest', (request, reply, done) => {
    reply.header('x-request-id', request.id)
    // While draining, move keep-alive clients to new connections (another replica) one by one.
    if (state.shuttingDown) reply.header('connection', 'close')
    done()
  })

  // Before any route, so that every route is in the document.
  await fastify.register(swagger, { version: VERSION })
  await fastify.register(metrics, { config })
  await fastify.register(errors)
  await fastify.register(cookie)
  await fastify.register(jwt, { config })
  await fastify.register(auth, { config })
  await fastify.register(inboxes, { config })
  await fastify.register(chatwoot, { config })

  await fastify.register(health)
  await fastify.register(identity, { config })
  await fastify.register(openapi)
}

// Not encapsulated, so that server.ts sees the decorators (readiness) it drives shutdown with.
export default fp(app, { name: 'chatwoot-identity' })
