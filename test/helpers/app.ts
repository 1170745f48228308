import Fastify, { type FastifyInstance } from 'fastify'
import pino from 'pino'
import app, { serverOptions } from '../../src/app.js'
import { type Env, loadConfig } from '../../src/config.js'

/** The whole app built in-process from an environment, for inject() tests. Close it after use. */
export async function buildApp(env: Env): Promise<FastifyInstance> {
  const config = loadConfig(env)
  const fastify = Fastify(serverOptions(config, pino({ level: 'silent' })))
  await fastify.register(app, { config })
  await fastify.ready()
  return fastify
}
