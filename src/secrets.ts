import { createHash, type KeyObject } from 'node:crypto'
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
  /** Other values that address this inbox, matched exactly (Chatwoot's id, website_token, inbox_identifier). */
  readonly aliases?: readonly string[]
}

export interface Inbox {
  readonly name: string
  readonly key: KeyObject
}

/** Why a canonical name cannot address an inbox, or undefined when it can. */
export const inboxNameProblem = (name: string): string | undefined =>
  name.length === 0 || name.length > 64 || name === '_'
    ? `inbox name "${name}" is not usable (1 to 64 characters of [a-z0-9_])`
    : undefined

/** Adds one secret to `into`, refusing an empty secret, an unaddressable name or the same inbox twice. */
export function addInboxSecret(into: Map<string, InboxSecret>, entry: InboxSecret, variable: string): void {
  const nameProblem = inboxNameProblem(entry.name)
  if (nameProblem) throw new ConfigError(variable, nameProblem)
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
 * Environment and file inboxes over Chatwoot's. A local inbox of the same canonical name takes the
 * place of Chatwoot's (an exception to "the same inbox twice is an error") and keeps its aliases.
 * An alias is kept only when it is unique and reachable: names are looked up first, so an alias
 * whose canonical form is another inbox's name could never be reached. Every override and every
 * alias left out is a note for the log (names and origins, never a secret).
 */
export function overlayInboxSecrets(
  local: ReadonlyMap<string, InboxSecret>,
  chatwoot: ReadonlyMap<string, InboxSecret>,
): { merged: Map<string, InboxSecret>; notes: string[] } {
  const notes: string[] = []
  const merged = new Map(local)
  for (const entry of chatwoot.values()) {
    const over = local.get(entry.name)
    if (!over) merged.set(entry.name, entry)
    else {
      notes.push(`inbox "${entry.name}": ${over.origin} takes precedence over ${entry.origin}`)
      merged.set(entry.name, { ...over, aliases: entry.aliases })
    }
  }
  const owners = new Map<string, number>()
  for (const entry of merged.values())
    for (const alias of entry.aliases ?? []) owners.set(alias, (owners.get(alias) ?? 0) + 1)
  for (const entry of merged.values()) {
    if (!entry.aliases?.length) continue
    const aliases = entry.aliases.filter((alias) => {
      const shadow = merged.get(canonicalInboxName(alias))
      if (shadow && shadow.name !== entry.name) {
        notes.push(`inbox "${entry.name}": alias "${alias}" is the name of inbox "${shadow.name}", left out`)
        return false
      }
      if ((owners.get(alias) ?? 0) > 1) {
        notes.push(`inbox "${entry.name}": alias "${alias}" belongs to several inboxes, left out`)
        return false
      }
      return true
    })
    if (aliases.length !== entry.aliases.length) merged.set(entry.name, { ...entry, aliases })
  }
  return { merged, notes }
}

/** A digest of a set (names, secrets, aliases), to tell whether a reload changed anything. */
export function fingerprintInboxes(secrets: ReadonlyMap<string, InboxSecret>): string {
  const hash = createHash('sha256')
  for (const name of [...secrets.keys()].sort()) {
    const entry = secrets.get(name) as InboxSecret
    hash.update(`${name}\0${entry.secret}\0${(entry.aliases ?? []).join('\0')}\0\0`)
  }
  return hash.digest('hex')
}

/**
 * The inbox set requests read. Keys are built once per load; a reload swaps the whole map at once,
 * so a request sees either the old set or the new one, never a mix.
 */
export class InboxStore {
  #inboxes = new Map<string, Inbox>()
  #aliases = new Map<string, Inbox>()
  #only: Inbox | undefined
  #complete = true

  constructor(secrets: ReadonlyMap<string, InboxSecret> = new Map(), complete = true) {
    this.replace(secrets, complete)
  }

  /**
   * Swaps in a new set. `complete` is false while a source has not loaded yet (Chatwoot before its
   * first sync): an inbox not found may then still come, so a miss is `not_ready` rather than a 404,
   * and "exactly one inbox" is not counted yet.
   */
  replace(secrets: ReadonlyMap<string, InboxSecret>, complete = true): void {
    const next = new Map<string, Inbox>()
    const aliases = new Map<string, Inbox>()
    for (const { name, secret, aliases: others = [] } of secrets.values()) {
      const inbox = { name, key: hmacKey(secret) }
      next.set(name, inbox)
      for (const alias of others) aliases.set(alias, inbox)
    }
    // Synchronous assignments: a request sees the old set or the new one, never a mix.
    this.#inboxes = next
    this.#aliases = aliases
    this.#only = complete && next.size === 1 ? next.values().next().value : undefined
    this.#complete = complete
  }

  get size(): number {
    return this.#inboxes.size
  }

  names(): string[] {
    return [...this.#inboxes.keys()].sort()
  }

  /**
   * The inbox a request names (by canonical name, else by exact alias) or the only one; a Problem for
   * a missing, malformed or unknown name.
   */
  resolve(param: string | undefined): Inbox {
    if (this.#inboxes.size === 0) throw new Problem('not_ready', 'No inbox is loaded yet')
    if (param === undefined) {
      if (this.#only) return this.#only
      throw this.#complete
        ? new Problem('inbox_required', 'Several inboxes are configured: name one with inbox')
        : pending()
    }
    if (!INBOX_PARAM.test(param)) throw new Problem('invalid_inbox', 'inbox must match ^[A-Za-z0-9_-]{1,64}$')
    const inbox = this.#inboxes.get(canonicalInboxName(param)) ?? this.#aliases.get(param)
    if (inbox) return inbox
    throw this.#complete ? new Problem('inbox_not_found', 'No inbox of that name is configured') : pending()
  }
}

const pending = () => new Problem('not_ready', 'Not every inbox source has loaded yet')
