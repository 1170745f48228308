import { createPublicKey, type KeyObject } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { z } from 'zod'
import { ConfigError } from './config-error.js'
import { parseCorsOrigins } from './cors-origins.js'
import { PROFILE_FIELDS, type ProfileField } from './identity.js'
import {
  addInboxSecret,
  canonicalInboxName,
  type InboxSecret,
  mergeInboxSecrets,
  readSecretsFile,
} from './secrets.js'
import { parseTrustProxy, type TrustProxy } from './trust-proxy.js'

export { ConfigError }

// The environment of SPEC.md, read and validated once into one immutable object.

export type Env = Readonly<Record<string, string | undefined>>

export const HMAC_ALGORITHMS = ['HS256', 'HS384', 'HS512'] as const
export const RSA_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512'] as const
export const ASYMMETRIC_ALGORITHMS = [...RSA_ALGORITHMS, 'ES256', 'ES384', 'ES512', 'EdDSA'] as const
export type Algorithm = (typeof HMAC_ALGORITHMS)[number] | (typeof ASYMMETRIC_ALGORITHMS)[number]
const ALL_ALGORITHMS: readonly string[] = [...HMAC_ALGORITHMS, ...ASYMMETRIC_ALGORITHMS]

/** Shortest HMAC secret per algorithm: RFC 7518 asks for a key at least as long as the hash. */
const MIN_SECRET_BYTES = { HS256: 32, HS384: 48, HS512: 64 } as const

export type JwtKeyConfig =
  | { readonly kind: 'secret'; readonly secret: string }
  | { readonly kind: 'public-key'; readonly publicKeyPem: string; readonly keyType: string }
  | { readonly kind: 'jwks'; readonly url: string }

export interface Config {
  readonly port: number
  readonly host: string
  readonly logLevel: string
  readonly logRequests: boolean
  readonly jwt: JwtKeyConfig & {
    readonly algorithms: readonly Algorithm[]
    readonly issuers: readonly string[] | undefined
    readonly audiences: readonly string[] | undefined
    readonly clockToleranceSeconds: number
    readonly cookie: string | undefined
    readonly identifierClaim: string
  }
  readonly jwks: {
    readonly cacheSeconds: number
    readonly cooldownSeconds: number
    readonly timeoutSeconds: number
    readonly maxStaleSeconds: number
  }
  /** Inboxes from CHATWOOT_INBOX_<NAME>_SECRET; never reloaded. */
  readonly envInboxes: ReadonlyMap<string, InboxSecret>
  /** SECRETS_FILE, with the set it held at start. */
  readonly secretsFile:
    { readonly path: string; readonly inboxes: ReadonlyMap<string, InboxSecret> } | undefined
  readonly verifyApiKeys: readonly string[]
  readonly shutdown: { readonly drainSeconds: number; readonly timeoutSeconds: number }
  readonly bodyLimit: number
  /** Serve /metrics on this port only (not on the public listener). */
  readonly metricsPort: number | undefined
  /** The claim of each configured profile field (NAME_CLAIM, ...); unconfigured fields are absent. */
  readonly profileClaims: ReadonlyArray<readonly [ProfileField, string]>
  /** Exact browser origins allowed to call the identity endpoints with credentials; empty: no CORS. */
  readonly corsOrigins: readonly string[]
  /** Who may set X-Forwarded-For (Fastify's trustProxy). */
  readonly trustProxy: TrustProxy
  /** Per-caller limit; undefined (RATE_LIMIT_MAX unset) means no limit and no plugin at all. */
  readonly rateLimit: RateLimitConfig | undefined
}

export interface RateLimitConfig {
  readonly max: number
  readonly windowSeconds: number
  /** Counters live in this Redis when set, so every replica enforces one limit. Holds a password at times. */
  readonly redisUrl: string | undefined
}

/** The variables that may carry a secret, and so may be given as `<NAME>_FILE` instead. */
const SECRET_VARIABLES = ['JWT_SECRET', 'JWT_PUBLIC_KEY', 'VERIFY_API_KEYS', 'RATE_LIMIT_REDIS_URL'] as const
const INBOX_VARIABLE = /^CHATWOOT_INBOX_(.+)_SECRET(_FILE)?$/

/** `X` or the content of the file named by `X_FILE` (one trailing newline removed); never both. */
function readVariable(env: Env, name: string): string | undefined {
  const direct = nonEmpty(env[name])
  const file = nonEmpty(env[`${name}_FILE`])
  if (direct !== undefined && file !== undefined)
    throw new ConfigError(name, `set either ${name} or ${name}_FILE, not both`)
  if (file === undefined) return direct
  let content: string
  try {
    content = readFileSync(file, 'utf8')
  } catch (error) {
    throw new ConfigError(
      `${name}_FILE`,
      `cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? 'error'})`,
    )
  }
  content = content.replace(/\r?\n$/, '')
  if (content.length === 0) throw new ConfigError(`${name}_FILE`, `${file} is empty`)
  return content
}

// An empty variable counts as unset, as compose files and shells often leave `X=` behind.
const nonEmpty = (value: string | undefined) => (value === undefined || value === '' ? undefined : value)

const seconds = (fallback: number, min = 0, max = 31_536_000) =>
  z
    .string()
    .regex(/^\d+(\.\d+)?$/, 'must be a number of seconds')
    .transform(Number)
    .pipe(z.number().min(min, `must be at least ${min}`).max(max, `must be at most ${max}`))
    .default(fallback)

const list = z.string().transform((value) =>
  value
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item.length > 0),
)

// IDENTIFIER_CLAIM and the profile claims: an exact key, else a dotted path (see lookupClaim).
const claimPath = z
  .string()
  .refine(
    (value) => value.split('.').every((segment) => segment !== ''),
    'must be a claim name or a dotted path without empty segments',
  )

/** The variable naming each profile field's claim; unset: the field is never included. */
export const PROFILE_CLAIM_VARIABLES = {
  name: 'NAME_CLAIM',
  email: 'EMAIL_CLAIM',
  avatar_url: 'AVATAR_URL_CLAIM',
  phone_number: 'PHONE_NUMBER_CLAIM',
} as const satisfies Record<ProfileField, string>

const bool = (fallback: boolean) =>
  z
    .enum(['true', 'false', '1', '0', 'yes', 'no'], { error: 'must be true or false' })
    .transform((value) => value === 'true' || value === '1' || value === 'yes')
    .default(fallback)

const PlainSchema = z.object({
  PORT: z
    .string()
    .regex(/^\d+$/, 'must be a port number')
    .transform(Number)
    .pipe(z.number().max(65535, 'must be at most 65535'))
    .default(8080),
  HOST: z.string().default('0.0.0.0'),
  LOG_LEVEL: z
    .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], {
      error: 'must be one of fatal, error, warn, info, debug, trace, silent',
    })
    .default('info'),
  LOG_REQUESTS: bool(false),
  JWT_JWKS_URL: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).optional(),
  JWT_ISSUER: list.optional(),
  JWT_AUDIENCE: list.optional(),
  JWT_ALGORITHMS: list.optional(),
  JWT_CLOCK_TOLERANCE_SECONDS: seconds(30, 0, 600),
  JWT_COOKIE: z
    .string()
    .regex(/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/, 'must be a valid cookie name')
    .optional(),
  IDENTIFIER_CLAIM: claimPath.default('sub'),
  NAME_CLAIM: claimPath.optional(),
  EMAIL_CLAIM: claimPath.optional(),
  AVATAR_URL_CLAIM: claimPath.optional(),
  PHONE_NUMBER_CLAIM: claimPath.optional(),
  CORS_ORIGINS: z.string().optional(),
  SECRETS_FILE: z.string().optional(),
  JWKS_CACHE_SECONDS: seconds(600, 1),
  JWKS_COOLDOWN_SECONDS: seconds(30, 0),
  JWKS_TIMEOUT_SECONDS: seconds(5, 0.1, 120),
  JWKS_MAX_STALE_SECONDS: seconds(86_400, 0),
  METRICS_PORT: z
    .string()
    .regex(/^\d+$/, 'must be a port number')
    .transform(Number)
    .pipe(z.number().max(65535, 'must be at most 65535'))
    .optional(),
  SHUTDOWN_DRAIN_SECONDS: seconds(2, 0, 3600),
  SHUTDOWN_TIMEOUT_SECONDS: seconds(8, 0.5, 3600),
  TRUST_PROXY: z.string().optional(),
  RATE_LIMIT_MAX: z
    .string()
    .regex(/^\d+$/, 'must be a whole number of requests')
    .transform(Number)
    .pipe(
      z
        .number()
        .min(1, 'must be at least 1 (leave it unset for no limit)')
        .max(1_000_000_000, 'must be at most 1000000000'),
    )
    .optional(),
  RATE_LIMIT_WINDOW_SECONDS: z
    .string()
    .regex(/^\d+$/, 'must be a whole number of seconds')
    .transform(Number)
    .pipe(z.number().min(1, 'must be at least 1').max(86_400, 'must be at most 86400'))
    .optional(),
})

const PLAIN_VARIABLES = Object.keys(PlainSchema.shape)

/** Parses and validates `env`; throws a ConfigError naming the variable on the first problem. */
export function loadConfig(env: Env = process.env): Config {
  const raw: Record<string, string> = {}
  for (const name of PLAIN_VARIABLES) {
    const value = nonEmpty(env[name])
    if (value !== undefined) raw[name] = value
  }
  const parsed = PlainSchema.safeParse(raw)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    throw new ConfigError(String(issue?.path[0] ?? 'environment'), issue?.message ?? 'is invalid')
  }
  const plain = parsed.data

  const secrets = Object.fromEntries(
    SECRET_VARIABLES.map((name) => [name, readVariable(env, name)]),
  ) as Record<(typeof SECRET_VARIABLES)[number], string | undefined>

  const jwtKey = jwtKeyConfig(secrets.JWT_SECRET, secrets.JWT_PUBLIC_KEY, plain.JWT_JWKS_URL)
  const algorithms = jwtAlgorithms(jwtKey, plain.JWT_ALGORITHMS)
  if (jwtKey.kind === 'secret') {
    const needed = Math.max(
      ...algorithms.map((alg) => MIN_SECRET_BYTES[alg as keyof typeof MIN_SECRET_BYTES] ?? 32),
    )
    const bytes = Buffer.byteLength(jwtKey.secret, 'utf8')
    if (bytes < needed)
      throw new ConfigError(
        'JWT_SECRET',
        `must be at least ${needed} bytes for ${algorithms.join(', ')} (it has ${bytes})`,
      )
  }
  if (jwtKey.kind === 'jwks') {
    if (!plain.JWT_ISSUER?.length) throw new ConfigError('JWT_ISSUER', 'is required with JWT_JWKS_URL')
    if (!plain.JWT_AUDIENCE?.length) throw new ConfigError('JWT_AUDIENCE', 'is required with JWT_JWKS_URL')
  }
  if (plain.JWT_ISSUER && plain.JWT_ISSUER.length === 0)
    throw new ConfigError('JWT_ISSUER', 'lists no issuer')
  if (plain.JWT_AUDIENCE && plain.JWT_AUDIENCE.length === 0)
    throw new ConfigError('JWT_AUDIENCE', 'lists no audience')
  const profileClaims = PROFILE_FIELDS.flatMap((field) => {
    const claim = plain[PROFILE_CLAIM_VARIABLES[field]]
    return claim === undefined ? [] : [[field, claim] as const]
  })
  const corsOrigins = plain.CORS_ORIGINS === undefined ? [] : parseCorsOrigins(plain.CORS_ORIGINS)

  const envInboxes = readEnvInboxes(env)
  const secretsFile = plain.SECRETS_FILE
    ? { path: plain.SECRETS_FILE, inboxes: readSecretsFile(plain.SECRETS_FILE) }
    : undefined
  const merged = mergeInboxSecrets('SECRETS_FILE', envInboxes, secretsFile?.inboxes ?? new Map())
  if (merged.size === 0) {
    throw new ConfigError(
      secretsFile ? 'SECRETS_FILE' : 'CHATWOOT_INBOX_<NAME>_SECRET',
      secretsFile
        ? `${secretsFile.path} holds no inbox and no CHATWOOT_INBOX_<NAME>_SECRET is set`
        : 'no inbox is configured (set CHATWOOT_INBOX_<NAME>_SECRET or SECRETS_FILE)',
    )
  }

  const verifyApiKeys =
    secrets.VERIFY_API_KEYS?.split(',')
      .map((key) => key.trim())
      .filter((key) => key.length > 0) ?? []
  verifyApiKeys.forEach((key, index) => {
    if (key.length < 32)
      throw new ConfigError('VERIFY_API_KEYS', `key #${index + 1} is shorter than 32 characters`)
    if (!/^[A-Za-z0-9\-._~+/]+=*$/.test(key)) {
      throw new ConfigError('VERIFY_API_KEYS', `key #${index + 1} has characters a Bearer token cannot carry`)
    }
  })

  if (plain.METRICS_PORT !== undefined && plain.METRICS_PORT !== 0 && plain.METRICS_PORT === plain.PORT) {
    throw new ConfigError('METRICS_PORT', 'must differ from PORT')
  }
  if (plain.SHUTDOWN_DRAIN_SECONDS >= plain.SHUTDOWN_TIMEOUT_SECONDS) {
    throw new ConfigError('SHUTDOWN_DRAIN_SECONDS', 'must be shorter than SHUTDOWN_TIMEOUT_SECONDS')
  }

  const rateLimit = rateLimitConfig(
    plain.RATE_LIMIT_MAX,
    plain.RATE_LIMIT_WINDOW_SECONDS,
    secrets.RATE_LIMIT_REDIS_URL,
  )

  return deepFreeze({
    port: plain.PORT,
    host: plain.HOST,
    logLevel: plain.LOG_LEVEL,
    logRequests: plain.LOG_REQUESTS,
    jwt: {
      ...jwtKey,
      algorithms,
      issuers: plain.JWT_ISSUER,
      audiences: plain.JWT_AUDIENCE,
      clockToleranceSeconds: plain.JWT_CLOCK_TOLERANCE_SECONDS,
      cookie: plain.JWT_COOKIE,
      identifierClaim: plain.IDENTIFIER_CLAIM,
    },
    jwks: {
      cacheSeconds: plain.JWKS_CACHE_SECONDS,
      cooldownSeconds: plain.JWKS_COOLDOWN_SECONDS,
      timeoutSeconds: plain.JWKS_TIMEOUT_SECONDS,
      maxStaleSeconds: plain.JWKS_MAX_STALE_SECONDS,
    },
    envInboxes,
    secretsFile,
    verifyApiKeys,
    shutdown: { drainSeconds: plain.SHUTDOWN_DRAIN_SECONDS, timeoutSeconds: plain.SHUTDOWN_TIMEOUT_SECONDS },
    bodyLimit: 16 * 1024,
    metricsPort: plain.METRICS_PORT,
    profileClaims,
    corsOrigins,
    trustProxy: parseTrustProxy(plain.TRUST_PROXY),
    rateLimit,
  })
}

function rateLimitConfig(
  max: number | undefined,
  windowSeconds: number | undefined,
  redisUrl: string | undefined,
): RateLimitConfig | undefined {
  if (max === undefined) {
    // Set without a max it would silently do nothing: most likely a forgotten RATE_LIMIT_MAX.
    if (windowSeconds !== undefined)
      throw new ConfigError('RATE_LIMIT_WINDOW_SECONDS', 'is set but RATE_LIMIT_MAX is not (no limit)')
    if (redisUrl !== undefined)
      throw new ConfigError('RATE_LIMIT_REDIS_URL', 'is set but RATE_LIMIT_MAX is not (no limit)')
    return undefined
  }
  if (redisUrl !== undefined) checkRedisUrl(redisUrl)
  return { max, windowSeconds: windowSeconds ?? 60, redisUrl }
}

/** The URL may hold a password: problems are described, the value is never repeated. */
function checkRedisUrl(value: string): void {
  let url: URL
  try {
    url = new URL(value)
  } catch {
    throw new ConfigError('RATE_LIMIT_REDIS_URL', 'is not a URL (redis://[:password@]host[:port][/db])')
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:')
    throw new ConfigError('RATE_LIMIT_REDIS_URL', 'must start with redis:// or rediss:// (TLS)')
  if (url.hostname === '') throw new ConfigError('RATE_LIMIT_REDIS_URL', 'names no host')
  if (url.pathname !== '' && url.pathname !== '/' && !/^\/\d{1,2}$/.test(url.pathname))
    throw new ConfigError('RATE_LIMIT_REDIS_URL', 'path must be a database number, e.g. /0')
}

function jwtKeyConfig(
  secret: string | undefined,
  publicKey: string | undefined,
  jwksUrl: string | undefined,
): JwtKeyConfig {
  const given = [secret && 'JWT_SECRET', publicKey && 'JWT_PUBLIC_KEY', jwksUrl && 'JWT_JWKS_URL'].filter(
    Boolean,
  )
  if (given.length === 0)
    throw new ConfigError('JWT_SECRET', 'no JWT key: set one of JWT_SECRET, JWT_PUBLIC_KEY, JWT_JWKS_URL')
  if (given.length > 1)
    throw new ConfigError(
      String(given[1]),
      `only one of JWT_SECRET, JWT_PUBLIC_KEY, JWT_JWKS_URL may be set (${given.join(' and ')} are)`,
    )
  if (secret) return { kind: 'secret', secret }
  if (jwksUrl) return { kind: 'jwks', url: jwksUrl }
  return publicKeyConfig(publicKey as string)
}

function publicKeyConfig(pem: string): JwtKeyConfig {
  const text = pem.replace(/^\uFEFF/, '').trim()
  if (/PRIVATE KEY-----/.test(text)) {
    throw new ConfigError('JWT_PUBLIC_KEY', 'holds a private key; give the public key only')
  }
  let key: KeyObject
  try {
    key = createPublicKey(text)
  } catch {
    throw new ConfigError('JWT_PUBLIC_KEY', 'is not a PEM public key (SPKI, PKCS#1 or X.509 certificate)')
  }
  const keyType = describeKey(key)
  // fast-jwt wants SPKI PEM; normalising here also accepts PKCS#1 and certificates.
  return { kind: 'public-key', publicKeyPem: key.export({ type: 'spki', format: 'pem' }).toString(), keyType }
}

function describeKey(key: KeyObject): string {
  const details = key.asymmetricKeyDetails ?? {}
  switch (key.asymmetricKeyType) {
    case 'rsa':
      if ((details.modulusLength ?? 0) < 2048) {
        throw new ConfigError(
          'JWT_PUBLIC_KEY',
          `RSA key of ${details.modulusLength} bits is too short (2048 at least)`,
        )
      }
      return 'rsa'
    case 'ec':
      if (details.namedCurve === 'prime256v1') return 'ec-p256'
      if (details.namedCurve === 'secp384r1') return 'ec-p384'
      if (details.namedCurve === 'secp521r1') return 'ec-p521'
      throw new ConfigError(
        'JWT_PUBLIC_KEY',
        `EC curve ${details.namedCurve} is not supported (P-256, P-384, P-521)`,
      )
    case 'ed25519':
      return 'ed25519'
    default:
      throw new ConfigError(
        'JWT_PUBLIC_KEY',
        `${key.asymmetricKeyType} keys are not supported (RSA, EC, Ed25519)`,
      )
  }
}

/** The algorithms each key kind can verify, the first being the default. */
function algorithmsFor(key: JwtKeyConfig): readonly Algorithm[] {
  if (key.kind === 'secret') return HMAC_ALGORITHMS
  if (key.kind === 'jwks') return ASYMMETRIC_ALGORITHMS
  switch (key.keyType) {
    case 'rsa':
      return RSA_ALGORITHMS
    case 'ec-p256':
      return ['ES256']
    case 'ec-p384':
      return ['ES384']
    case 'ec-p521':
      return ['ES512']
    default:
      return ['EdDSA']
  }
}

function jwtAlgorithms(key: JwtKeyConfig, requested: string[] | undefined): readonly Algorithm[] {
  const fitting = algorithmsFor(key)
  if (requested === undefined) return key.kind === 'jwks' ? fitting : [fitting[0] as Algorithm]
  if (requested.length === 0) throw new ConfigError('JWT_ALGORITHMS', 'lists no algorithm')
  for (const alg of requested) {
    if (alg.toLowerCase() === 'none') throw new ConfigError('JWT_ALGORITHMS', '"none" is never allowed')
    if (!ALL_ALGORITHMS.includes(alg))
      throw new ConfigError('JWT_ALGORITHMS', `"${alg}" is not a known algorithm`)
    if (!(fitting as readonly string[]).includes(alg)) {
      const source =
        key.kind === 'secret'
          ? 'JWT_SECRET'
          : key.kind === 'jwks'
            ? 'JWT_JWKS_URL'
            : `this ${key.keyType} JWT_PUBLIC_KEY`
      throw new ConfigError(
        'JWT_ALGORITHMS',
        `"${alg}" cannot be used with ${source} (fits ${fitting.join(', ')})`,
      )
    }
  }
  return [...new Set(requested)] as Algorithm[]
}

function readEnvInboxes(env: Env): Map<string, InboxSecret> {
  const inboxes = new Map<string, InboxSecret>()
  for (const variable of Object.keys(env).sort()) {
    const match = INBOX_VARIABLE.exec(variable)
    if (!match || match[2]) continue // `_FILE` variants are read through their base name
    addEnvInbox(env, inboxes, variable, match[1] as string)
  }
  for (const variable of Object.keys(env).sort()) {
    const match = INBOX_VARIABLE.exec(variable)
    const base = variable.slice(0, -'_FILE'.length)
    if (match?.[2] && nonEmpty(env[base]) === undefined) addEnvInbox(env, inboxes, base, match[1] as string)
  }
  return inboxes
}

function addEnvInbox(env: Env, inboxes: Map<string, InboxSecret>, variable: string, rawName: string): void {
  const secret = readVariable(env, variable)
  if (secret === undefined) return
  addInboxSecret(inboxes, { name: canonicalInboxName(rawName), secret, origin: variable }, variable)
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value) && !(value instanceof Map)) {
    Object.freeze(value)
    for (const inner of Object.values(value)) deepFreeze(inner)
  }
  return value
}
