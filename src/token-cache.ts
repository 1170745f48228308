import type { Claims } from './identity.js'

/**
 * Verified tokens, keyed by the whole token string, so that a token seen again skips decoding and
 * signature checks. Only successes are kept; an entry ends at the token's `exp` (plus the clock
 * tolerance) or after `maxAgeMs`, and belongs to one key-set generation: when the keys change
 * (a rotation, a key leaving the set) every entry of the old generation stops counting.
 * Bounded: the oldest entry goes first once `maxEntries` is reached.
 */
export class VerifiedTokenCache {
  readonly #entries = new Map<string, { claims: Claims; until: number; generation: number }>()

  constructor(
    readonly maxEntries: number,
    readonly toleranceMs: number,
    readonly maxAgeMs = 10 * 60_000,
  ) {}

  get(token: string, now: number, generation: number): Claims | undefined {
    const entry = this.#entries.get(token)
    if (entry === undefined) return undefined
    if (entry.generation !== generation || now > entry.until) {
      this.#entries.delete(token)
      return undefined
    }
    return entry.claims
  }

  set(token: string, claims: Claims, now: number, generation: number): void {
    if (this.maxEntries <= 0) return
    // A verified token always has a numeric exp (it is a required claim).
    const until = Math.min((claims.exp as number) * 1000 + this.toleranceMs, now + this.maxAgeMs)
    if (this.#entries.size >= this.maxEntries && !this.#entries.has(token)) {
      this.#entries.delete(this.#entries.keys().next().value as string)
    }
    // One object answers many requests: nobody may change it.
    this.#entries.set(token, { claims: Object.freeze(claims), until, generation })
  }

  get size(): number {
    return this.#entries.size
  }
}
