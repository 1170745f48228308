import fastifyJwt from '@fastify/jwt'
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import type { Config } from '../config.js'
import type { Claims } from '../identity.js'
import { Problem } from '../problems.js'
import { MAX_TOKEN_LENGTH, tokenProblem, verifierOptions } from '../token.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** Verifies a session JWT; throws a Problem with a stable code when it is not acceptable. */
    verifySessionToken(token: string): Claims | Promise<Claims>
  }
}

/**
 * @fastify/jwt with the key and the verifier options of the configuration. The verifier is built
 * once here; `fastify.jwt.verify(token)` without options reuses it for every request.
 */
async function jwtPlugin(fastify: FastifyInstance, { config }: { config: Config }) {
  const { jwt } = config
  if (jwt.kind === 'jwks') throw new Error('JWT_JWKS_URL is handled by the jwks plugin')
  const key = jwt.kind === 'secret' ? jwt.secret : jwt.publicKeyPem
  // Verify-only: given as the public half, no signer is ever built.
  await fastify.register(fastifyJwt, { secret: { public: key }, verify: verifierOptions(jwt) })
  const toleranceMs = jwt.clockToleranceSeconds * 1000

  fastify.decorate('verifySessionToken', (token: string): Claims => {
    if (token.length > MAX_TOKEN_LENGTH)
      throw new Problem('token_too_large', `Tokens are limited to ${MAX_TOKEN_LENGTH} characters`)
    let claims: Claims
    try {
      claims = fastify.jwt.verify<Claims>(token)
    } catch (error) {
      throw tokenProblem(error)
    }
    checkIssuedAt(claims, toleranceMs)
    return claims
  })
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

export default fp(jwtPlugin, { name: 'jwt' })
