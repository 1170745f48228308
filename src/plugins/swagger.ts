import fastifySwagger from '@fastify/swagger'
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { jsonSchemaTransform, jsonSchemaTransformObject } from 'fastify-type-provider-zod'
import { PROBLEM_CONTENT_TYPE } from '../problems.js'
import { VERSION } from '../version.js'
import { IMMUTABLE, SDK_PATH, SHORT } from '../sdk-asset.js'
import { WWW_AUTHENTICATE_REALM } from './errors.js'

// The OpenAPI document is generated from the routes' zod schemas; this adds what a schema cannot say:
// the headers every answer carries and the problem+json media type of errors.

const header = (description: string, schema: Record<string, unknown> = { type: 'string' }) => ({
  description,
  ...schema,
})

function responseHeaders(url: string, status: number) {
  const headers: Record<string, unknown> = {
    'X-Request-Id': header("The request id: the caller's X-Request-Id when sane, generated otherwise"),
  }
  if (url.startsWith('/v1/') || status >= 400)
    headers['Cache-Control'] = header('Always `no-store`', { type: 'string', const: 'no-store' })
  if (status === 401)
    headers['WWW-Authenticate'] = header(
      `\`${WWW_AUTHENTICATE_REALM}\`, with \`error="invalid_token"\` when a token was sent`,
    )
  if (url === SDK_PATH && status < 400) {
    headers.ETag = header('`"<version>"`, the same for both URLs; send it back as If-None-Match')
    headers['Cache-Control'] = header(`\`${IMMUTABLE}\` with the current \`?v=\`, \`${SHORT}\` otherwise`)
    headers['Cross-Origin-Resource-Policy'] = header('`cross-origin`: any site may load the script', {
      type: 'string',
      const: 'cross-origin',
    })
  }
  if (status === 429) headers['Retry-After'] = header('Seconds to wait before retrying', { type: 'integer' })
  return headers
}

type Transformed = ReturnType<typeof jsonSchemaTransform>

const transform: typeof jsonSchemaTransform = (input) => {
  const out: Transformed = jsonSchemaTransform(input)
  const schema = out.schema as { response?: Record<string, Record<string, unknown>>; produces?: string[] }
  if (!schema) return out
  // A route without a response schema (the YAML document) still gets its media type and headers.
  schema.response ??= {
    200: { content: { [schema.produces?.[0] ?? 'application/json']: { schema: { type: 'string' } } } },
  }
  const response = schema.response
  for (const [code, schema] of Object.entries(response)) {
    const status = Number(code)
    const headers = responseHeaders(input.url, status)
    if (status >= 400) {
      const { description, ...body } = schema
      response[code] = { description, headers, content: { [PROBLEM_CONTENT_TYPE]: { schema: body } } }
    } else {
      response[code] = { description: 'Success', ...schema, headers }
    }
  }
  return out
}

type OpenApiObject = ReturnType<typeof jsonSchemaTransformObject>

/**
 * The zod provider emits an input and an output variant of every registered schema; only the ones
 * the paths reference (directly or through other schemas) are kept.
 */
const transformObject: typeof jsonSchemaTransformObject = (input) => {
  const document = jsonSchemaTransformObject(input) as OpenApiObject & {
    components?: { schemas?: Record<string, unknown> }
  }
  const schemas = document.components?.schemas
  if (!schemas) return document
  const used = new Set<string>()
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) {
      for (const item of node) visit(item)
      return
    }
    if (!node || typeof node !== 'object') return
    for (const [key, value] of Object.entries(node)) {
      if (key === '$ref' && typeof value === 'string' && value.startsWith('#/components/schemas/')) {
        const name = value.slice('#/components/schemas/'.length)
        if (!used.has(name)) {
          used.add(name)
          visit(schemas[name])
        }
      } else visit(value)
    }
  }
  visit((document as { paths?: unknown }).paths)
  for (const name of Object.keys(schemas)) if (!used.has(name)) delete schemas[name]
  return document
}

export default fp(
  async (fastify: FastifyInstance) => {
    await fastify.register(fastifySwagger, {
      openapi: {
        openapi: '3.1.0',
        info: {
          title: 'chatwoot-identity',
          version: VERSION,
          description:
            'Issues Chatwoot identity-validation hashes: `identifier_hash` = lowercase hex HMAC-SHA256 of the ' +
            'identifier, keyed with the inbox secret, for a user proven by a session JWT. Errors are RFC 9457 ' +
            'problem details with a stable `code`.',
        },
        components: {
          securitySchemes: {
            bearerAuth: {
              type: 'http',
              scheme: 'bearer',
              bearerFormat: 'JWT',
              description: "The user's session JWT",
            },
            sessionCookie: {
              type: 'apiKey',
              in: 'cookie',
              name: 'JWT_COOKIE',
              description:
                'The session JWT in the cookie named by JWT_COOKIE, when set and no Authorization header is sent',
            },
            serviceKey: {
              type: 'http',
              scheme: 'bearer',
              description: 'A service key from VERIFY_API_KEYS (verify endpoint only)',
            },
          },
        },
        tags: [
          { name: 'identity', description: 'Identity hashes for Chatwoot' },
          { name: 'browser', description: 'The drop-in script for web pages' },
          { name: 'operations', description: 'Health, readiness and the API document' },
        ],
      },
      transform,
      transformObject,
    })
  },
  { name: 'swagger' },
)
