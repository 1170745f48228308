import pino from 'pino'
import app, { createFastify } from './app.js'
import { loadConfig } from './config.js'

/**
 * The OpenAPI document as the service generates it. It does not depend on the configuration, so a
 * throwaway one is used; `npm run openapi` writes it to openapi.yaml and a test compares the two.
 */
export async function generateOpenApi(): Promise<string> {
  const config = loadConfig({ JWT_SECRET: 'x'.repeat(32), CHATWOOT_INBOX_DOCUMENT_SECRET: 'document' })
  const fastify = createFastify(config, pino({ level: 'silent' }))
  await fastify.register(app, { config, generateDocument: true })
  await fastify.ready()
  const document = fastify.swagger({ yaml: true })
  await fastify.close()
  return document
}
