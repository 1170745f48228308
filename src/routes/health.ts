import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { Problem } from '../problems.js'
import { HealthResponse, problemResponses, ReadyResponse } from '../schemas.js'

const healthRoutes: FastifyPluginAsyncZod = async (fastify) => {
  fastify.get(
    '/healthz',
    {
      schema: {
        operationId: 'health',
        summary: 'Liveness: 200 while the process runs; never depends on outside systems',
        tags: ['operations'],
        response: { 200: HealthResponse },
      },
    },
    () => ({ status: 'ok' as const }),
  )

  fastify.get(
    '/readyz',
    {
      schema: {
        operationId: 'ready',
        summary: 'Readiness: 200 only when the service can answer identity requests',
        description:
          'Not ready while shutting down, before the JWT keys are usable, with no inbox, or before every ' +
          'secret source (Chatwoot included) has loaded once. The problem body names the unmet conditions ' +
          'in `unmet`.',
        tags: ['operations'],
        response: { 200: ReadyResponse, ...problemResponses('not_ready') },
      },
    },
    () => {
      const unmet = fastify.readiness.unmet()
      if (unmet.length > 0) throw new Problem('not_ready', `Not ready: ${unmet.join(', ')}`, { unmet })
      return { status: 'ready' as const }
    },
  )
}

export default healthRoutes
