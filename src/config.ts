import { createPublicKey, type KeyObject } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { z } from 'zod'
import { MAX_SECRET_LENGTH } from './constant-time.js'
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

export interface ChatwootConfig {
  /** `{CHATWOOT_URL}/api/v1/accounts/{CHATWOOT_ACCOUNT_ID}/inboxes`. */
  readonly inboxesUrl: string
  readonly accountId: number
  /** An administrator's access token, sent as `api_access_token`; never logged. */
  readonly token: string
  /** CHATWOOT_API_TOKEN_FILE, read again before each sync so that a rotated token needs no restart. */
  readonly tokenFile: string | undefined
  readonly refreshSeconds: number
  readonly timeoutSeconds: number
}

export interface ServerConfig {
  readonly port: number
  readonly host: string
  readonly logLevel: string
  readonly logRequests: boolean
  readonly verifyApiKeys: readonly string[]
  readonly shutdown: { readonly drainSeconds: number; readonly timeoutSeconds: number }
  readonly bodyLimit: number
  /** Serve /metrics on this port only (not on the public listener). */
  readonly metricsPort: number | undefined
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

export interface JwtConfig {
  readonly jwt: JwtKeyConfig & {
    readonly algorithms: readonly Algorithm[]
    readonly issuers: readonly string[] | undefined
    readonly audiences: readonly string[] | undefined
    readonly clockToleranceSeconds: number
    readonly cookie: string | undefined
    readonly identifierClaim: string
  }
  /** The claim of each configured profile field (NAME_CLAIM, ...); unconfigured fields are absent. */
  readonly profileClaims: ReadonlyArray<readonly [ProfileField, string]>
  readonly jwks: {
    readonly cacheSeconds: number
    readonly cooldownSeconds: number
    readonly timeoutSeconds: number
    readonly maxStaleSeconds: number
  }
}

export interface InboxConfig {
  /** Inboxes from CHATWOOT_INBOX_<NAME>_SECRET; never reloaded. */
  readonly envInboxes: ReadonlyMap<string, InboxSecret>
  /** SECRETS_FILE, with the set it held at start. */
  readonly secretsFile:
    { readonly path: string; readonly inboxes: ReadonlyMap<string, InboxSecret> } | undefined
  /** The environment's and the file's inboxes merged (the same inbox in both is an error), as at start. */
  readonly localInboxes: ReadonlyMap<string, InboxSecret>
  /** Chatwoot's Application API as an inbox source, when CHATWOOT_URL is set. */
  readonly chatwoot: ChatwootConfig | undefined
}

export type Config = ServerConfig & JwtConfig & InboxConfig

/** The variables that may carry a secret, and so may be given as `<NAME>_FILE` instead. */
export const SECRET_VARIABLES = [
  'JWT_SECRET',
  'JWT_PUBLIC_KEY',
  'VERIFY_API_KEYS',
  'CHATWOOT_API_TOKEN',
  'RATE_LIMIT_REDIS_URL',
] as const
export const INBOX_VARIABLE = /^CHATWOOT_INBOX_(.+)_SECRET(_FILE)?$/

/** The content of a secret file, one trailing newline removed; a ConfigError naming `variable` otherwise. */
export function readSecretFile(variable: string, path: string): string {
  let content: string
  try {
    content = readFileSync(path, 'utf8')
  } catch (error) {
    throw new ConfigError(
      variable,
      `cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? 'error'})`,
    )
  }
  content = content.replace(/\r?\n$/, '')
  if (content.length === 0) throw new ConfigError(variable, `${path} is empty`)
  return content
}

/** `X` or the content of the file named by `X_FILE` (one trailing newline removed); never both. */
function readVariable(env: Env, name: string): string | undefined {
  const direct = nonEmpty(env[name])
  const file = nonEmpty(env[`${name}_FILE`])
  if (direct !== undefined && file !== undefined)
    throw new ConfigError(name, `set either ${name} or ${name}_FILE, not both`)
  return file === undefined ? direct : readSecretFile(`${name}_FILE`, file)
}

/** CHATWOOT_API_TOKEN goes into a header: anything but visible ASCII could not be sent, or might be echoed. */
export function checkApiToken(variable: string, token: string): string {
  if (!/^[\x21-\x7e]+$/.test(token))
    throw new ConfigError(variable, 'must be printable ASCII without spaces (an access token from Chatwoot)')
  return token
}

// An empty variable counts as unset, as compose files and shells often leave `X=` behind.
export const nonEmpty = (value: string | undefined) =>
  value === undefined || value === '' ? undefined : value

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

const bool = (fallback: boolean) =>
  z
    .enum(['true', 'false', '1', '0', 'yes', 'no'], { error: 'must be true or false' })
    .transform((value) => value === 'true' || value === '1' || value === 'yes')
    .default(fallback)

const port = z
  .string()
  .regex(/^\d+$/, 'must be a port number')
  .transform(Number)
  .pipe(z.number().max(65535, 'must be at most 65535'))

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

// The plain (non-secret) variables, one schema per part of the configuration. Every field has a
// default or is optional, so a variable that fails can be left out and the rest still checked.
const ServerSchema = z.object({
  PORT: port.default(8080),
  HOST: z.string().default('0.0.0.0'),
  LOG_LEVEL: z
    .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], {
      error: 'must be one of fatal, error, warn, info, debug, trace, silent',
    })
    .default('info'),
  LOG_REQUESTS: bool(false),
  METRICS_PORT: port.optional(),
  SHUTDOWN_DRAIN_SECONDS: seconds(2, 0, 3600),
  SHUTDOWN_TIMEOUT_SECONDS: seconds(8, 0.5, 3600),
  CORS_ORIGINS: z.string().optional(),
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

const JwtSchema = z.object({
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
  JWKS_CACHE_SECONDS: seconds(600, 1),
  JWKS_COOLDOWN_SECONDS: seconds(30, 0),
  JWKS_TIMEOUT_SECONDS: seconds(5, 0.1, 120),
  JWKS_MAX_STALE_SECONDS: seconds(86_400, 0),
})

const InboxSchema = z.object({
  SECRETS_FILE: z.string().optional(),
  CHATWOOT_URL: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).optional(),
  CHATWOOT_ACCOUNT_ID: z
    .string()
    .regex(
      /^[1-9]\d{0,14}$/,
      'must be a positive integer (the number in /app/accounts/<id>/ of Chatwoot URLs)',
    )
    .transform(Number)
    .optional(),
  CHATWOOT_REFRESH_SECONDS: seconds(300, 1, 86_400),
  CHATWOOT_TIMEOUT_SECONDS: seconds(10, 0.1, 120),
})

/** Problems found so far, in order; a check that throws a ConfigError is recorded instead. */
class Problems {
  readonly list: ConfigError[] = []

  /** Runs one check: its result, or undefined when it threw a ConfigError (recorded). */
  attempt<T>(check: () => T): T | undefined {
    try {
      return check()
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error
      this.list.push(error)
      return undefined
    }
  }

  /** Runs the checks of one part of the configuration: its result, or undefined when any failed. */
  part<T>(build: () => T | undefined): T | undefined {
    const before = this.list.length
    const result = this.attempt(build)
    return this.list.length === before ? result : undefined
  }
}

/**
 * One schema's variables from `env`: the first problem of each failing variable is recorded, and
 * the variable is left out (so the others are still checked). `failed` names the variables left out.
 */
function parsePlain<S extends z.ZodObject>(schema: S, env: Env, problems: Problems) {
  const raw: Record<string, string> = {}
  for (const name of Object.keys(schema.shape)) {
    const value = nonEmpty(env[name])
    if (value !== undefined) raw[name] = value
  }
  const failed = new Set<string>()
  const parsed = schema.safeParse(raw)
  if (parsed.success) return { plain: parsed.data as z.infer<S>, failed }
  for (const issue of parsed.error.issues) {
    const name = String(issue.path[0] ?? 'environment')
    if (failed.has(name)) continue
    failed.add(name)
    problems.list.push(new ConfigError(name, issue.message))
  }
  for (const name of failed) delete raw[name]
  return { plain: schema.parse(raw) as z.infer<S>, failed }
}

export interface ConfigReport {
  /** The whole configuration, when there is no problem at all. */
  readonly config: Config | undefined
  /** Each part that has no problem of its own (what `check-config` can still summarise). */
  readonly parts: { server?: ServerConfig; jwt?: JwtConfig; inboxes?: InboxConfig }
  /** Every problem found, in order, each naming its variable. */
  readonly problems: readonly ConfigError[]
}

/** Reads and validates `env` whole, collecting every problem instead of stopping at the first. */
export function readConfig(env: Env = process.env): ConfigReport {
  const problems = new Problems()
  const server = problems.part(() => serverConfig(env, problems))
  const jwt = problems.part(() => jwtConfig(env, problems))
  const inboxes = problems.part(() => inboxConfig(env, problems))
  const config =
    server && jwt && inboxes && problems.list.length === 0
      ? deepFreeze({ ...server, ...jwt, ...inboxes })
      : undefined
  return { config, parts: { server, jwt, inboxes }, problems: problems.list }
}

/** Parses and validates `env`; throws a ConfigError naming the variable of the first problem. */
export function loadConfig(env: Env = process.env): Config {
  const { config, problems } = readConfig(env)
  if (problems[0]) throw problems[0]
  return config as Config
}

/** Only the inbox sources (for the command line's hash and verify); throws the first problem. */
export const loadInboxConfig = (env: Env = process.env): InboxConfig =>
  loadPart((problems) => inboxConfig(env, problems))

/** Only the JWT settings (for the command line's token); throws the first problem. */
export const loadJwtConfig = (env: Env = process.env): JwtConfig =>
  loadPart((problems) => jwtConfig(env, problems))

function loadPart<T>(build: (problems: Problems) => T | undefined): T {
  const problems = new Problems()
  const part = problems.part(() => build(problems))
  if (problems.list[0]) throw problems.list[0]
  return deepFreeze(part as T)
}

function serverConfig(env: Env, problems: Problems): ServerConfig {
  const { plain } = parsePlain(ServerSchema, env, problems)
  const verifyApiKeys =
    problems
      .attempt(() => readVariable(env, 'VERIFY_API_KEYS'))
      ?.split(',')
      .map((key) => key.trim())
      .filter((key) => key.length > 0) ?? []
  verifyApiKeys.forEach((key, index) => {
    if (key.length < 32)
      problems.list.push(
        new ConfigError('VERIFY_API_KEYS', `key #${index + 1} is shorter than 32 characters`),
      )
    else if (key.length > MAX_SECRET_LENGTH)
      problems.list.push(
        new ConfigError(
          'VERIFY_API_KEYS',
          `key #${index + 1} is longer than ${MAX_SECRET_LENGTH} characters`,
        ),
      )
    else if (!/^[A-Za-z0-9\-._~+/]+=*$/.test(key)) {
      problems.list.push(
        new ConfigError('VERIFY_API_KEYS', `key #${index + 1} has characters a Bearer token cannot carry`),
      )
    }
  })
  if (plain.METRICS_PORT !== undefined && plain.METRICS_PORT !== 0 && plain.METRICS_PORT === plain.PORT) {
    problems.list.push(new ConfigError('METRICS_PORT', 'must differ from PORT'))
  }
  if (plain.SHUTDOWN_DRAIN_SECONDS >= plain.SHUTDOWN_TIMEOUT_SECONDS) {
    problems.list.push(
      new ConfigError('SHUTDOWN_DRAIN_SECONDS', 'must be shorter than SHUTDOWN_TIMEOUT_SECONDS'),
    )
  }
  const corsOrigins =
    plain.CORS_ORIGINS === undefined
      ? []
      : (problems.attempt(() => parseCorsOrigins(plain.CORS_ORIGINS as string)) ?? [])
  const trustProxy = problems.attempt(() => parseTrustProxy(plain.TRUST_PROXY)) ?? false
  const redisUrl = problems.attempt(() => readVariable(env, 'RATE_LIMIT_REDIS_URL'))
  const rateLimit = problems.attempt(() =>
    rateLimitConfig(plain.RATE_LIMIT_MAX, plain.RATE_LIMIT_WINDOW_SECONDS, redisUrl),
  )
  return {
    port: plain.PORT,
    host: plain.HOST,
    logLevel: plain.LOG_LEVEL,
    logRequests: plain.LOG_REQUESTS,
    verifyApiKeys,
    shutdown: { drainSeconds: plain.SHUTDOWN_DRAIN_SECONDS, timeoutSeconds: plain.SHUTDOWN_TIMEOUT_SECONDS },
    bodyLimit: 16 * 1024,
    metricsPort: plain.METRICS_PORT,
    corsOrigins,
    trustProxy,
    rateLimit,
  }
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

function jwtConfig(env: Env, problems: Problems): JwtConfig | undefined {
  const { plain, failed } = parsePlain(JwtSchema, env, problems)
  const before = problems.list.length
  const secret = problems.attempt(() => readVariable(env, 'JWT_SECRET'))
  const publicKey = problems.attempt(() => readVariable(env, 'JWT_PUBLIC_KEY'))
  // A key that could not be read would otherwise be reported again as "no JWT key".
  const jwtKey =
    problems.list.length === before && !failed.has('JWT_JWKS_URL')
      ? problems.attempt(() => jwtKeyConfig(secret, publicKey, plain.JWT_JWKS_URL))
      : undefined
  const algorithms = jwtKey && problems.attempt(() => jwtAlgorithms(jwtKey, plain.JWT_ALGORITHMS))
  if (jwtKey?.kind === 'secret' && algorithms) {
    const needed = Math.max(
      ...algorithms.map((alg) => MIN_SECRET_BYTES[alg as keyof typeof MIN_SECRET_BYTES] ?? 32),
    )
    const bytes = Buffer.byteLength(jwtKey.secret, 'utf8')
    if (bytes < needed)
      problems.list.push(
        new ConfigError(
          'JWT_SECRET',
          `must be at least ${needed} bytes for ${algorithms.join(', ')} (it has ${bytes})`,
        ),
      )
  }
  if (jwtKey?.kind === 'jwks') {
    if (!plain.JWT_ISSUER?.length)
      problems.list.push(new ConfigError('JWT_ISSUER', 'is required with JWT_JWKS_URL'))
    if (!plain.JWT_AUDIENCE?.length)
      problems.list.push(new ConfigError('JWT_AUDIENCE', 'is required with JWT_JWKS_URL'))
    // A healthy set is fetched again only every JWKS_CACHE_SECONDS: a shorter staleness limit would
    // make the service unready between refreshes.
    if (plain.JWKS_MAX_STALE_SECONDS < plain.JWKS_CACHE_SECONDS)
      problems.list.push(
        new ConfigError(
          'JWKS_MAX_STALE_SECONDS',
          'must be at least JWKS_CACHE_SECONDS (the refresh interval)',
        ),
      )
  }
  if (plain.JWT_ISSUER && plain.JWT_ISSUER.length === 0)
    problems.list.push(new ConfigError('JWT_ISSUER', 'lists no issuer'))
  if (plain.JWT_AUDIENCE && plain.JWT_AUDIENCE.length === 0)
    problems.list.push(new ConfigError('JWT_AUDIENCE', 'lists no audience'))
  const profileClaims = PROFILE_FIELDS.flatMap((field) => {
    const claim = plain[PROFILE_CLAIM_VARIABLES[field]]
    return claim === undefined ? [] : [[field, claim] as const]
  })
  if (!jwtKey || !algorithms) return undefined
  return {
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
    profileClaims,
  }
}

function inboxConfig(env: Env, problems: Problems): InboxConfig | undefined {
  const { plain, failed } = parsePlain(InboxSchema, env, problems)
  const before = problems.list.length
  const envInboxes = readEnvInboxes(env, problems)
  const secretsFile = plain.SECRETS_FILE
    ? problems.attempt(() => ({
        path: plain.SECRETS_FILE as string,
        inboxes: readSecretsFile(plain.SECRETS_FILE as string),
      }))
    : undefined
  const merged = problems.attempt(() =>
    mergeInboxSecrets('SECRETS_FILE', envInboxes, secretsFile?.inboxes ?? new Map()),
  )
  const sourcesRead = problems.list.length === before
  const chatwoot = failed.has('CHATWOOT_URL') ? undefined : chatwootConfig(env, plain, failed, problems)
  // With Chatwoot as a source the service may start with no inbox: it is not ready until the first sync.
  if (sourcesRead && merged?.size === 0 && nonEmpty(env.CHATWOOT_URL) === undefined) {
    problems.list.push(
      secretsFile
        ? new ConfigError(
            'SECRETS_FILE',
            `${secretsFile.path} holds no inbox and no CHATWOOT_INBOX_<NAME>_SECRET is set`,
          )
        : new ConfigError(
            'CHATWOOT_INBOX_<NAME>_SECRET',
            'no inbox is configured (set CHATWOOT_INBOX_<NAME>_SECRET, SECRETS_FILE or CHATWOOT_URL)',
          ),
    )
  }
  return { envInboxes, secretsFile, localInboxes: merged ?? new Map(), chatwoot }
}

function chatwootConfig(
  env: Env,
  plain: z.infer<typeof InboxSchema>,
  failed: ReadonlySet<string>,
  problems: Problems,
): ChatwootConfig | undefined {
  const before = problems.list.length
  const token = problems.attempt(() => readVariable(env, 'CHATWOOT_API_TOKEN'))
  const tokenUnreadable = problems.list.length > before
  const url = plain.CHATWOOT_URL
  if (url === undefined) {
    // Likely a forgotten CHATWOOT_URL; the refresh and timeout settings are harmless on their own.
    if (token !== undefined)
      problems.list.push(new ConfigError('CHATWOOT_API_TOKEN', 'is set but CHATWOOT_URL is not'))
    if (plain.CHATWOOT_ACCOUNT_ID !== undefined)
      problems.list.push(new ConfigError('CHATWOOT_ACCOUNT_ID', 'is set but CHATWOOT_URL is not'))
    return undefined
  }
  const base = new URL(url)
  if (base.username || base.password) {
    problems.list.push(
      new ConfigError('CHATWOOT_URL', 'must not carry credentials (give the token as CHATWOOT_API_TOKEN)'),
    )
  }
  if (base.search || base.hash)
    problems.list.push(new ConfigError('CHATWOOT_URL', 'must not have a query or fragment'))
  if (token === undefined && !tokenUnreadable) {
    problems.list.push(
      new ConfigError(
        'CHATWOOT_API_TOKEN',
        "is required with CHATWOOT_URL (a Chatwoot administrator's access token)",
      ),
    )
  }
  if (token !== undefined) problems.attempt(() => checkApiToken('CHATWOOT_API_TOKEN', token))
  if (plain.CHATWOOT_ACCOUNT_ID === undefined && !failed.has('CHATWOOT_ACCOUNT_ID')) {
    problems.list.push(new ConfigError('CHATWOOT_ACCOUNT_ID', 'is required with CHATWOOT_URL'))
  }
  if (token === undefined || plain.CHATWOOT_ACCOUNT_ID === undefined) return undefined
  // A path prefix (Chatwoot behind /chat/) is kept: the API path is resolved below it.
  if (!base.pathname.endsWith('/')) base.pathname += '/'
  return {
    inboxesUrl: new URL(`api/v1/accounts/${plain.CHATWOOT_ACCOUNT_ID}/inboxes`, base).href,
    accountId: plain.CHATWOOT_ACCOUNT_ID,
    token,
    tokenFile: nonEmpty(env.CHATWOOT_API_TOKEN_FILE),
    refreshSeconds: plain.CHATWOOT_REFRESH_SECONDS,
    timeoutSeconds: plain.CHATWOOT_TIMEOUT_SECONDS,
  }
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

function readEnvInboxes(env: Env, problems: Problems): Map<string, InboxSecret> {
  const inboxes = new Map<string, InboxSecret>()
  for (const variable of Object.keys(env).sort()) {
    const match = INBOX_VARIABLE.exec(variable)
    if (!match || match[2]) continue // `_FILE` variants are read through their base name
    problems.attempt(() => addEnvInbox(env, inboxes, variable, match[1] as string))
  }
  for (const variable of Object.keys(env).sort()) {
    const match = INBOX_VARIABLE.exec(variable)
    const base = variable.slice(0, -'_FILE'.length)
    // Only when the base variable is absent: the first loop read it (an empty one included) with its file.
    if (match?.[2] && env[base] === undefined)
      problems.attempt(() => addEnvInbox(env, inboxes, base, match[1] as string))
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
