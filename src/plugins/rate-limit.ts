import type { FastifyInstance, FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify'
import fp from 'fastify-plugin'
import type { Config } from '../config.js'
import { Problem } from '../problems.js'
import { callerKey } from '../rate-limit-key.js'

type Hook = (request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction) => void

declare module 'fastify' {
  interface FastifyInstance {
    /**
     * Wraps an authentication hook: once it has decided, the caller is charged one request, by token
     * subject or service key when authenticated, by client address otherwise; over the limit: 429.
     * Without RATE_LIMIT_MAX the hook is returned as it is.
     */
    rateLimited(authenticate: Hook): Hook
  }
}

/** How often a failing store is logged at most while requests go on unlimited. */
const STORE_ERROR_LOG_INTERVAL_MS = 30_000

async function rateLimitPlugin(fastify: FastifyInstance, { config }: { config: Config }) {
  const limits = config.rateLimit
  if (!limits) {
    fastify.decorate('rateLimited', (authenticate: Hook) => authenticate)
    return
  }

  // Loaded only when configured: ioredis alone is a good part of the service's start-up otherwise.
  const { default: fastifyRateLimit, normalizeIP } = await import('@fastify/rate-limit')
  const { createRedis, waitUntilReady } = await import('../redis.js')
  const redis = limits.redisUrl ? createRedis(limits.redisUrl, fastify.log) : undefined
  if (redis) {
    fastify.addHook('onClose', async () => redis.disconnect())
    if (!(await waitUntilReady(redis)))
      fastify.log.warn(
        { code: 'rate_limit_store_unavailable' },
        'rate limit store not reachable at start: requests are not limited until it is',
      )
  }

  // Not global: the limit is charged by rateLimited() after authentication, on the /v1 routes only,
  // so probes and the API document are never throttled.
  await fastify.register(fastifyRateLimit, {
    global: false,
    max: limits.max,
    timeWindow: limits.windowSeconds * 1000,
    keyGenerator: (request) => callerKey(request, normalizeIP),
    redis,
    nameSpace: 'chatwoot-identity:rate-limit:',
    cache: 10_000,
    skipOnError: false,
  })
  const charge = fastify.createRateLimit()

  let lastStoreErrorLog = -Infinity
  // Fail open: the limit guards capacity, not identity (authentication still runs on every request),
  // so an unreachable Redis must not take sign-in down with it. Bounded timeouts keep this fast.
  const failOpen = (request: FastifyRequest, error: unknown) => {
    const now = Date.now()
    if (now - lastStoreErrorLog < STORE_ERROR_LOG_INTERVAL_MS) return
    lastStoreErrorLog = now
    request.log.warn(
      { code: 'rate_limit_store_unavailable', reason: (error as Error)?.message },
      'rate limit store failed: serving without a limit',
    )
  }

  fastify.decorate('rateLimited', (authenticate: Hook): Hook => (request, reply, done) => {
    authenticate(request, reply, (authError?: Error) => {
      charge(request).then(
        (result) => {
          if (result.isAllowed || !result.isExceeded) return done(authError)
          const seconds = Math.max(1, result.ttlInSeconds)
          reply.header('retry-after', String(seconds))
          done(new Problem('rate_limited', `Too many requests: retry in ${seconds} seconds`))
        },
        (error: unknown) => {
          failOpen(request, error)
          done(authError)
        },
      )
    })
  })
}

export default fp(rateLimitPlugin, { name: 'rate-limit', dependencies: ['auth'] })
