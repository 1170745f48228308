import {
  constants,
  createHmac,
  createPublicKey,
  sign as cryptoSign,
  generateKeyPairSync,
  type KeyObject,
  randomBytes,
} from 'node:crypto'
import { exportJWK, SignJWT } from 'jose'

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

export const base64url = (bytes: string | Buffer) => Buffer.from(bytes).toString('base64url')

/**
 * A compact JWS over exactly these header and payload bytes, signed with node:crypto: for tokens no
 * JOSE library would produce (duplicate members, `crit`, non-UTF-8 bytes, claims of the wrong type).
 */
export function signBytes(key: KeyPair, header: string | Buffer, payload: string | Buffer, alg = key.alg) {
  const input = `${base64url(header)}.${base64url(payload)}`
  return `${input}.${signInput(key.privateKey, input, alg).toString('base64url')}`
}

/** The JWS signature of `input` (RFC 7518), with any key the algorithm can take. */
export function signInput(key: KeyObject | Uint8Array | string, input: string, alg: string): Buffer {
  const data = Buffer.from(input)
  const hash = `sha${alg.slice(2)}`
  if (alg.startsWith('HS'))
    return createHmac(hash, key as Uint8Array)
      .update(data)
      .digest()
  const privateKey = key as KeyObject
  if (alg.startsWith('RS')) return cryptoSign(hash, data, privateKey)
  if (alg.startsWith('PS'))
    return cryptoSign(hash, data, {
      key: privateKey,
      padding: constants.RSA_PKCS1_PSS_PADDING,
      saltLength: constants.RSA_PSS_SALTLEN_DIGEST,
    })
  if (alg.startsWith('ES')) return cryptoSign(hash, data, { key: privateKey, dsaEncoding: 'ieee-p1363' })
  if (alg === 'EdDSA') return cryptoSign(null, data, privateKey)
  throw new Error(`cannot sign ${alg}`)
}

/** The public half of a key pair as a JWK, as a JWKS document would publish it. */
export async function publicJwk(key: KeyPair): Promise<Record<string, unknown>> {
  return { ...(await exportJWK(createPublicKey(key.privateKey as KeyObject))) }
}
