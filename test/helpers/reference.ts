import { createHash } from 'node:crypto'

/**
 * HMAC-SHA256 written out from RFC 2104 over plain SHA-256, to check the service against something
 * that does not share its code path (createHmac). Key and message are UTF-8 bytes, as in Chatwoot.
 */
export function referenceHash(secret: string, identifier: string): string {
  let key = Buffer.from(secret, 'utf8')
  if (key.length > 64) key = createHash('sha256').update(key).digest()
  const block = Buffer.alloc(64)
  key.copy(block)
  const pad = (byte: number) => Buffer.from(block.map((b) => b ^ byte))
  const inner = createHash('sha256').update(pad(0x36)).update(Buffer.from(identifier, 'utf8')).digest()
  return createHash('sha256').update(pad(0x5c)).update(inner).digest('hex')
}

/** SPEC.md's known vector. */
export const SPEC_VECTOR = {
  secret: 'your-secret-token-for-hmac',
  identifier: 'unique-identifier-of-the-user',
  hash: 'fa803c5ef0dc4056f15936cc79e6c9eb912fe55b5d7afb9c0a14f3a1a491700c',
} as const
