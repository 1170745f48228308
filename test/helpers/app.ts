import type { FastifyInstance } from 'fastify'
import pino from 'pino'
import app, { createFastify } from '../../src/app.js'
import { type Env, loadConfig } from '../../src/config.js'

/** The whole app built in-process from an environment, for inject() tests. Close it after use. */
export async function buildApp(env: Env): Promise<FastifyInstance> {
  const config = loadConfig(env)
  const fastify = createFastify(config, pino({ level: 'silent' }))
  await fastify.register(app, { config })
  await fastify.ready()
  return fastify
}
