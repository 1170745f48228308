// Chatwoot identity hash in Node.js: HMAC-SHA256, key = the inbox secret, message = the identifier.
import { createHmac } from 'node:crypto'
import { fileURLToPath } from 'node:url'

export function identifierHash(inboxSecret, identifier) {
  // String(42) is '42', as Chatwoot's identifier.to_s; never pass a float such as 42.5.
  return createHmac('sha256', inboxSecret).update(String(identifier), 'utf8').digest('hex')
}

// Self-check: INBOX_SECRET=... node hash.mjs IDENTIFIER
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  console.log(identifierHash(process.env.INBOX_SECRET, process.argv[2]))
}
