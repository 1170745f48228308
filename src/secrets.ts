import type { KeyObject } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { z } from 'zod'
import { ConfigError } from './config-error.js'
import { hmacKey } from './identity.js'
import { Problem } from './problems.js'

// Inbox secrets: where they come from, how they are named, and the merged set that requests read.

/** What a client may send as `inbox` (SPEC.md). */
export const INBOX_PARAM = /^[A-Za-z0-9_-]{1,64}$/

/** SPEC.md's canonical name: lowercase, each run of characters outside [a-z0-9] turned into one `_`. */
export const canonicalInboxName = (name: string): string => name.toLowerCase().replace(/[^a-z0-9]+/g, '_')

/** One inbox's secret as read from a source, with where it came from (for error messages, never the value). */
export interface InboxSecret {
  readonly name: string
  readonly secret: string
  readonly origin: string
}

export interface Inbox {
  readonly name: string
  readonly key: KeyObject
}

/** Adds one secret to `into`, refusing an empty secret, an unaddressable name or the same inbox twice. */
export function addInboxSecret(into: Map<string, InboxSecret>, entry: InboxSecret, variable: string): void {
  if (entry.name.length === 0 || entry.name.length > 64 || entry.name === '_') {
    throw new ConfigError(
      variable,
      `inbox name "${entry.name}" is not usable (1 to 64 characters of [a-z0-9_])`,
    )
  }
  if (entry.secret.length === 0) throw new ConfigError(variable, `inbox "${entry.name}" has an empty secret`)
  const earlier = into.get(entry.name)
  if (earlier) {
    throw new ConfigError(
      variable,
      `inbox "${entry.name}" is defined twice (${earlier.origin} and ${entry.origin})`,
    )
  }
  into.set(entry.name, entry)
}

const SecretsFileSchema = z.object({
  inboxes: z.record(
    z.string(),
    z.object({ secret: z.string({ error: 'must be a string' }).min(1, 'must not be empty') }),
    { error: 'must be an object of inboxes' },
  ),
})

/** Reads and validates the whole secrets file; any problem throws a one-line ConfigError naming SECRETS_FILE. */
export function readSecretsFile(path: string): Map<string, InboxSecret> {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (error) {
    throw new ConfigError(
      'SECRETS_FILE',
      `cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? 'error'})`,
    )
  }
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch {
    // The parser's message may quote the file's content: keep it out.
    throw new ConfigError('SECRETS_FILE', `${path} is not valid JSON`)
  }
  const parsed = SecretsFileSchema.safeParse(json)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    const where = issue?.path.length ? issue.path.join('.') : 'top level'
    throw new ConfigError(
      'SECRETS_FILE',
      `${path}: ${where} ${issue?.message ?? 'is invalid'} (expected {"inboxes": {"<name>": {"secret": "..."}}})`,
    )
  }
  const inboxes = new Map<string, InboxSecret>()
  for (const [raw, { secret }] of Object.entries(parsed.data.inboxes)) {
    addInboxSecret(
      inboxes,
      { name: canonicalInboxName(raw), secret, origin: `${path} "${raw}"` },
      'SECRETS_FILE',
    )
  }
  return inboxes
}

/** Merges sources; the same inbox in two of them is an error (SPEC.md), as is an empty result. */
export function mergeInboxSecrets(variable: string, ...sources: ReadonlyMap<string, InboxSecret>[]) {
  const merged = new Map<string, InboxSecret>()
  for (const source of sources) for (const entry of source.values()) addInboxSecret(merged, entry, variable)
  return merged
}

/**
 * The inbox set requests read. Keys are built once per load; a reload swaps the whole map at once,
 * so a request sees either the old set or the new one, never a mix.
 */
export class InboxStore {
  #inboxes = new Map<string, Inbox>()
  #only: Inbox | undefined

  constructor(secrets: ReadonlyMap<string, InboxSecret> = new Map()) {
    this.replace(secrets)
  }

  replace(secrets: ReadonlyMap<string, InboxSecret>): void {
    const next = new Map<string, Inbox>()
    for (const { name, secret } of secrets.values()) next.set(name, { name, key: hmacKey(secret) })
    this.#inboxes = next
    this.#only = next.size === 1 ? next.values().next().value : undefined
  }

  get size(): number {
    return this.#inboxes.size
  }

  names(): string[] {
    return [...this.#inboxes.keys()].sort()
  }

  /** The inbox a request names (or the only one); a Problem for a missing, malformed or unknown name. */
  resolve(param: string | undefined): Inbox {
    if (this.#inboxes.size === 0) throw new Problem('not_ready', 'No inbox is loaded yet')
    if (param === undefined) {
      if (this.#only) return this.#only
      throw new Problem('inbox_required', 'Several inboxes are configured: name one with inbox')
    }
    if (!INBOX_PARAM.test(param)) throw new Problem('invalid_inbox', 'inbox must match ^[A-Za-z0-9_-]{1,64}$')
    const inbox = this.#inboxes.get(canonicalInboxName(param))
    if (!inbox) throw new Problem('inbox_not_found', 'No inbox of that name is configured')
    return inbox
  }
}
