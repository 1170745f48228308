import type { FastifyPluginAsync } from 'fastify'

// Built once, after every route is known; served as is.
const openapiRoute: FastifyPluginAsync = async (fastify) => {
  let document = ''
  fastify.addHook('onReady', async () => {
    document = fastify.swagger({ yaml: true })
  })
  fastify.get(
    '/openapi.yaml',
    {
      schema: {
        operationId: 'openapi',
        summary: 'This API document (OpenAPI 3.1, YAML)',
        tags: ['operations'],
        produces: ['application/yaml'],
      },
    },
    (_request, reply) => reply.type('application/yaml; charset=utf-8').send(document),
  )
}

export default openapiRoute
