import { createHmac, createSecretKey, type KeyObject } from 'node:crypto'
import { equalStrings } from './constant-time.js'

// Pure identity core: no framework, no I/O. Mirrors Chatwoot's server-side check:
// OpenSSL::HMAC.hexdigest('sha256', inbox.hmac_token, params[:identifier].to_s), compared in constant time.

export type Claims = Readonly<Record<string, unknown>>

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value)

/**
 * The value of `claim` in `claims`: an exact top-level key first (`"user.id"` may be a key itself),
 * else a dotted path through nested objects. Only own properties are followed, so `__proto__`,
 * `constructor` and friends can never be reached.
 */
export function lookupClaim(claims: Claims, claim: string): unknown {
  if (Object.hasOwn(claims, claim)) return claims[claim]
  if (!claim.includes('.')) return undefined
  let current: unknown = claims
  for (const segment of claim.split('.')) {
    if (!isPlainObject(current) || !Object.hasOwn(current, segment)) return undefined
    current = current[segment]
  }
  return current
}

export type IdentifierResult =
  { ok: true; identifier: string } | { ok: false; reason: 'missing' | 'invalid'; detail: string }

/**
 * Chatwoot hashes `identifier.to_s`: a safe integer becomes its decimal string, a string is used
 * verbatim (no trimming, no Unicode normalisation). Anything else, or an empty string, is refused
 * so that nothing ambiguous is ever signed.
 */
export function normaliseIdentifier(value: unknown): IdentifierResult {
  if (value === undefined || value === null) return { ok: false, reason: 'missing', detail: 'is missing' }
  if (typeof value === 'string') {
    if (value.length === 0) return { ok: false, reason: 'invalid', detail: 'is empty' }
    // A lone surrogate has no UTF-8 form: hashing it would sign U+FFFD instead.
    if (!value.isWellFormed()) return { ok: false, reason: 'invalid', detail: 'is not well-formed Unicode' }
    return { ok: true, identifier: value }
  }
  if (typeof value === 'number') {
    if (Number.isSafeInteger(value)) return { ok: true, identifier: String(value) }
    return { ok: false, reason: 'invalid', detail: 'is a number that is not a safe integer' }
  }
  return {
    ok: false,
    reason: 'invalid',
    detail: `is of type ${Array.isArray(value) ? 'array' : typeof value}`,
  }
}

/** An inbox secret as a key object, built once when the secret is loaded. Used as its UTF-8 bytes. */
export function hmacKey(secret: string): KeyObject {
  return createSecretKey(Buffer.from(secret, 'utf8'))
}

/** Lowercase hex HMAC-SHA256 of the identifier's UTF-8 bytes: Chatwoot's `identifier_hash`. */
export function identifierHash(key: KeyObject, identifier: string): string {
  return createHmac('sha256', key).update(identifier, 'utf8').digest('hex')
}

/**
 * Exactly Chatwoot's decision for the pair: the hash must be the hexdigest, character for character
 * (not uppercase, not trimmed), so anything else is `false` rather than an error; compared in
 * constant time.
 */
export function verifyIdentifierHash(key: KeyObject, identifier: string, hash: string): boolean {
  return matchesIdentifierHash(identifierHash(key, identifier), hash)
}

/** The same decision against an expected hash already computed (see IdentifierHashMemo). */
export function matchesIdentifierHash(expected: string, hash: string): boolean {
  return expected.length === 64 && equalStrings(expected, hash)
}

/** Identifiers longer than this are hashed every time rather than remembered. */
export const MEMO_MAX_IDENTIFIER_LENGTH = 256

interface MemoEntry {
  key: KeyObject
  hash: string
}

/**
 * Hashes computed before, so that an identifier seen again costs no HMAC (which costs more than the
 * rest of a verify request). Entries live in scopes, a caller and an inbox: a caller's timings then
 * tell it only about identifiers it asked about itself. An entry counts only for the key object it was
 * computed with (a secrets reload makes new ones). One bound for all scopes, the oldest entry going
 * first: at most maxEntries identifiers of MEMO_MAX_IDENTIFIER_LENGTH characters.
 */
export class IdentifierHashMemo {
  // Caller, then inbox, then identifier: nested rather than one joined key, so that a lookup builds
  // no string and hashes only the identifier (the scope names are long-lived strings).
  readonly #scopes = new Map<string, Map<string, Map<string, MemoEntry>>>()
  // Where each remembered identifier lives, oldest first from #next on: the eviction order. Filled
  // slot by slot and never emptied, so its length is the number remembered.
  readonly #order: Array<{ caller: string; inbox: string; identifier: string }> = []
  #next = 0

  /** `hasher` computes what is remembered (tests count its calls). */
  constructor(
    readonly maxEntries: number,
    private readonly hasher: (key: KeyObject, identifier: string) => string = identifierHash,
  ) {
    // A fraction would make the ring's slots fractions too, and the bound no bound.
    if (!Number.isSafeInteger(maxEntries) || maxEntries < 0)
      throw new RangeError(`maxEntries must be a whole number of entries, not ${maxEntries}`)
  }

  hash(key: KeyObject, caller: string, inbox: string, identifier: string): string {
    if (identifier.length > MEMO_MAX_IDENTIFIER_LENGTH || this.maxEntries === 0)
      return this.hasher(key, identifier)
    const entry = this.#scopes.get(caller)?.get(inbox)?.get(identifier)
    if (entry !== undefined && entry.key === key) return entry.hash
    const hash = this.hasher(key, identifier)
    // A new key for a remembered identifier keeps its place in the order. Making room may drop this
    // very scope (its oldest was its last), so its map is looked up again afterwards.
    if (entry === undefined) this.#remember(caller, inbox, identifier)
    this.#entries(caller, inbox).set(identifier, { key, hash })
    return hash
  }

  has(caller: string, inbox: string, identifier: string): boolean {
    return this.#scopes.get(caller)?.get(inbox)?.has(identifier) ?? false
  }

  get size(): number {
    return this.#order.length
  }

  #entries(caller: string, inbox: string): Map<string, MemoEntry> {
    let byInbox = this.#scopes.get(caller)
    if (byInbox === undefined) this.#scopes.set(caller, (byInbox = new Map()))
    let entries = byInbox.get(inbox)
    if (entries === undefined) byInbox.set(inbox, (entries = new Map()))
    return entries
  }

  /** Takes the next place in the order, forgetting the oldest identifier once all are taken. */
  #remember(caller: string, inbox: string, identifier: string): void {
    const oldest = this.#order[this.#next]
    if (oldest !== undefined) this.#forget(oldest.caller, oldest.inbox, oldest.identifier)
    this.#order[this.#next] = { caller, inbox, identifier }
    this.#next = (this.#next + 1) % this.maxEntries
  }

  // Scopes left empty go too: the maps hold only what is remembered.
  #forget(caller: string, inbox: string, identifier: string): void {
    const byInbox = this.#scopes.get(caller) as Map<string, Map<string, MemoEntry>>
    const entries = byInbox.get(inbox) as Map<string, MemoEntry>
    entries.delete(identifier)
    if (entries.size > 0) return
    byInbox.delete(inbox)
    if (byInbox.size === 0) this.#scopes.delete(caller)
  }
}

/** The optional contact fields of Chatwoot's setUser that the identity answer can carry. */
export const PROFILE_FIELDS = ['name', 'email', 'avatar_url', 'phone_number'] as const
export type ProfileField = (typeof PROFILE_FIELDS)[number]
export type Profile = Partial<Record<ProfileField, string>>

/**
 * The profile fields whose claims (same lookup as the identifier) hold a non-empty string; anything
 * else is left out rather than guessed at, so a field is present only when the token says so.
 */
export function profileFromClaims(
  claims: Claims,
  mapping: ReadonlyArray<readonly [ProfileField, string]>,
): Profile {
  const profile: Profile = {}
  for (const [field, claim] of mapping) {
    const value = lookupClaim(claims, claim)
    if (typeof value === 'string' && value.length > 0 && value.isWellFormed()) profile[field] = value
  }
  return profile
}
