import { createHash } from 'node:crypto'
import type { Claims } from './identity.js'

// Which counter a request is charged to. Counter names may sit in a shared Redis, so they carry digests,
// never a subject, a token or a key.

export interface Caller {
  readonly claims: Claims | null
  readonly serviceKeyId: string | null
  /** The client address as Fastify resolved it (X-Forwarded-For only behind TRUST_PROXY). */
  readonly ip: string
}

/**
 * How a client address is written as a counter name: @fastify/rate-limit's `normalizeIP`, passed in by
 * the plugin that loads it, so that the library is read only when rate limiting is configured.
 */
export type NormalizeIp = (ip: string) => string

const digest = (value: string) => createHash('sha256').update(value, 'utf8').digest('base64url').slice(0, 22)

/**
 * A service key by its id; a session by its issuer and subject (the same `sub` of two issuers is two
 * people); anyone else, including callers whose credentials were refused, by client address (an IPv6
 * address by its /64, as one host usually holds the whole prefix).
 */
export function callerKey({ claims, serviceKeyId, ip }: Caller, normalizeIP: NormalizeIp): string {
  if (serviceKeyId !== null) return `key:${serviceKeyId}`
  const sub = claims?.sub
  if ((typeof sub === 'string' && sub !== '') || typeof sub === 'number') {
    const iss = typeof claims?.iss === 'string' ? claims.iss : ''
    return `sub:${digest(`${iss}\n${String(sub)}`)}`
  }
  return `ip:${normalizeIP(ip)}`
}
