import { randomBytes } from 'node:crypto'
import { JwksServer } from './jwks-server.js'
import { ecKey, hsKey, type KeyPair, rsaKey, signBytes } from './keys.js'
import { type Running, startServer } from './process.js'

// The built service as a process in each key configuration the attack suites run against, with the
// legitimate signer's tokens, so a suite can start one server per configuration and reuse it.

export const ISSUER = 'https://idp.example'
export const AUDIENCE = 'chatwoot-web'
export const INBOX_SECRET = 'attack-suite-inbox-secret'
export const COOKIE = 'session'
/** A service key for the verify endpoint (VERIFY_API_KEYS). */
export const SERVICE_KEY = `svc_${randomBytes(24).toString('hex')}`

export const KINDS = ['HS256', 'RSA-PEM', 'EC-PEM', 'JWKS'] as const
export type Kind = (typeof KINDS)[number]

export type TrustedKey = KeyPair & { kid?: string; secret?: string }

export interface Target {
  kind: Kind
  url: string
  server: Running
  /** The legitimate signer: its tokens pass. */
  signer: TrustedKey
  /** Every key the service trusts (JWKS publishes two, of different types). */
  trusted: TrustedKey[]
  jwks: JwksServer | undefined
  /** Values that must never appear in an answer or a log line. */
  secrets: string[]
  /** The legitimate protected header: its alg, and its kid under JWKS. */
  header(extra?: Record<string, unknown>): Record<string, unknown>
  /** Claims that pass: sub, iss, aud, iat and exp five minutes ahead. */
  claims(extra?: Record<string, unknown>): Record<string, unknown>
  /** A token signed by the legitimate signer over the JSON of this header and these claims. */
  token(claims?: Record<string, unknown>, header?: Record<string, unknown>): string
  stop(): Promise<void>
}

export const now = () => Math.floor(Date.now() / 1000)

async function waitReady(url: string): Promise<void> {
  const deadline = Date.now() + 10_000
  while (Date.now() < deadline) {
    if ((await fetch(`${url}/readyz`)).status === 200) return
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  throw new Error('the service did not become ready')
}

/** Starts the built service for this configuration (issuer, audience, a cookie and a service key set). */
export async function startTarget(kind: Kind, env: Record<string, string> = {}): Promise<Target> {
  let signer: TrustedKey
  let trusted: TrustedKey[]
  let keyEnv: Record<string, string>
  let jwks: JwksServer | undefined
  switch (kind) {
    case 'HS256': {
      signer = hsKey(48)
      trusted = [signer]
      keyEnv = { JWT_SECRET: signer.secret as string }
      break
    }
    case 'RSA-PEM':
      signer = rsaKey()
      trusted = [signer]
      keyEnv = { JWT_PUBLIC_KEY: signer.publicPem }
      break
    case 'EC-PEM':
      signer = ecKey('P-256')
      trusted = [signer]
      keyEnv = { JWT_PUBLIC_KEY: signer.publicPem }
      break
    case 'JWKS': {
      signer = { ...rsaKey(), kid: 'rsa-1' }
      trusted = [signer, { ...ecKey('P-256'), kid: 'ec-1' }]
      jwks = await new JwksServer().start()
      await jwks.publish(...(trusted as (KeyPair & { kid: string })[]))
      // No refresh or unknown-kid refetch during a suite, so any request the JWKS server sees is a leak.
      keyEnv = { JWT_JWKS_URL: jwks.url, JWKS_CACHE_SECONDS: '3600', JWKS_COOLDOWN_SECONDS: '3600' }
      break
    }
  }
  const server = await startServer({
    ...keyEnv,
    JWT_ISSUER: ISSUER,
    JWT_AUDIENCE: AUDIENCE,
    JWT_COOKIE: COOKIE,
    VERIFY_API_KEYS: SERVICE_KEY,
    CHATWOOT_INBOX_WEBSITE_SECRET: INBOX_SECRET,
    ...env,
  }).catch(async (error) => {
    await jwks?.stop()
    throw error
  })
  if (jwks) await waitReady(server.url)
  const header = (extra: Record<string, unknown> = {}) => ({
    alg: signer.alg,
    typ: 'JWT',
    ...(signer.kid ? { kid: signer.kid } : {}),
    ...extra,
  })
  const claims = (extra: Record<string, unknown> = {}) => ({
    sub: 'user-1',
    iss: ISSUER,
    aud: AUDIENCE,
    iat: now(),
    exp: now() + 300,
    ...extra,
  })
  return {
    kind,
    url: server.url,
    server,
    signer,
    trusted,
    jwks,
    secrets: [INBOX_SECRET, SERVICE_KEY, ...(signer.secret ? [signer.secret] : [])],
    header,
    claims,
    token: (body = claims(), head = header()) =>
      signBytes(signer, JSON.stringify(head), JSON.stringify(body)),
    async stop() {
      await server.stop('SIGKILL')
      await jwks?.stop()
    },
  }
}
