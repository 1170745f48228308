import { generateKeyPairSync, type KeyObject, randomBytes } from 'node:crypto'
import { SignJWT } from 'jose'

// Real keys and real tokens, signed with jose: an implementation independent of the service's verifier.

export interface KeyPair {
  alg: string
  privateKey: KeyObject | Uint8Array
  publicPem: string
}

export function hsKey(bytes = 32): KeyPair & { secret: string } {
  const secret = randomBytes(bytes).toString('base64url').slice(0, bytes)
  return { alg: 'HS256', secret, privateKey: new TextEncoder().encode(secret), publicPem: '' }
}

export function rsaKey(modulusLength = 2048, alg = 'RS256'): KeyPair {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength })
  return { alg, privateKey, publicPem: publicKey.export({ type: 'spki', format: 'pem' }).toString() }
}

export function ecKey(curve: 'P-256' | 'P-384' = 'P-256'): KeyPair {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: curve })
  return {
    alg: curve === 'P-256' ? 'ES256' : 'ES384',
    privateKey,
    publicPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  }
}

export function edKey(): KeyPair {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519')
  return { alg: 'EdDSA', privateKey, publicPem: publicKey.export({ type: 'spki', format: 'pem' }).toString() }
}

export interface TokenOptions {
  alg?: string
  header?: Record<string, unknown>
  /** Seconds from now; `null` leaves `exp` out. */
  expiresIn?: number | null
  notBefore?: number
  issuer?: string
  audience?: string | string[]
  issuedAt?: number
}

const now = () => Math.floor(Date.now() / 1000)

export async function sign(
  key: KeyPair,
  claims: Record<string, unknown>,
  options: TokenOptions = {},
): Promise<string> {
  const jwt = new SignJWT(claims).setProtectedHeader({ alg: options.alg ?? key.alg, ...options.header })
  if (options.expiresIn !== null) jwt.setExpirationTime(now() + (options.expiresIn ?? 300))
  if (options.notBefore !== undefined) jwt.setNotBefore(now() + options.notBefore)
  if (options.issuer) jwt.setIssuer(options.issuer)
  if (options.audience) jwt.setAudience(options.audience)
  jwt.setIssuedAt(options.issuedAt ?? now())
  return jwt.sign(key.privateKey)
}

const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url')

/** A token assembled by hand, for shapes no honest signer produces. */
export function rawToken(header: unknown, payload: unknown, signature = ''): string {
  return `${b64url(header)}.${b64url(payload)}.${signature}`
}
