import { TokenError } from 'fast-jwt'
import { describe, expect, it } from 'vitest'
import { Problem } from '../src/problems.js'
import {
  bearerFromHeader,
  checkVerified,
  MAX_TOKEN_LENGTH,
  tokenProblem,
  verifierOptions,
} from '../src/token.js'

const code = (fn: () => unknown) => {
  try {
    fn()
  } catch (error) {
    return (error as Problem).code
  }
  return 'no error'
}

describe('bearerFromHeader', () => {
  it('takes the token of a Bearer header, scheme in any case', () => {
    expect(bearerFromHeader('Bearer abc.def.ghi')).toBe('abc.def.ghi')
    expect(bearerFromHeader('bearer abc.def.ghi')).toBe('abc.def.ghi')
    expect(bearerFromHeader('BEARER   abc-_~+/=')).toBe('abc-_~+/=')
  })

  it.each([
    ['another scheme', 'Basic dXNlcjpwYXNz'],
    ['an empty bearer', 'Bearer '],
    ['only the scheme', 'Bearer'],
    ['two tokens', 'Bearer a.b.c d.e.f'],
    ['a comma-joined pair', 'Bearer a.b.c, Bearer d.e.f'],
    ['an empty header', ''],
    ['a token with invalid characters', 'Bearer a.b.c"'],
  ])('refuses %s', (_name, header) => {
    expect(code(() => bearerFromHeader(header))).toBe('invalid_authorization')
  })

  it('refuses a huge header before matching it', () => {
    expect(code(() => bearerFromHeader(`Bearer ${'a'.repeat(MAX_TOKEN_LENGTH + 100)}`))).toBe(
      'token_too_large',
    )
  })
})

describe('verifierOptions', () => {
  const jwt = {
    kind: 'secret' as const,
    secret: 'x'.repeat(32),
    algorithms: ['HS256' as const],
    issuers: undefined,
    audiences: undefined,
    clockToleranceSeconds: 30,
    cookie: undefined,
    identifierClaim: 'sub',
  }

  it('pins algorithms and requires exp', () => {
    expect(verifierOptions(jwt)).toMatchObject({
      algorithms: ['HS256'],
      requiredClaims: ['exp'],
      clockTolerance: 30_000,
    })
    expect(verifierOptions(jwt)).not.toHaveProperty('allowedIss')
  })

  it('requires iss and aud to be present when they are configured', () => {
    const options = verifierOptions({ ...jwt, issuers: ['https://idp'], audiences: ['app'] })
    expect(options.requiredClaims).toEqual(['exp', 'iss', 'aud'])
    expect(options).toMatchObject({ allowedIss: ['https://idp'], allowedAud: ['app'] })
  })
})

describe('tokenProblem', () => {
  it.each([
    [TokenError.codes.expired, 'The token has expired at x.', 'token_expired'],
    [TokenError.codes.inactive, 'The token will be active at x.', 'token_not_yet_valid'],
    [TokenError.codes.invalidAlgorithm, 'The token algorithm is invalid.', 'algorithm_not_allowed'],
    [TokenError.codes.invalidSignature, 'The token signature is invalid.', 'invalid_signature'],
    [TokenError.codes.missingSignature, 'The token signature is missing.', 'invalid_signature'],
    [TokenError.codes.verifyError, 'Cannot verify the signature.', 'invalid_signature'],
    [TokenError.codes.missingRequiredClaim, 'The exp claim is required.', 'claim_missing'],
    [TokenError.codes.invalidClaimValue, 'The iss claim value is not allowed.', 'invalid_issuer'],
    [TokenError.codes.invalidClaimValue, 'None of aud claim values are allowed.', 'invalid_audience'],
    [TokenError.codes.invalidClaimValue, 'The aud claim value is not allowed.', 'invalid_audience'],
    [TokenError.codes.invalidClaimType, 'The exp claim must be a number.', 'claim_invalid'],
    [TokenError.codes.malformed, 'The token is malformed.', 'token_malformed'],
    [TokenError.codes.invalidCritHeader, 'Critical extension "x" is not supported.', 'token_malformed'],
    [TokenError.codes.keyFetchingError, 'Cannot fetch key.', 'unknown_key'],
    ['SOMETHING_ELSE', 'boom', 'invalid_token'],
  ])('%s (%s) -> %s', (errorCode, message, expected) => {
    const problem = tokenProblem(new TokenError(errorCode as never, message))
    expect(problem).toBeInstanceOf(Problem)
    expect(problem.code).toBe(expected)
    expect(problem.statusCode).toBe(401)
  })
})

describe('checkVerified', () => {
  const segment = (bytes: string | Buffer) => Buffer.from(bytes).toString('base64url')
  const token = (header: string | Buffer, payload: string | Buffer = '{"sub":"u","exp":1}') =>
    `${segment(header)}.${segment(payload)}.c2ln`
  const claims = { sub: 'u', exp: 1 }

  it('lets a plain token through, non-ASCII UTF-8 included', () => {
    expect(code(() => checkVerified(token('{"alg":"HS256","kid":"clé"}'), claims))).toBe('no error')
    expect(code(() => checkVerified(token('{"alg":"HS256"}', '{"sub":"Jürgen"}'), claims))).toBe('no error')
  })

  it.each([
    ['a header that is not UTF-8', token(Buffer.from([0x7b, 0xff, 0x7d]))],
    ['a payload that is not UTF-8', token('{"alg":"HS256"}', Buffer.from('{"sub":"a\xff"}', 'latin1'))],
    ['a truncated UTF-8 sequence', token('{"alg":"HS256"}', Buffer.from([0x7b, 0xc3, 0x7d]))],
    ['crit: ""', token('{"alg":"HS256","crit":""}')],
    ['crit: null', token('{"alg":"HS256","crit":null}')],
    ['crit spelled with an escape', token('{"alg":"HS256","\\u0063rit":false}')],
  ])('refuses %s as token_malformed', (_name, value) => {
    expect(code(() => checkVerified(value, claims))).toBe('token_malformed')
  })

  it('refuses an exp of Infinity (1e400 in JSON)', () => {
    expect(code(() => checkVerified(token('{"alg":"HS256"}'), { exp: JSON.parse('1e400') }))).toBe(
      'claim_invalid',
    )
  })
})
