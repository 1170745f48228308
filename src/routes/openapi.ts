import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { FastifyPluginAsync } from 'fastify'
import { packageRoot } from '../package-root.js'

/** The committed document, shipped next to dist/; test/openapi.test.ts proves it is what the code generates. */
export const OPENAPI_YAML = join(packageRoot(), 'openapi.yaml')

const openapiRoute: FastifyPluginAsync = async (fastify) => {
  const document = readFileSync(OPENAPI_YAML, 'utf8')
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
