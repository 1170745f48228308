import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { Readiness } from '../readiness.js'

declare module 'fastify' {
  interface FastifyInstance {
    readiness: Readiness
  }
}

export default fp(
  async (fastify: FastifyInstance) => {
    fastify.decorate('readiness', new Readiness())
  },
  { name: 'readiness' },
)
