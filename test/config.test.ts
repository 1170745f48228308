import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { ConfigError, type Env, loadConfig, loadInboxConfig, readConfig } from '../src/config.js'
import { ecKey, edKey, rsaKey } from './helpers/keys.js'

const JWT_SECRET = 'a-jwt-secret-of-at-least-32-bytes!!'
const INBOX_SECRET = 'inbox-secret-value-do-not-print'
const base: Env = { JWT_SECRET, CHATWOOT_INBOX_WEBSITE_SECRET: INBOX_SECRET }
const CHATWOOT_TOKEN = 'chatwoot-admin-token-do-not-print'
const chatwoot: Env = {
  JWT_SECRET,
  CHATWOOT_URL: 'https://chat.example',
  CHATWOOT_API_TOKEN: CHATWOOT_TOKEN,
  CHATWOOT_ACCOUNT_ID: '3',
}

const dir = mkdtempSync(join(tmpdir(), 'ci-config-'))
function file(name: string, content: string): string {
  const path = join(dir, name)
  writeFileSync(path, content)
  return path
}

/** The ConfigError that `env` raises, checked to be one line that leaks no secret. */
function problem(env: Env): ConfigError {
  try {
    loadConfig(env)
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError)
    const message = (error as ConfigError).message
    expect(message).not.toContain('\n')
    for (const [name, value] of Object.entries(env)) {
      if (value && /SECRET$|KEYS?$|TOKEN$/.test(name)) expect(message).not.toContain(value)
    }
    return error as ConfigError
  }
  throw new Error('expected a configuration error')
}

describe('loadConfig', () => {
  it('builds one frozen object with SPEC.md defaults', () => {
    const config = loadConfig(base)
    expect(config).toMatchObject({
      port: 8080,
      host: '0.0.0.0',
      logLevel: 'info',
      logRequests: false,
      jwt: { kind: 'secret', algorithms: ['HS256'], clockToleranceSeconds: 30, identifierClaim: 'sub' },
      shutdown: { drainSeconds: 2, timeoutSeconds: 8 },
      jwks: { cacheSeconds: 600, cooldownSeconds: 30, timeoutSeconds: 5, maxStaleSeconds: 86400 },
      verifyApiKeys: [],
      trustProxy: false,
      rateLimit: undefined,
    })
    expect([...config.envInboxes.keys()]).toEqual(['website'])
    expect(Object.isFrozen(config)).toBe(true)
    expect(Object.isFrozen(config.jwt)).toBe(true)
    expect(() => {
      ;(config as { port: number }).port = 1
    }).toThrow()
  })

  it('names inboxes canonically from their variables', () => {
    const config = loadConfig({
      JWT_SECRET,
      CHATWOOT_INBOX_MOBILE_APP_SECRET: 's1',
      CHATWOOT_INBOX_Acme__Web_SECRET: 's2',
    })
    expect([...config.envInboxes.keys()].sort()).toEqual(['acme_web', 'mobile_app'])
  })

  it('reads X_FILE secrets, removing exactly one trailing newline', () => {
    const config = loadConfig({
      JWT_SECRET_FILE: file('jwt', `${JWT_SECRET}\r\n`),
      CHATWOOT_INBOX_WEBSITE_SECRET_FILE: file('inbox', 'secret-with-two-newlines\n\n'),
    })
    expect(config.jwt).toMatchObject({ kind: 'secret', secret: JWT_SECRET })
    expect(config.envInboxes.get('website')?.secret).toBe('secret-with-two-newlines\n')
  })

  it('accepts PEM keys of each kind with the default algorithm of their kind', () => {
    expect(
      loadConfig({ ...base, JWT_SECRET: undefined, JWT_PUBLIC_KEY: rsaKey().publicPem }).jwt.algorithms,
    ).toEqual(['RS256'])
    expect(
      loadConfig({ ...base, JWT_SECRET: undefined, JWT_PUBLIC_KEY: ecKey('P-256').publicPem }).jwt.algorithms,
    ).toEqual(['ES256'])
    expect(
      loadConfig({ ...base, JWT_SECRET: undefined, JWT_PUBLIC_KEY: ecKey('P-384').publicPem }).jwt.algorithms,
    ).toEqual(['ES384'])
    expect(
      loadConfig({ ...base, JWT_SECRET: undefined, JWT_PUBLIC_KEY: edKey().publicPem }).jwt.algorithms,
    ).toEqual(['EdDSA'])
    const pkcs1 = rsaKey().publicPem
    expect(() =>
      loadConfig({ ...base, JWT_SECRET: undefined, JWT_PUBLIC_KEY: `\uFEFF\n  ${pkcs1}` }),
    ).not.toThrow()
  })

  it('parses lists, booleans and numbers', () => {
    const config = loadConfig({
      ...base,
      JWT_ISSUER: 'https://a.example, https://b.example',
      JWT_AUDIENCE: 'app',
      LOG_REQUESTS: 'true',
      PORT: '9000',
      JWT_CLOCK_TOLERANCE_SECONDS: '5',
      // The shortest and the longest keys accepted.
      VERIFY_API_KEYS: `${'k'.repeat(32)}, ${'m'.repeat(256)}`,
      JWT_ALGORITHMS: 'HS256,HS384',
      JWT_SECRET: 'x'.repeat(48),
    })
    expect(config.jwt.issuers).toEqual(['https://a.example', 'https://b.example'])
    expect(config.jwt.audiences).toEqual(['app'])
    expect(config.logRequests).toBe(true)
    expect(config.port).toBe(9000)
    expect(config.jwt.clockToleranceSeconds).toBe(5)
    expect(config.verifyApiKeys).toHaveLength(2)
    expect(config.jwt.algorithms).toEqual(['HS256', 'HS384'])
  })

  it('reads the profile claims (unset: not included) and the exact CORS origins (unset: no CORS)', () => {
    const none = loadConfig(base)
    expect(none.profileClaims).toEqual([])
    expect(none.corsOrigins).toEqual([])
    const config = loadConfig({
      ...base,
      NAME_CLAIM: 'name',
      EMAIL_CLAIM: 'email',
      AVATAR_URL_CLAIM: 'picture',
      PHONE_NUMBER_CLAIM: 'contact.phone',
      CORS_ORIGINS: 'https://app.example.com, http://localhost:3000,https://app.example.com',
    })
    expect(config.profileClaims).toEqual([
      ['name', 'name'],
      ['email', 'email'],
      ['avatar_url', 'picture'],
      ['phone_number', 'contact.phone'],
    ])
    expect(config.corsOrigins).toEqual(['https://app.example.com', 'http://localhost:3000'])
    expect(Object.isFrozen(config.corsOrigins)).toBe(true)
    expect(loadConfig({ ...base, EMAIL_CLAIM: 'email' }).profileClaims).toEqual([['email', 'email']])
  })

  it('reads TRUST_PROXY as a hop count or a list of addresses and CIDRs', () => {
    expect(loadConfig({ ...base, TRUST_PROXY: '2' }).trustProxy).toBe(2)
    expect(loadConfig({ ...base, TRUST_PROXY: '0' }).trustProxy).toBe(false)
    expect(loadConfig({ ...base, TRUST_PROXY: '10.0.0.0/8, 127.0.0.1,fd00::/8 ,::1' }).trustProxy).toEqual([
      '10.0.0.0/8',
      '127.0.0.1',
      'fd00::/8',
      '::1',
    ])
    expect(loadConfig({ ...base, TRUST_PROXY: 'loopback,uniquelocal' }).trustProxy).toEqual([
      'loopback',
      'uniquelocal',
    ])
  })

  it('reads the rate limit: off unless RATE_LIMIT_MAX is set, a 60 s window by default', () => {
    expect(loadConfig({ ...base, RATE_LIMIT_MAX: '100' }).rateLimit).toEqual({
      max: 100,
      windowSeconds: 60,
      redisUrl: undefined,
    })
    const redisUrl = 'redis://:p%40ss@redis.internal:6380/2'
    expect(
      loadConfig({
        ...base,
        RATE_LIMIT_MAX: '5',
        RATE_LIMIT_WINDOW_SECONDS: '10',
        RATE_LIMIT_REDIS_URL_FILE: file('redis-url', `${redisUrl}\n`),
      }).rateLimit,
    ).toEqual({ max: 5, windowSeconds: 10, redisUrl })
    expect(
      loadConfig({ ...base, RATE_LIMIT_MAX: '1', RATE_LIMIT_REDIS_URL: 'rediss://cache:6379' }).rateLimit,
    ).toMatchObject({ redisUrl: 'rediss://cache:6379' })
  })

  it('reads an inbox from its _FILE once when the plain variable is left empty beside it', () => {
    const config = loadConfig({
      JWT_SECRET,
      CHATWOOT_INBOX_WEB_SECRET: '',
      CHATWOOT_INBOX_WEB_SECRET_FILE: file('web-secret', 'from-the-file\n'),
    })
    expect(config.envInboxes.get('web')?.secret).toBe('from-the-file')
  })

  it('treats an empty variable as unset', () => {
    expect(loadConfig({ ...base, PORT: '', JWT_ISSUER: '' }).port).toBe(8080)
  })

  const cases: [string, Env, string, RegExp][] = [
    ['no JWT key', { CHATWOOT_INBOX_WEBSITE_SECRET: INBOX_SECRET }, 'JWT_SECRET', /no JWT key/],
    ['two key kinds', { ...base, JWT_PUBLIC_KEY: rsaKey().publicPem }, 'JWT_PUBLIC_KEY', /only one of/],
    [
      'a short HS256 secret',
      { ...base, JWT_SECRET: 'short-secret-value' },
      'JWT_SECRET',
      /at least 32 bytes/,
    ],
    ['a short HS512 secret', { ...base, JWT_ALGORITHMS: 'HS512' }, 'JWT_SECRET', /at least 64 bytes/],
    [
      'a PEM that does not parse',
      {
        ...base,
        JWT_SECRET: undefined,
        JWT_PUBLIC_KEY: '-----BEGIN PUBLIC KEY-----\nnope\n-----END PUBLIC KEY-----',
      },
      'JWT_PUBLIC_KEY',
      /not a PEM public key/,
    ],
    [
      'a private key',
      {
        ...base,
        JWT_SECRET: undefined,
        JWT_PUBLIC_KEY: '-----BEGIN PRIVATE KEY-----\nMC4=\n-----END PRIVATE KEY-----',
      },
      'JWT_PUBLIC_KEY',
      /private key/,
    ],
    [
      'a short RSA key',
      { ...base, JWT_SECRET: undefined, JWT_PUBLIC_KEY: rsaKey(1024).publicPem },
      'JWT_PUBLIC_KEY',
      /too short/,
    ],
    [
      'an algorithm that does not fit an HMAC secret',
      { ...base, JWT_ALGORITHMS: 'RS256' },
      'JWT_ALGORITHMS',
      /cannot be used with JWT_SECRET/,
    ],
    [
      'an algorithm that does not fit an EC key',
      { ...base, JWT_SECRET: undefined, JWT_PUBLIC_KEY: ecKey().publicPem, JWT_ALGORITHMS: 'RS256' },
      'JWT_ALGORITHMS',
      /cannot be used/,
    ],
    [
      'HS256 with an RSA key (algorithm confusion)',
      { ...base, JWT_SECRET: undefined, JWT_PUBLIC_KEY: rsaKey().publicPem, JWT_ALGORITHMS: 'HS256' },
      'JWT_ALGORITHMS',
      /cannot be used/,
    ],
    ['the none algorithm', { ...base, JWT_ALGORITHMS: 'none' }, 'JWT_ALGORITHMS', /never allowed/],
    ['an unknown algorithm', { ...base, JWT_ALGORITHMS: 'XS256' }, 'JWT_ALGORITHMS', /not a known algorithm/],
    ['no inbox', { JWT_SECRET }, 'CHATWOOT_INBOX_<NAME>_SECRET', /no inbox/],
    [
      'the same inbox twice in the environment',
      { ...base, CHATWOOT_INBOX_Website_SECRET: 'other' },
      'CHATWOOT_INBOX_Website_SECRET',
      /defined twice/,
    ],
    [
      'a secret and its _FILE twin',
      { ...base, JWT_SECRET_FILE: '/dev/null' },
      'JWT_SECRET',
      /either JWT_SECRET or JWT_SECRET_FILE/,
    ],
    [
      'an unreadable _FILE',
      { CHATWOOT_INBOX_WEBSITE_SECRET: INBOX_SECRET, JWT_SECRET_FILE: '/nonexistent/jwt' },
      'JWT_SECRET_FILE',
      /cannot read/,
    ],
    [
      'an unreadable secrets file',
      { JWT_SECRET, SECRETS_FILE: '/nonexistent/secrets.json' },
      'SECRETS_FILE',
      /cannot read/,
    ],
    [
      'a malformed secrets file',
      { JWT_SECRET, SECRETS_FILE: file('bad.json', '{"inboxes": {"web": {"secret": "sk-live-value"') },
      'SECRETS_FILE',
      /not valid JSON/,
    ],
    [
      'a secrets file of the wrong shape',
      { JWT_SECRET, SECRETS_FILE: file('shape.json', '{"inboxes": {"web": {"secret": 42}}}') },
      'SECRETS_FILE',
      /inboxes\.web\.secret/,
    ],
    [
      'a secrets file with an empty secret',
      { JWT_SECRET, SECRETS_FILE: file('empty.json', '{"inboxes": {"web": {"secret": ""}}}') },
      'SECRETS_FILE',
      /must not be empty/,
    ],
    [
      'a secrets file with no inbox and no env inbox',
      { JWT_SECRET, SECRETS_FILE: file('none.json', '{"inboxes": {}}') },
      'SECRETS_FILE',
      /holds no inbox/,
    ],
    [
      'the same inbox in env and the secrets file',
      { ...base, SECRETS_FILE: file('dup.json', '{"inboxes": {"Website": {"secret": "x"}}}') },
      'SECRETS_FILE',
      /defined twice/,
    ],
    ['a bad port', { ...base, PORT: 'eighty' }, 'PORT', /port number/],
    ['a port out of range', { ...base, PORT: '70000' }, 'PORT', /at most 65535/],
    ['a bad log level', { ...base, LOG_LEVEL: 'loud' }, 'LOG_LEVEL', /must be one of/],
    ['a bad boolean', { ...base, LOG_REQUESTS: 'maybe' }, 'LOG_REQUESTS', /true or false/],
    [
      'a negative tolerance',
      { ...base, JWT_CLOCK_TOLERANCE_SECONDS: '-1' },
      'JWT_CLOCK_TOLERANCE_SECONDS',
      /number of seconds/,
    ],
    ['a bad cookie name', { ...base, JWT_COOKIE: 'bad cookie' }, 'JWT_COOKIE', /cookie name/],
    ['a bad claim path', { ...base, IDENTIFIER_CLAIM: 'user..id' }, 'IDENTIFIER_CLAIM', /empty segments/],
    ['a bad profile claim path', { ...base, EMAIL_CLAIM: 'contact.' }, 'EMAIL_CLAIM', /empty segments/],
    ['a CORS wildcard', { ...base, CORS_ORIGINS: '*' }, 'CORS_ORIGINS', /wildcards are never allowed/],
    [
      'a CORS subdomain wildcard',
      { ...base, CORS_ORIGINS: 'https://*.example.com' },
      'CORS_ORIGINS',
      /wildcards/,
    ],
    [
      'a CORS origin with a path',
      { ...base, CORS_ORIGINS: 'https://app.example.com, https://shop.example.com/' },
      'CORS_ORIGINS',
      /"https:\/\/shop\.example\.com\/" is not an exact origin: write it as https:\/\/shop\.example\.com /,
    ],
    [
      'a CORS origin in another case',
      { ...base, CORS_ORIGINS: 'https://App.Example.com' },
      'CORS_ORIGINS',
      /write it as https:\/\/app\.example\.com/,
    ],
    [
      'a CORS origin with its default port',
      { ...base, CORS_ORIGINS: 'https://app.example.com:443' },
      'CORS_ORIGINS',
      /write it as https:\/\/app\.example\.com /,
    ],
    [
      'a CORS host without scheme',
      { ...base, CORS_ORIGINS: 'app.example.com' },
      'CORS_ORIGINS',
      /not an origin/,
    ],
    ['a CORS null origin', { ...base, CORS_ORIGINS: 'null' }, 'CORS_ORIGINS', /"null"/],
    [
      'a CORS origin of another scheme',
      { ...base, CORS_ORIGINS: 'chrome-extension://abcdef' },
      'CORS_ORIGINS',
      /http or https/,
    ],
    ['a CORS list of nothing', { ...base, CORS_ORIGINS: ' , ' }, 'CORS_ORIGINS', /lists no origin/],
    ['a short API key', { ...base, VERIFY_API_KEYS: 'short-key' }, 'VERIFY_API_KEYS', /shorter than 32/],
    [
      'a long API key',
      { ...base, VERIFY_API_KEYS: `${'k'.repeat(40)},${'k'.repeat(257)}` },
      'VERIFY_API_KEYS',
      /key #2 is longer than 256 characters/,
    ],
    [
      'JWKS without issuer',
      {
        CHATWOOT_INBOX_WEBSITE_SECRET: INBOX_SECRET,
        JWT_JWKS_URL: 'https://idp.example/jwks',
        JWT_AUDIENCE: 'a',
      },
      'JWT_ISSUER',
      /required with JWT_JWKS_URL/,
    ],
    [
      'a JWKS staleness limit shorter than its refresh interval',
      {
        CHATWOOT_INBOX_WEBSITE_SECRET: INBOX_SECRET,
        JWT_JWKS_URL: 'https://idp.example/jwks',
        JWT_ISSUER: 'i',
        JWT_AUDIENCE: 'a',
        JWKS_MAX_STALE_SECONDS: '60',
      },
      'JWKS_MAX_STALE_SECONDS',
      /at least JWKS_CACHE_SECONDS/,
    ],
    [
      'a drain longer than the timeout',
      { ...base, SHUTDOWN_DRAIN_SECONDS: '9' },
      'SHUTDOWN_DRAIN_SECONDS',
      /shorter than/,
    ],
    [
      'CHATWOOT_URL without a token',
      { JWT_SECRET, CHATWOOT_URL: 'https://chat.example', CHATWOOT_ACCOUNT_ID: '1' },
      'CHATWOOT_API_TOKEN',
      /required with CHATWOOT_URL/,
    ],
    [
      'CHATWOOT_URL without an account',
      { JWT_SECRET, CHATWOOT_URL: 'https://chat.example', CHATWOOT_API_TOKEN: CHATWOOT_TOKEN },
      'CHATWOOT_ACCOUNT_ID',
      /required with CHATWOOT_URL/,
    ],
    [
      'a Chatwoot token without CHATWOOT_URL',
      { ...base, CHATWOOT_API_TOKEN: CHATWOOT_TOKEN },
      'CHATWOOT_API_TOKEN',
      /CHATWOOT_URL is not/,
    ],
    [
      'a non-URL CHATWOOT_URL',
      { ...chatwoot, CHATWOOT_URL: 'chat.example' },
      'CHATWOOT_URL',
      /http\(s\) URL/,
    ],
    [
      'credentials in CHATWOOT_URL',
      { ...chatwoot, CHATWOOT_URL: `https://admin:${CHATWOOT_TOKEN}@chat.example` },
      'CHATWOOT_URL',
      /must not carry credentials/,
    ],
    [
      'a bad account id',
      { ...chatwoot, CHATWOOT_ACCOUNT_ID: '0x1' },
      'CHATWOOT_ACCOUNT_ID',
      /positive integer/,
    ],
    [
      'a refresh interval under a second',
      { ...chatwoot, CHATWOOT_REFRESH_SECONDS: '0' },
      'CHATWOOT_REFRESH_SECONDS',
      /at least 1/,
    ],
    [
      'a Chatwoot token with a space',
      { ...chatwoot, CHATWOOT_API_TOKEN: `${CHATWOOT_TOKEN} x` },
      'CHATWOOT_API_TOKEN',
      /printable ASCII/,
    ],
    [
      'a Chatwoot token and its _FILE twin',
      { ...chatwoot, CHATWOOT_API_TOKEN_FILE: '/dev/null' },
      'CHATWOOT_API_TOKEN',
      /either CHATWOOT_API_TOKEN or CHATWOOT_API_TOKEN_FILE/,
    ],
  ]

  cases.push(
    ['a hop count too large', { ...base, TRUST_PROXY: '1000' }, 'TRUST_PROXY', /at most 100/],
    ['TRUST_PROXY=true', { ...base, TRUST_PROXY: 'true' }, 'TRUST_PROXY', /neither a hop count/],
    ['a bad CIDR', { ...base, TRUST_PROXY: '10.0.0.0/33' }, 'TRUST_PROXY', /"10\.0\.0\.0\/33"/],
    ['a host name as proxy', { ...base, TRUST_PROXY: 'proxy.local' }, 'TRUST_PROXY', /IP address or CIDR/],
    ['an empty proxy list', { ...base, TRUST_PROXY: ' , ' }, 'TRUST_PROXY', /lists no proxy/],
    ['a rate limit of 0', { ...base, RATE_LIMIT_MAX: '0' }, 'RATE_LIMIT_MAX', /at least 1/],
    ['a fractional rate limit', { ...base, RATE_LIMIT_MAX: '2.5' }, 'RATE_LIMIT_MAX', /whole number/],
    [
      'a window of 0',
      { ...base, RATE_LIMIT_MAX: '5', RATE_LIMIT_WINDOW_SECONDS: '0' },
      'RATE_LIMIT_WINDOW_SECONDS',
      /at least 1/,
    ],
    [
      'a window longer than a day',
      { ...base, RATE_LIMIT_MAX: '5', RATE_LIMIT_WINDOW_SECONDS: '90000' },
      'RATE_LIMIT_WINDOW_SECONDS',
      /at most 86400/,
    ],
    [
      'a window without a max',
      { ...base, RATE_LIMIT_WINDOW_SECONDS: '30' },
      'RATE_LIMIT_WINDOW_SECONDS',
      /RATE_LIMIT_MAX is not/,
    ],
    [
      'a Redis URL without a max',
      { ...base, RATE_LIMIT_REDIS_URL: 'redis://cache:6379' },
      'RATE_LIMIT_REDIS_URL',
      /RATE_LIMIT_MAX is not/,
    ],
    [
      'a Redis URL of another scheme',
      { ...base, RATE_LIMIT_MAX: '5', RATE_LIMIT_REDIS_URL: 'http://user:hunter2@cache:6379' },
      'RATE_LIMIT_REDIS_URL',
      /redis:\/\/ or rediss:\/\//,
    ],
    [
      'a Redis URL that is no URL',
      { ...base, RATE_LIMIT_MAX: '5', RATE_LIMIT_REDIS_URL: 'hunter2@cache' },
      'RATE_LIMIT_REDIS_URL',
      /is not a URL/,
    ],
    [
      'a Redis URL and its _FILE twin',
      {
        ...base,
        RATE_LIMIT_MAX: '5',
        RATE_LIMIT_REDIS_URL: 'redis://c',
        RATE_LIMIT_REDIS_URL_FILE: '/dev/null',
      },
      'RATE_LIMIT_REDIS_URL',
      /either RATE_LIMIT_REDIS_URL or RATE_LIMIT_REDIS_URL_FILE/,
    ],
  )

  it.each(cases)('refuses %s, naming the variable', (_name, env, variable, pattern) => {
    const error = problem(env)
    expect(error.variable).toBe(variable)
    expect(error.message).toMatch(pattern)
    expect(error.message.startsWith(`${variable}: `)).toBe(true)
  })

  it('never prints a secret value, even when the secret is what is wrong', () => {
    const secret = 'short-but-secret-value'
    expect(problem({ ...base, JWT_SECRET: secret }).message).not.toContain(secret)
    const fileSecret = 'sk-live-in-a-broken-file'
    const broken = file('leak.json', `{"inboxes": {"web": {"secret": "${fileSecret}"}`)
    expect(problem({ JWT_SECRET, SECRETS_FILE: broken }).message).not.toContain(fileSecret)
    for (const url of ['http://user:hunter2@cache:6379', 'redis://:hunter2@cache/x', 'hunter2@cache'])
      expect(problem({ ...base, RATE_LIMIT_MAX: '5', RATE_LIMIT_REDIS_URL: url }).message).not.toContain(
        'hunter2',
      )
  })
})

describe('Chatwoot as an inbox source', () => {
  it('allows starting with no other inbox, with defaults and the inboxes URL', () => {
    const config = loadConfig(chatwoot)
    expect(config.envInboxes.size).toBe(0)
    expect(config.chatwoot).toEqual({
      inboxesUrl: 'https://chat.example/api/v1/accounts/3/inboxes',
      accountId: 3,
      token: CHATWOOT_TOKEN,
      tokenFile: undefined,
      refreshSeconds: 300,
      timeoutSeconds: 10,
    })
    expect(Object.isFrozen(config.chatwoot)).toBe(true)
  })

  it('keeps a path prefix, reads the token from a file and takes the intervals', () => {
    const tokenFile = file('chatwoot-token', `${CHATWOOT_TOKEN}\n`)
    const config = loadConfig({
      ...base,
      CHATWOOT_URL: 'https://example.com/chat',
      CHATWOOT_API_TOKEN_FILE: tokenFile,
      CHATWOOT_ACCOUNT_ID: '12',
      CHATWOOT_REFRESH_SECONDS: '60',
      CHATWOOT_TIMEOUT_SECONDS: '2.5',
    })
    expect(config.chatwoot).toMatchObject({
      inboxesUrl: 'https://example.com/chat/api/v1/accounts/12/inboxes',
      token: CHATWOOT_TOKEN,
      tokenFile,
      refreshSeconds: 60,
      timeoutSeconds: 2.5,
    })
    expect([...config.envInboxes.keys()]).toEqual(['website'])
  })

  it('is off without CHATWOOT_URL, and then an empty configuration has no inbox', () => {
    expect(loadConfig(base).chatwoot).toBeUndefined()
    expect(problem({ JWT_SECRET }).message).toMatch(/CHATWOOT_URL/)
  })
})

describe('readConfig', () => {
  it('collects every problem, each one line naming its variable, with no secret', () => {
    const env: Env = {
      PORT: 'eighty',
      JWT_SECRET: 'short-secret-value',
      CHATWOOT_URL: 'https://chat.example',
      CHATWOOT_API_TOKEN: `${CHATWOOT_TOKEN} x`,
      CHATWOOT_ACCOUNT_ID: 'one',
      VERIFY_API_KEYS: 'short-key',
    }
    const { config, problems, parts } = readConfig(env)
    expect(config).toBeUndefined()
    expect(problems.map((p) => p.variable)).toEqual([
      'PORT',
      'VERIFY_API_KEYS',
      'JWT_SECRET',
      'CHATWOOT_ACCOUNT_ID',
      'CHATWOOT_API_TOKEN',
    ])
    for (const p of problems) {
      expect(p.message).not.toContain('\n')
      for (const secret of [env.JWT_SECRET, CHATWOOT_TOKEN, env.VERIFY_API_KEYS] as string[])
        expect(p.message).not.toContain(secret)
    }
    expect(parts).toEqual({ server: undefined, jwt: undefined, inboxes: undefined })
  })

  it('still gives the parts without problems, and the whole configuration when all are fine', () => {
    const { parts, problems } = readConfig({ CHATWOOT_INBOX_WEBSITE_SECRET: INBOX_SECRET })
    expect(problems.map((p) => p.variable)).toEqual(['JWT_SECRET'])
    expect(parts.server?.port).toBe(8080)
    expect([...(parts.inboxes?.envInboxes.keys() ?? [])]).toEqual(['website'])
    expect(parts.jwt).toBeUndefined()
    expect(readConfig(base).config).toEqual(loadConfig(base))
  })

  it('reports the first problem as loadConfig throws it', () => {
    const env = { ...base, LOG_LEVEL: 'loud', JWT_ALGORITHMS: 'none' }
    expect(problem(env).message).toBe(readConfig(env).problems[0]?.message)
  })
})

describe('loadInboxConfig', () => {
  it('needs no JWT key (the command line hashes with inbox secrets only)', () => {
    expect([...loadInboxConfig({ CHATWOOT_INBOX_SHOP_SECRET: 's' }).envInboxes.keys()]).toEqual(['shop'])
    expect(() => loadInboxConfig({})).toThrow(ConfigError)
  })
})
