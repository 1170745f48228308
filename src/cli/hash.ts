import { diagnose } from '../diagnose.js'
import { identifierHash, normaliseIdentifier, verifyIdentifierHash } from '../identity.js'
import { command, required } from './args.js'
import { EXIT, usageError } from './errors.js'
import { inboxesFor, pick } from './inboxes.js'

// `hash` and `verify`: the service's computation and decision from the command line, with the same
// inbox sources and lookup, and hints for a pair that does not match.

const SOURCES = `The inbox secret comes from the service's configuration, read from the environment as the
service reads it: CHATWOOT_INBOX_<NAME>_SECRET (or _FILE), SECRETS_FILE, and Chatwoot when
CHATWOOT_URL is set (one fetch). Or from --secret-file: the whole file, one trailing newline
removed (--secret-file /dev/stdin reads a pipe). A secret is never taken as an argument: it would
show in the process list and the shell history.`

const INBOX_OPTIONS = `  --identifier ID     the Chatwoot contact identifier, used as given (no trimming)
  --inbox NAME        canonical name, or Chatwoot id, website_token or inbox_identifier;
                      may be left out when exactly one inbox is configured
  --secret-file PATH  take the inbox secret from this file instead of the configuration`

const options = {
  inbox: { type: 'string' },
  identifier: { type: 'string' },
  'secret-file': { type: 'string' },
} as const

/** The identifier as Chatwoot hashes it; empty or malformed ones are refused, as by the service. */
function identifierOf(value: string | undefined): string {
  const result = normaliseIdentifier(required(value, 'identifier'))
  if (!result.ok) throw usageError(`--identifier ${result.detail}`)
  return result.identifier
}

const note = (text: string) => process.stderr.write(`chatwoot-identity: note: ${text}\n`)

export const hash = command({
  summary: 'print the identifier_hash of an identifier for an inbox',
  help: `Usage: chatwoot-identity hash --identifier ID [--inbox NAME | --secret-file PATH]

Prints identifier_hash: the lowercase hex HMAC-SHA256 of ID keyed with the inbox secret, exactly
as the service and Chatwoot compute it.

${SOURCES}

Options:
${INBOX_OPTIONS}
  -h, --help          show this help

Exit status: 0 printed, 2 usage error, 3 cannot be done (configuration, unknown inbox).
`,
  options,
  async run(values, env) {
    const identifier = identifierOf(values.identifier)
    const inboxes = await inboxesFor(values, env)
    inboxes.notes.forEach(note)
    const inbox = pick(inboxes, values.inbox)
    process.stdout.write(`${identifierHash(inbox.key, identifier)}\n`)
    return EXIT.ok
  },
})

export const verify = command({
  summary: 'check an identifier and hash pair (exit 0 valid, 1 not valid), with hints',
  help: `Usage: chatwoot-identity verify --identifier ID --hash HASH [--inbox NAME | --secret-file PATH]

Prints "valid" and exits 0 when HASH is what Chatwoot accepts for ID with the inbox secret;
prints "not valid" and exits 1 otherwise, with a hint for each usual mistake that explains HASH
(uppercase hex, a trimmed or newline-terminated identifier, key and message swapped, another
inbox's secret, an empty message, a plain SHA-256, a number hashed as "42.0").

${SOURCES}

Options:
${INBOX_OPTIONS}
  --hash HASH         the identifier_hash to check
  -h, --help          show this help

Exit status: 0 valid, 1 not valid, 2 usage error, 3 cannot be done (configuration, unknown inbox).
`,
  options: { ...options, hash: { type: 'string' } },
  async run(values, env) {
    const identifier = identifierOf(values.identifier)
    const given = required(values.hash, 'hash')
    const inboxes = await inboxesFor(values, env)
    inboxes.notes.forEach(note)
    const inbox = pick(inboxes, values.inbox)
    if (verifyIdentifierHash(inbox.key, identifier, given)) {
      process.stdout.write('valid\n')
      return EXIT.ok
    }
    const others = inboxes.store.names().map((name) => inboxes.store.resolve(name))
    const hints = diagnose(given, identifier, inbox, others)
    process.stdout.write(['not valid', ...hints.map((hint) => `hint: ${hint}`)].join('\n') + '\n')
    return EXIT.no
  },
})
