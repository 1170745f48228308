// Comparisons of a secret with what a client sent, in plain JS: every character is looked at whatever
// differs (no early exit, no branch on the data), so the time taken depends only on lengths the client
// already knows. A digest or a Buffer per comparison would cost several times the comparison itself.

/** The longest secret a Secret holds (VERIFY_API_KEYS bounds its keys by it). */
export const MAX_SECRET_LENGTH = 256

/**
 * ORed XOR of the character codes of `a` and `b` over a's length: 0 when b starts with a. `b` must be
 * at least as long as `a` (a character past its end would read as 0): both callers make sure of it.
 */
function differences(a: string, b: string): number {
  let diff = 0
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i)
  return diff
}

/**
 * Two strings of a length that is no secret (a hex digest and the hash a client sent): equal when
 * they are, in time that depends on that length alone.
 */
export function equalStrings(expected: string, presented: string): boolean {
  return expected.length === presented.length && differences(expected, presented) === 0
}

/**
 * A secret kept padded to MAX_SECRET_LENGTH characters: whatever a client presents (at most that long)
 * is compared character by character with characters that exist, so neither the secret's contents nor
 * its length change how long a comparison takes; only the presented string's own length does.
 */
export class Secret {
  readonly #padded: string
  readonly #length: number

  constructor(value: string) {
    if (value.length > MAX_SECRET_LENGTH)
      throw new RangeError(`a secret is at most ${MAX_SECRET_LENGTH} characters`)
    // Built from character codes: a flat string, which charCodeAt reads fastest.
    this.#padded = String.fromCharCode(
      ...Array.from({ length: MAX_SECRET_LENGTH }, (_, i) => value.charCodeAt(i) || 0),
    )
    this.#length = value.length
  }

  /** Whether `presented` is exactly this secret. */
  matches(presented: string): boolean {
    // Longer than any secret: a public bound, so refusing early tells nothing.
    if (presented.length > MAX_SECRET_LENGTH) return false
    // The padding's NULs are no match for the secret's length, which the XOR of lengths covers.
    return ((this.#length ^ presented.length) | differences(presented, this.#padded)) === 0
  }
}
