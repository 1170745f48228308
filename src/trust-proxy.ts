import { isIP } from 'node:net'
import { ConfigError } from './config-error.js'

// TRUST_PROXY: which peers may set X-Forwarded-For, in the forms Fastify's `trustProxy` takes.
// Trusting every peer (`true`) is refused: any client could then choose its own address.

/** A hop count, or the addresses/CIDRs of trusted proxies; `false` trusts no one (the default). */
export type TrustProxy = number | readonly string[] | false

/** Names proxy-addr (Fastify's resolver) knows for well-known ranges; handy where proxy addresses vary. */
const NAMED_RANGES = new Set(['loopback', 'linklocal', 'uniquelocal'])

function isAddressOrCidr(entry: string): boolean {
  const [address = '', prefix, ...rest] = entry.split('/')
  const version = isIP(address)
  if (version === 0 || rest.length > 0) return false
  if (prefix === undefined) return true
  if (!/^\d{1,3}$/.test(prefix)) return false
  return Number(prefix) <= (version === 4 ? 32 : 128)
}

export function parseTrustProxy(value: string | undefined): TrustProxy {
  if (value === undefined) return false
  const trimmed = value.trim()
  if (/^\d+$/.test(trimmed)) {
    const hops = Number(trimmed)
    if (hops > 100) throw new ConfigError('TRUST_PROXY', 'a hop count must be at most 100')
    return hops === 0 ? false : hops
  }
  const entries = trimmed
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry.length > 0)
  if (entries.length === 0) throw new ConfigError('TRUST_PROXY', 'lists no proxy')
  for (const entry of entries) {
    if (!isAddressOrCidr(entry) && !NAMED_RANGES.has(entry)) {
      throw new ConfigError(
        'TRUST_PROXY',
        `${JSON.stringify(entry.slice(0, 64))} is neither a hop count nor an IP address or CIDR (e.g. 1, or 10.0.0.0/8,127.0.0.1)`,
      )
    }
  }
  return entries
}

/**
 * As Fastify's `trustProxy` option. A hop count becomes a function: Fastify 5 reads a bare number as
 * "trust no one", while TRUST_PROXY=N means the N nearest peers are proxies (hop 0 is the socket's peer).
 */
export function fastifyTrustProxy(
  trust: TrustProxy,
): false | string[] | ((address: string, hop: number) => boolean) {
  if (trust === false) return false
  if (typeof trust === 'number') return (_address, hop) => hop < trust
  return [...trust]
}
