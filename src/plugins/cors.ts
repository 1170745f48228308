import fastifyCors, { type FastifyCorsOptions } from '@fastify/cors'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'

/** The paths a browser on CORS_ORIGINS may call with credentials (cookie or Authorization). */
export const CORS_PATHS: ReadonlySet<string> = new Set(['/v1/identity', '/v1/identity/verify'])

/** What an allowed origin gets: its own origin echoed (never `*`), credentials, and a cached preflight. */
export function allowedCorsOptions(origins: readonly string[]): FastifyCorsOptions {
  return {
    origin: [...origins],
    credentials: true,
    methods: ['GET', 'POST'],
    allowedHeaders: ['Authorization', 'Content-Type'],
    // Readable by the page: the request id for support, Retry-After for the SDK's backoff.
    exposedHeaders: ['X-Request-Id', 'Retry-After'],
    maxAge: 600,
    // Every /v1 answer is no-store (SPEC.md), preflights included.
    cacheControl: 'no-store',
    // A preflight without Access-Control-Request-Method is still answered, rather than with a
    // text/plain 400 that is not a problem+json body.
    strictPreflight: false,
  }
}

// Anything else gets no CORS header at all (and its preflight falls through to a 404), so an
// unknown origin never sees Access-Control-Allow-Credentials or an echo of itself.
const DISABLED: FastifyCorsOptions = { origin: false }

const pathOf = (url: string) => {
  const query = url.indexOf('?')
  return query === -1 ? url : url.slice(0, query)
}

/**
 * @fastify/cors for the identity routes, registered only when CORS_ORIGINS is set (no cost
 * otherwise). Registered inside the routes' own scope, its hook runs for them and for the
 * wildcard OPTIONS route that answers preflights, before any authentication hook: a preflight
 * carries no credentials and must still succeed.
 */
async function corsPlugin(fastify: FastifyInstance, { origins }: { origins: readonly string[] }) {
  if (origins.length === 0) return
  const allowed = new Set(origins)
  const options = allowedCorsOptions(origins)
  await fastify.register(fastifyCors, {
    hideOptionsRoute: true,
    delegator: (request: FastifyRequest, callback) => {
      const origin = request.headers.origin
      const permitted = origin !== undefined && allowed.has(origin) && CORS_PATHS.has(pathOf(request.url))
      callback(null, permitted ? options : DISABLED)
    },
  })
}

export default fp(corsPlugin, { name: 'cors' })
