import fastifyJwt from '@fastify/jwt'
import { createVerifier } from 'fast-jwt'
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import type { Config } from '../config.js'
import type { Claims } from '../identity.js'
import { KeySet, type VerificationKey } from '../jwks.js'
import { Problem } from '../problems.js'
import { VerifiedTokenCache } from '../token-cache.js'
import { checkVerified, MAX_TOKEN_LENGTH, tokenHeader, tokenProblem, verifierOptions } from '../token.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** Verifies a session JWT; throws a Problem with a stable code when it is not acceptable. */
    verifySessionToken(token: string): Claims | Promise<Claims>
    /** The identity provider's key set, when JWT_JWKS_URL is configured. */
    keySet: KeySet | undefined
  }
}

type Verify = (token: string) => Claims

/** Verified tokens remembered (see VerifiedTokenCache): about a session per user for 10,000 users. */
export const VERIFIED_TOKEN_CACHE_ENTRIES = 10_000

/** Session JWT verification. Verifiers are built once (per key for JWKS), never per request. */
async function jwtPlugin(fastify: FastifyInstance, { config }: { config: Config }) {
  const { jwt } = config
  const toleranceMs = jwt.clockToleranceSeconds * 1000
  let verify: (token: string) => Claims | Promise<Claims>

  if (jwt.kind === 'jwks') {
    const keySet = jwksKeySet(fastify, config)
    fastify.decorate('keySet', keySet)
    // One verifier per key, pinned to that key's algorithm; rebuilt only when a refresh brings new keys.
    const verifiers = new WeakMap<VerificationKey, Verify>()
    const verifierFor = (key: VerificationKey): Verify => {
      let verifier = verifiers.get(key)
      if (!verifier) {
        verifier = createVerifier({ ...verifierOptions(jwt), algorithms: [key.alg], key: key.pem }) as Verify
        verifiers.set(key, verifier)
      }
      return verifier
    }
    verify = (token) => {
      const key = keySet.keyFor(tokenHeader(token))
      return key instanceof Promise ? key.then((k) => verifierFor(k)(token)) : verifierFor(key)(token)
    }
  } else {
    fastify.decorate('keySet', undefined)
    const key = jwt.kind === 'secret' ? jwt.secret : jwt.publicKeyPem
    // Verify-only: given as the public half, no signer is ever built.
    await fastify.register(fastifyJwt, { secret: { public: key }, verify: verifierOptions(jwt) })
    verify = (token) => fastify.jwt.verify<Claims>(token)
  }

  // With JWKS, entries belong to one key-set generation and stale keys are refused before any hit.
  const cache = new VerifiedTokenCache(VERIFIED_TOKEN_CACHE_ENTRIES, toleranceMs)
  const { keySet } = fastify
  const generation = () => keySet?.generation ?? 0

  const checked = (token: string, claims: Claims) => {
    checkVerified(token, claims)
    checkIssuedAt(claims, toleranceMs)
    cache.set(token, claims, Date.now(), generation())
    return claims
  }

  fastify.decorate('verifySessionToken', (token: string): Claims | Promise<Claims> => {
    if (token.length > MAX_TOKEN_LENGTH) {
      throw new Problem('token_too_large', `Tokens are limited to ${MAX_TOKEN_LENGTH} characters`)
    }
    const hit = cache.get(token, Date.now(), generation())
    if (hit !== undefined) {
      if (keySet && !keySet.usable())
        throw new Problem('not_ready', 'The identity provider keys are not available')
      return hit
    }
    let result: Claims | Promise<Claims>
    try {
      result = verify(token)
    } catch (error) {
      throw tokenProblem(error)
    }
    if (result instanceof Promise) {
      return result.then(
        (claims) => checked(token, claims),
        (error) => {
          throw tokenProblem(error)
        },
      )
    }
    return checked(token, result)
  })
}

function jwksKeySet(fastify: FastifyInstance, config: Config): KeySet {
  const { jwt, jwks } = config
  if (jwt.kind !== 'jwks') throw new Error('not a JWKS configuration')
  const { metrics } = fastify
  const keySet = new KeySet(
    { url: jwt.url, algorithms: jwt.algorithms, ...jwks },
    {
      fetched(outcome, detail, keyCount) {
        metrics.jwksFetches.inc(outcome)
        metrics.jwksKeys.set(keyCount)
        // The URL is configuration, not a secret; the detail never holds key material.
        if (outcome === 'ok')
          fastify.log.info({ outcome, keys: keyCount, detail: detail || undefined }, 'jwks fetched')
        else
          fastify.log.warn(
            { outcome, detail, keptKeys: keyCount },
            'jwks fetch failed; keeping the last good keys',
          )
      },
    },
  )
  metrics.sources.jwksAgeSeconds = () => keySet.ageSeconds()
  fastify.readiness.require('jwt_keys', () => keySet.usable())
  keySet.start()
  fastify.addHook('onClose', async () => keySet.close())
  return keySet
}

/** fast-jwt leaves `iat` alone unless maxAge is set; a token issued in the future is not valid yet. */
export function checkIssuedAt(claims: Claims, toleranceMs: number, now = Date.now()): void {
  const iat = claims.iat
  if (iat === undefined) return
  if (typeof iat !== 'number' || !Number.isFinite(iat))
    throw new Problem('claim_invalid', 'The token iat claim is invalid')
  if (iat * 1000 > now + toleranceMs)
    throw new Problem('token_not_yet_valid', 'The token was issued in the future')
}

export default fp(jwtPlugin, { name: 'jwt', dependencies: ['metrics', 'readiness'] })
