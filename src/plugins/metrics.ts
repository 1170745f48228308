import { createServer, type Server } from 'node:http'
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import type { Config } from '../config.js'
import { createMetrics, type Metrics } from '../metrics.js'

declare module 'fastify' {
  interface FastifyInstance {
    metrics: Metrics
  }
}

/**
 * Prometheus metrics: one onResponse hook records every request; /metrics is served here, or on
 * METRICS_PORT alone (a bare HTTP server, so scrapes never share the public listener).
 */
async function metricsPlugin(fastify: FastifyInstance, { config }: { config: Config }) {
  const metrics = createMetrics()
  fastify.decorate('metrics', metrics)

  // Children cached per label set: prom-client would otherwise hash the labels on every request.
  const children = new Map<string, { observe(value: number): void }>()
  fastify.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions.url ?? 'unmatched'
    const key = `${request.method} ${route} ${reply.statusCode}`
    let child = children.get(key)
    if (!child) {
      child = metrics.requestDuration.labels(request.method, route, String(reply.statusCode))
      children.set(key, child)
    }
    child.observe(reply.elapsedTime / 1000)
    done()
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
