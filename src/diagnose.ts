import { createHash, createHmac, type KeyObject } from 'node:crypto'
import { identifierHash } from './identity.js'

// Why a hash "does not match": the usual mistakes, each recognised by recomputing the hash the way
// that mistake would have. Hints name inboxes and mistakes, never a secret.

export interface Candidate {
  readonly name: string
  readonly key: KeyObject
}

const hex = (value: string) => /^[0-9a-fA-F]{64}$/.test(value)

/** Hints for a hash that is not valid for `identifier` with `inbox`'s secret; empty when none fits. */
export function diagnose(
  hash: string,
  identifier: string,
  inbox: Candidate,
  others: readonly Candidate[] = [],
): string[] {
  const hints: string[] = []
  const given = hash.trim()
  if (given !== hash) hints.push('the hash has whitespace around it: Chatwoot compares it byte for byte')
  if (!hex(given)) {
    hints.push(
      `the hash is not 64 hex characters (it has ${given.length}): it is not an HMAC-SHA256 hex digest`,
    )
    return hints
  }
  const lower = given.toLowerCase()
  if (lower !== given) hints.push('the hash has uppercase hex digits: Chatwoot expects lowercase hex')

  const secret = inbox.key.export()
  const correct = identifierHash(inbox.key, identifier)
  const mistakes: [string, string][] = [
    [
      identifierHash(inbox.key, identifier.trim()),
      'it is the hash of the identifier with its whitespace trimmed',
    ],
    [
      identifierHash(inbox.key, `${identifier}\n`),
      'it is the hash of the identifier with a trailing newline',
    ],
    [
      identifierHash(inbox.key, ''),
      'it is the HMAC of an empty message: the identifier was never written into the HMAC',
    ],
    [
      createHmac('sha256', Buffer.from(identifier, 'utf8')).update(secret).digest('hex'),
      'key and message are swapped: the inbox secret must be the HMAC key, the identifier the message',
    ],
    [
      createHash('sha256').update(identifier, 'utf8').digest('hex'),
      'it is a plain SHA-256 of the identifier, not an HMAC',
    ],
  ]
  if (/^-?\d+$/.test(identifier)) {
    mistakes.push([
      identifierHash(inbox.key, `${identifier}.0`),
      `it is the hash of "${identifier}.0": a number must be hashed as its decimal digits`,
    ])
  }
  // A variant that equals the right hash (nothing to trim, say) is no mistake.
  for (const [expected, hint] of mistakes) if (expected === lower && expected !== correct) hints.push(hint)
  for (const other of others) {
    if (other.name !== inbox.name && identifierHash(other.key, identifier) === lower)
      hints.push(`it is the hash for inbox "${other.name}": the page used that inbox's secret`)
  }
  return hints
}
