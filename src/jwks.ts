import { createPublicKey, type JsonWebKey } from 'node:crypto'
import { z } from 'zod'
import type { Algorithm } from './config.js'
import { type FetchOutcome, FetchError, fetchJson } from './fetch-json.js'
import { Problem } from './problems.js'
import { Refresher } from './refresher.js'

// The identity provider's key set: fetched only from the configured URL, bounded in time and size,
// cached, refetched on an unknown kid at most once per cooldown, and never replaced by a bad answer.

export interface JwksOptions {
  url: string
  algorithms: readonly Algorithm[]
  cacheSeconds: number
  cooldownSeconds: number
  timeoutSeconds: number
  maxStaleSeconds: number
  /** Largest key-set document accepted. */
  maxBytes?: number
  now?: () => number
}

export interface JwksEvents {
  fetched?(outcome: FetchOutcome, detail: string, keyCount: number): void
}

export interface VerificationKey {
  readonly kid: string | undefined
  readonly alg: Algorithm
  /** SPKI PEM: fast-jwt takes keys as strings. */
  readonly pem: string
}

const JwkSchema = z.looseObject({
  kty: z.string(),
  kid: z.string().optional(),
  alg: z.string().optional(),
  use: z.string().optional(),
  crv: z.string().optional(),
  d: z.unknown().optional(),
})
const JwksSchema = z.object({ keys: z.array(z.unknown()).max(100) })

/** The algorithm a JWK fixes: its `alg`, else its key type and curve (SPEC.md). */
export function jwkAlgorithm(jwk: z.infer<typeof JwkSchema>): string | undefined {
  if (jwk.alg) return jwk.alg
  if (jwk.kty === 'RSA') return 'RS256'
  if (jwk.kty === 'EC') return { 'P-256': 'ES256', 'P-384': 'ES384', 'P-521': 'ES512' }[jwk.crv ?? '']
  if (jwk.kty === 'OKP' && jwk.crv === 'Ed25519') return 'EdDSA'
  return undefined
}

/** Usable verification keys of a JWKS document; keys that cannot be used safely are left out. */
export function parseJwks(
  document: unknown,
  allowed: readonly Algorithm[],
): { keys: VerificationKey[]; skipped: string[] } {
  const parsed = JwksSchema.safeParse(document)
  if (!parsed.success) throw new FetchError('invalid', 'not a JWK set ({"keys": [...]})')
  const keys: VerificationKey[] = []
  const skipped: string[] = []
  for (const raw of parsed.data.keys) {
    const jwk = JwkSchema.safeParse(raw)
    if (!jwk.success) {
      skipped.push('(not a JWK)')
      continue
    }
    const { kid, use, d } = jwk.data
    const label = kid ?? '(no kid)'
    const alg = jwkAlgorithm(jwk.data)
    if (use !== undefined && use !== 'sig') skipped.push(`${label}: use ${use}`)
    else if (d !== undefined) skipped.push(`${label}: private key material`)
    else if (!alg || !(allowed as readonly string[]).includes(alg))
      skipped.push(`${label}: algorithm ${alg ?? 'unknown'} not allowed`)
    else {
      try {
        const key = createPublicKey({ key: raw as JsonWebKey, format: 'jwk' })
        if (
          !fits(
            alg,
            key.asymmetricKeyType,
            key.asymmetricKeyDetails?.namedCurve,
            key.asymmetricKeyDetails?.modulusLength,
          )
        ) {
          skipped.push(`${label}: key does not fit ${alg}`)
          continue
        }
        keys.push({ kid, alg: alg as Algorithm, pem: key.export({ type: 'spki', format: 'pem' }).toString() })
      } catch {
        skipped.push(`${label}: not a usable public key`)
      }
    }
  }
  return { keys, skipped }
}

function fits(
  alg: string,
  type: string | undefined,
  curve: string | undefined,
  bits: number | undefined,
): boolean {
  if (/^(RS|PS)/.test(alg)) return type === 'rsa' && (bits ?? 0) >= 2048
  if (alg === 'ES256') return type === 'ec' && curve === 'prime256v1'
  if (alg === 'ES384') return type === 'ec' && curve === 'secp384r1'
  if (alg === 'ES512') return type === 'ec' && curve === 'secp521r1'
  if (alg === 'EdDSA') return type === 'ed25519'
  return false
}

/** One bounded GET of the key set (see fetchJson). */
export const fetchJwks = (url: string, timeoutMs: number, maxBytes: number): Promise<unknown> =>
  fetchJson(url, {
    timeoutMs,
    maxBytes,
    accept: 'application/jwk-set+json, application/json',
    types: /^application\/(jwk-set\+)?json\b/i,
  })

/**
 * The cached key set. `keyFor` is what the verifier calls per token; everything else runs in the
 * background: periodic refresh, retries with backoff until the first success, and refetches on an
 * unknown kid, at most one in flight and one per cooldown.
 */
export class KeySet {
  readonly #options: Required<JwksOptions>
  readonly #events: JwksEvents
  #keys = new Map<string | undefined, VerificationKey>()
  #lastSuccess = 0
  #lastAttempt = Number.NEGATIVE_INFINITY
  readonly #refresher: Refresher
  /** Bumped whenever the keys change, so caches keyed on the set can tell. */
  generation = 0

  constructor(options: JwksOptions, events: JwksEvents = {}) {
    this.#options = { maxBytes: 256 * 1024, now: Date.now, ...options }
    this.#events = events
    this.#refresher = new Refresher(() => this.#fetchOnce(), this.#options.cacheSeconds * 1000)
  }

  /** Starts fetching; never throws, never blocks: readiness says when keys are usable. */
  start(): void {
    this.#refresher.start()
  }

  close(): void {
    this.#refresher.close()
  }

  get size(): number {
    return this.#keys.size
  }

  /** Seconds since the last successful fetch, or undefined before the first one. */
  ageSeconds(): number | undefined {
    return this.#lastSuccess ? (this.#options.now() - this.#lastSuccess) / 1000 : undefined
  }

  /** Keys fetched at least once and not staler than JWKS_MAX_STALE_SECONDS. */
  usable(): boolean {
    const age = this.ageSeconds()
    return age !== undefined && age <= this.#options.maxStaleSeconds && this.#keys.size > 0
  }

  /**
   * The key for a token header: synchronous when the kid is known (the hot path), otherwise one
   * shared, rate-limited refetch first. Throws a Problem when there is no acceptable key.
   */
  keyFor(header: { kid?: unknown; alg?: unknown }): VerificationKey | Promise<VerificationKey> {
    if (header.kid !== undefined && (typeof header.kid !== 'string' || header.kid.length > 256)) {
      throw new Problem('token_malformed', 'The token kid is not a short string')
    }
    const kid = header.kid as string | undefined
    const key = this.#lookup(kid)
    if (key || kid === undefined || !this.#mayRefetch()) return this.#checked(key, header.alg)
    return this.refresh().then(
      () => this.#checked(this.#lookup(kid), header.alg),
      () => this.#checked(this.#lookup(kid), header.alg),
    )
  }

  #checked(key: VerificationKey | undefined, alg: unknown): VerificationKey {
    if (!this.usable()) throw new Problem('not_ready', 'The identity provider keys are not available')
    if (!key) {
      throw new Problem(
        'unknown_key',
        this.#keys.size > 1
          ? 'The token names no key this service knows'
          : 'The token is signed by an unknown key',
      )
    }
    if (alg !== key.alg) throw new Problem('algorithm_not_allowed', `This key only verifies ${key.alg}`)
    return key
  }

  #lookup(kid: string | undefined): VerificationKey | undefined {
    if (kid !== undefined) return this.#keys.get(kid)
    // A token without kid is accepted only when the set holds exactly one key (SPEC.md).
    return this.#keys.size === 1 ? this.#keys.values().next().value : undefined
  }

  #mayRefetch(): boolean {
    return (
      this.#refresher.running ||
      this.#options.now() - this.#lastAttempt >= this.#options.cooldownSeconds * 1000
    )
  }

  /** One fetch, shared by every caller while it runs; a failure keeps the last good keys. */
  refresh(): Promise<void> {
    return this.#refresher.run()
  }

  async #fetchOnce(): Promise<void> {
    this.#lastAttempt = this.#options.now()
    try {
      const document = await fetchJwks(
        this.#options.url,
        this.#options.timeoutSeconds * 1000,
        this.#options.maxBytes,
      )
      const { keys, skipped } = parseJwks(document, this.#options.algorithms)
      if (keys.length === 0)
        throw new FetchError('invalid', `no usable key${skipped.length ? ` (${skipped.join('; ')})` : ''}`)
      const next = new Map(keys.map((key) => [key.kid, key]))
      if (next.size !== keys.length) throw new FetchError('invalid', 'duplicate kid')
      // Unchanged keys keep their objects, so per-key verifiers and verified tokens stay valid.
      if (!sameKeys(this.#keys, next)) {
        this.generation++
        this.#keys = next
      }
      this.#lastSuccess = this.#options.now()
      this.#events.fetched?.('ok', skipped.length ? `skipped ${skipped.join('; ')}` : '', keys.length)
    } catch (error) {
      const outcome = error instanceof FetchError ? error.outcome : 'network_error'
      this.#events.fetched?.(outcome, (error as Error).message, this.#keys.size)
      throw error
    }
  }
}

function sameKeys(
  a: Map<string | undefined, VerificationKey>,
  b: Map<string | undefined, VerificationKey>,
): boolean {
  if (a.size !== b.size) return false
  for (const [kid, key] of a) if (b.get(kid)?.pem !== key.pem || b.get(kid)?.alg !== key.alg) return false
  return true
}
