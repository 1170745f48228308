import { createSigner } from 'fast-jwt'
import { ConfigError, loadJwtConfig } from '../config.js'
import { command, required } from './args.js'
import { EXIT, failure, usageError } from './errors.js'

const MAX_TTL_SECONDS = 86_400

export const token = command({
  summary: 'mint a session JWT for testing, signed with JWT_SECRET',
  help: `Usage: chatwoot-identity token --sub ID [--ttl SECONDS]

FOR TESTING ONLY. Prints a session JWT the service accepts, signed with the configured JWT_SECRET
(HMAC; the first of JWT_ALGORITHMS, HS256 by default): the identifier in sub (and in
IDENTIFIER_CLAIM when that is another claim), iss and aud from the first JWT_ISSUER and
JWT_AUDIENCE when set, valid for --ttl seconds. Real session tokens come from your login system;
anyone who holds JWT_SECRET can mint a token for any user.

Options:
  --sub ID         the identifier the token proves (required)
  --ttl SECONDS    lifetime, 1 to ${MAX_TTL_SECONDS}; default 3600
  -h, --help       show this help

Exit status: 0 printed, 2 usage error, 3 cannot be done (no JWT_SECRET configured).
`,
  options: { sub: { type: 'string' }, ttl: { type: 'string' } },
  run(values, env) {
    const sub = required(values.sub, 'sub')
    const ttl = Number(values.ttl ?? 3600)
    if (!/^\d+$/.test(values.ttl ?? '3600') || ttl < 1 || ttl > MAX_TTL_SECONDS)
      throw usageError(`--ttl must be a whole number of seconds from 1 to ${MAX_TTL_SECONDS}`)
    let jwt: ReturnType<typeof loadJwtConfig>['jwt']
    try {
      jwt = loadJwtConfig(env).jwt
    } catch (error) {
      if (error instanceof ConfigError) throw failure(`configuration error: ${error.message}`)
      throw error
    }
    if (jwt.kind !== 'secret') {
      throw failure(
        `token needs JWT_SECRET: this configuration verifies with ${jwt.kind === 'jwks' ? 'JWT_JWKS_URL' : 'JWT_PUBLIC_KEY'}, whose private key this tool never has`,
      )
    }
    const sign = createSigner({
      key: jwt.secret,
      algorithm: jwt.algorithms[0],
      expiresIn: ttl * 1000,
      ...(jwt.issuers?.[0] ? { iss: jwt.issuers[0] } : {}),
      ...(jwt.audiences?.[0] ? { aud: jwt.audiences[0] } : {}),
    })
    // An exact top-level key is what the service looks up first, dotted or not.
    const claims: Record<string, string> = { sub, [jwt.identifierClaim]: sub }
    process.stderr.write(
      `chatwoot-identity: FOR TESTING ONLY: a token for "${sub}", valid ${ttl} s, signed with JWT_SECRET; never hand such tokens to real users\n`,
    )
    process.stdout.write(`${sign(claims)}\n`)
    return EXIT.ok
  },
})
