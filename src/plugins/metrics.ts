import { createServer, type Server } from 'node:http'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import type { Config } from '../config.js'
import { createMetrics, type Metrics } from '../metrics.js'
import { genReqId } from '../request-id.js'

declare module 'fastify' {
  interface FastifyInstance {
    metrics: Metrics
  }
  interface FastifyRequest {
    /** performance.now() when the request reached its first hook: the start of its duration. */
    receivedAt: number
  }
}

/** Seconds since the request reached its first hook. */
export const secondsSince = (request: FastifyRequest) => (performance.now() - request.receivedAt) / 1000

/**
 * Prometheus metrics: each route's onSend hook records its request; /metrics is served here, or on
 * METRICS_PORT alone (a bare HTTP server, so scrapes never share the public listener).
 */
async function metricsPlugin(fastify: FastifyInstance, { config }: { config: Config }) {
  const metrics = createMetrics()
  fastify.decorate('metrics', metrics)
  fastify.decorateRequest('receivedAt', 0)
  fastify.addHook('onRequest', (request, _reply, done) => {
    request.receivedAt = performance.now()
    done()
  })

  // Each route's own hook knows its URL: no per-request routeOptions object is built. onSend, once
  // the answer is final, rather than onResponse: an onResponse hook makes Fastify attach two
  // listeners to every response (about 3 % of a request); the write that follows takes microseconds.
  fastify.addHook('onRoute', (route) => {
    const record = metrics.requestDuration.forRoute(route.url)
    const observe = (
      request: FastifyRequest,
      reply: FastifyReply,
      payload: unknown,
      done: (error: null, payload: unknown) => void,
    ) => {
      record(request.method, reply.statusCode, secondsSince(request))
      done(null, payload)
    }
    route.onSend = route.onSend ? [...[route.onSend].flat(), observe] : [observe]
  })

  const exposition = async () => ({
    body: await metrics.registry.metrics(),
    type: metrics.registry.contentType,
  })

  if (config.metricsPort === undefined) {
    fastify.get(
      '/metrics',
      {
        schema: {
          operationId: 'metrics',
          summary: 'Prometheus metrics (text exposition format); on METRICS_PORT alone when that is set',
          tags: ['operations'],
          produces: ['text/plain'],
        },
      },
      async (_request, reply) => {
        const { body, type } = await exposition()
        return reply.type(type).header('cache-control', 'no-store').send(body)
      },
    )
    return
  }

  let server: Server | undefined
  fastify.addHook('onReady', async () => {
    server = createServer((request, response) => {
      // Every answer carries a request id (SPEC.md), this listener's too.
      response.setHeader('x-request-id', genReqId(request))
      if (request.method !== 'GET' || request.url?.split('?')[0] !== '/metrics') {
        response.writeHead(404).end()
        return
      }
      exposition().then(
        ({ body, type }) =>
          response.writeHead(200, { 'content-type': type, 'cache-control': 'no-store' }).end(body),
        () => response.writeHead(500).end(),
      )
    })
    await new Promise<void>((resolve, reject) => {
      server?.once('error', reject).listen(config.metricsPort, config.host, () => resolve())
    })
    const address = server?.address()
    fastify.log.info(
      { port: typeof address === 'object' ? address?.port : config.metricsPort },
      'metrics listening',
    )
  })
  fastify.addHook('onClose', async () => {
    await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)))
  })
}

export default fp(metricsPlugin, { name: 'metrics' })
