import { hash } from 'node:crypto'
import { parseCookie } from 'cookie'
import type { FastifyInstance, FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify'
import fp from 'fastify-plugin'
import type { Config } from '../config.js'
import { Secret } from '../constant-time.js'
import type { Claims } from '../identity.js'
import { Problem } from '../problems.js'
import { bearerFromHeader } from '../token.js'

declare module 'fastify' {
  interface FastifyRequest {
    /** Claims of the verified session token, when the request was authenticated by one. */
    claims: Claims | null
    /** Which service key authenticated the request: a digest prefix, never the key (for rate limiting). */
    serviceKeyId: string | null
  }
  interface FastifyInstance {
    /** onRequest hook: a valid session JWT is required. */
    requireSession: AuthHook
    /** onRequest hook: a service key from VERIFY_API_KEYS or a valid session JWT is required. */
    requireServiceOrSession: AuthHook
    /** The id of the VERIFY_API_KEYS key presented (see apiKeyMatcher), or undefined. */
    matchServiceKey(presented: string): string | undefined
  }
}

type AuthHook = (request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction) => void

/**
 * Checks a presented key against every configured one in constant time, whatever matches or not.
 * Answers the matching key's id (a SHA-256 prefix, safe to use as a counter name) or undefined.
 */
export function apiKeyMatcher(keys: readonly string[]): (presented: string) => string | undefined {
  const known = keys.map((key) => ({
    secret: new Secret(key),
    id: hash('sha256', key, 'hex').slice(0, 16),
  }))
  return (presented) => {
    let matched: string | undefined
    for (const { secret, id } of known) if (secret.matches(presented)) matched = id
    return matched
  }
}

async function authPlugin(fastify: FastifyInstance, { config }: { config: Config }) {
  const cookieName = config.jwt.cookie
  const serviceKeyId = apiKeyMatcher(config.verifyApiKeys)
  const missing = () =>
    new Problem(
      'missing_token',
      cookieName
        ? `Send Authorization: Bearer <token> or the ${cookieName} cookie`
        : 'Send Authorization: Bearer <token>',
    )

  fastify.decorate('matchServiceKey', serviceKeyId)
  fastify.decorateRequest('claims', null)
  fastify.decorateRequest('serviceKeyId', null)

  /**
   * The Authorization header alone counts when present; else the session cookie, when configured.
   * Cookies are only ever read, so the parser alone: @fastify/cookie adds an onSend hook to every route.
   */
  function credential(request: FastifyRequest): { token: string; fromHeader: boolean } {
    const header = request.headers.authorization
    if (header !== undefined) return { token: bearerFromHeader(header), fromHeader: true }
    if (cookieName !== undefined && request.headers.cookie !== undefined) {
      const token = parseCookie(request.headers.cookie)[cookieName]
      if (token) return { token, fromHeader: false }
    }
    throw missing()
  }

  // Synchronous keys verify without a promise per request; JWKS keys may need one.
  function authenticate(request: FastifyRequest, token: string, done: HookHandlerDoneFunction) {
    const claims = fastify.verifySessionToken(token)
    if (claims instanceof Promise) {
      claims.then((value) => {
        request.claims = value
        done()
      }, done)
    } else {
      request.claims = claims
      done()
    }
  }

  fastify.decorate(
    'requireSession',
    (request: FastifyRequest, _reply: FastifyReply, done: HookHandlerDoneFunction) => {
      try {
        authenticate(request, credential(request).token, done)
      } catch (error) {
        done(error as Error)
      }
    },
  )

  fastify.decorate(
    'requireServiceOrSession',
    (request: FastifyRequest, _reply: FastifyReply, done: HookHandlerDoneFunction) => {
      try {
        const { token, fromHeader } = credential(request)
        const keyId = fromHeader ? serviceKeyId(token) : undefined
        if (keyId !== undefined) {
          request.serviceKeyId = keyId
          return done()
        }
        authenticate(request, token, done)
      } catch (error) {
        done(error as Error)
      }
    },
  )
}

export default fp(authPlugin, { name: 'auth', dependencies: ['jwt'] })
