import { isUtf8 } from 'node:buffer'
import { TokenError } from 'fast-jwt'
import type { Config } from './config.js'
import type { Claims } from './identity.js'
import { Problem } from './problems.js'

// Token verification rules, independent of Fastify: how a token is found, which options pin the
// verifier, and how a verifier's error becomes a stable problem code.

/** Longest token accepted: anything larger is refused before any parsing. */
export const MAX_TOKEN_LENGTH = 8192

// RFC 6750 b64token, with the scheme matched case-insensitively and one or more spaces before it.
const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i

export type CredentialSource = 'header' | 'cookie'

/**
 * The credential a request carries: the Authorization header when present (it alone counts, SPEC.md),
 * else the session cookie. `undefined` when there is none; a Problem when the header is malformed.
 */
export function bearerFromHeader(header: string): string {
  if (header.length > MAX_TOKEN_LENGTH + 64)
    throw new Problem('token_too_large', `Tokens are limited to ${MAX_TOKEN_LENGTH} characters`)
  const match = BEARER.exec(header)
  if (!match) throw new Problem('invalid_authorization', 'Expected "Authorization: Bearer <token>"')
  return match[1] as string
}

/**
 * The protected header of a compact JWS, decoded only to pick a key (kid, alg); the verifier checks
 * the whole token again. Anything that is not three segments with a JSON object header is malformed.
 */
export function tokenHeader(token: string): { kid?: unknown; alg?: unknown } {
  const dot = token.indexOf('.')
  if (dot <= 0 || token.indexOf('.', dot + 1) < 0 || token.split('.').length !== 3) {
    throw new Problem('token_malformed', 'The token is not a compact JWS (three segments)')
  }
  let header: unknown
  try {
    header = JSON.parse(Buffer.from(token.slice(0, dot), 'base64url').toString('utf8'))
  } catch {
    throw new Problem('token_malformed', 'The token header is not JSON')
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) {
    throw new Problem('token_malformed', 'The token header is not a JSON object')
  }
  return header
}

/**
 * What fast-jwt lets through once a signature has verified, checked on the bytes it verified:
 * - header and payload must be well-formed UTF-8 (RFC 7515 §5.2, RFC 7519 §7.2). Decoding is lossy,
 *   so "a\xff" and "a\xfe" would both become the identifier "a\uFFFD": two users, one Chatwoot contact.
 * - no `crit` at all: this service understands no extension, and fast-jwt skips a falsy `crit`
 *   ("", null, false, 0) instead of refusing it (RFC 7515 §4.1.11 wants a non-empty array).
 * - `exp` must be finite: `1e400` parses as Infinity, a token that never expires.
 */
export function checkVerified(token: string, claims: Claims): void {
  const first = token.indexOf('.')
  const header = Buffer.from(token.slice(0, first), 'base64url')
  if (!isUtf8(header) || !isUtf8(Buffer.from(token.slice(first + 1, token.lastIndexOf('.')), 'base64url')))
    throw new Problem('token_malformed', 'The token is not UTF-8')
  // A member named crit is spelled out or escaped: parse the header again only then.
  const text = header.toString('latin1')
  if ((text.includes('crit') || text.includes('\\')) && Object.hasOwn(JSON.parse(text), 'crit'))
    throw new Problem('token_malformed', 'The token names extensions this service does not understand')
  if (claims.exp === Number.POSITIVE_INFINITY)
    throw new Problem('claim_invalid', 'The token exp claim is invalid')
}

/** Options for fast-jwt's verifier: algorithms pinned, `exp` required, `iss`/`aud` required when configured. */
export function verifierOptions(jwt: Config['jwt']) {
  const requiredClaims = ['exp']
  if (jwt.issuers) requiredClaims.push('iss')
  if (jwt.audiences) requiredClaims.push('aud')
  return {
    algorithms: [...jwt.algorithms],
    requiredClaims,
    ...(jwt.issuers ? { allowedIss: [...jwt.issuers] } : {}),
    ...(jwt.audiences ? { allowedAud: [...jwt.audiences] } : {}),
    clockTolerance: jwt.clockToleranceSeconds * 1000,
    // Verified tokens are never cached here: a cache could outlive a key or a secret.
    cache: false,
    errorCacheTTL: -1,
  }
}

const CLAIM_IN_MESSAGE = /(?:The|of) (\w+) claim/

/** A verifier error as a Problem with a stable code; the library's own message stays in logs only. */
export function tokenProblem(error: unknown): Problem {
  if (error instanceof Problem) return error
  const original = (error as { originalError?: unknown } | null)?.originalError
  if (original instanceof Problem) return original
  const code = (error as { code?: string } | null)?.code
  const message = error instanceof Error ? error.message : ''
  const claim = CLAIM_IN_MESSAGE.exec(message)?.[1]
  switch (code) {
    case TokenError.codes.expired:
      return new Problem('token_expired', 'The token has expired')
    case TokenError.codes.inactive:
      return new Problem('token_not_yet_valid', 'The token is not valid yet')
    case TokenError.codes.invalidAlgorithm:
      return new Problem('algorithm_not_allowed', 'The token algorithm is not allowed')
    // verifyError: a signature the key cannot even parse (an ES256 one of the wrong length, or DER).
    case TokenError.codes.invalidSignature:
    case TokenError.codes.missingSignature:
    case TokenError.codes.verifyError:
      return new Problem('invalid_signature', 'The token signature is invalid')
    case TokenError.codes.missingRequiredClaim:
      return new Problem(
        'claim_missing',
        claim ? `The token has no ${claim} claim` : 'A required claim is missing',
      )
    case TokenError.codes.invalidClaimValue:
    case TokenError.codes.invalidClaimType:
      if (claim === 'iss') return new Problem('invalid_issuer', 'The token issuer is not allowed')
      if (claim === 'aud') return new Problem('invalid_audience', 'The token audience is not allowed')
      return new Problem(
        'claim_invalid',
        claim ? `The token ${claim} claim is invalid` : 'A token claim is invalid',
      )
    case TokenError.codes.malformed:
    case TokenError.codes.invalidType:
    case TokenError.codes.invalidPayload:
    case TokenError.codes.invalidCritHeader:
      return new Problem('token_malformed', 'The token is malformed')
    case TokenError.codes.invalidKey:
    case TokenError.codes.missingKey:
    case TokenError.codes.keyFetchingError:
      return new Problem('unknown_key', 'The token is not signed by a known key')
    default:
      return new Problem('invalid_token', 'The token is invalid')
  }
}
