import { fetchChatwootInboxes } from '../chatwoot.js'
import { ConfigError, type Env, loadInboxConfig, readSecretFile } from '../config.js'
import { FetchError } from '../fetch-json.js'
import { isProblem } from '../problems.js'
import { type Inbox, type InboxSecret, InboxStore, overlayInboxSecrets } from '../secrets.js'
import { failure, usageError } from './errors.js'

// The inbox secrets the command line hashes with: exactly the service's sources and lookup, or the
// one secret of --secret-file.

export interface Inboxes {
  readonly store: InboxStore
  /** For the log-like notes on stderr: overrides, collisions, a Chatwoot that could not be read. */
  readonly notes: string[]
}

/** Every configured inbox (environment, SECRETS_FILE, then one fetch from Chatwoot when configured). */
export async function configuredInboxes(env: Env): Promise<Inboxes> {
  let config: ReturnType<typeof loadInboxConfig>
  try {
    config = loadInboxConfig(env)
  } catch (error) {
    if (error instanceof ConfigError) throw failure(`configuration error: ${error.message}`)
    throw error
  }
  const notes: string[] = []
  let chatwoot = new Map<string, InboxSecret>()
  let complete = true
  if (config.chatwoot) {
    try {
      const result = await fetchChatwootInboxes(
        config.chatwoot.inboxesUrl,
        config.chatwoot.token,
        config.chatwoot.timeoutSeconds * 1000,
      )
      chatwoot = result.inboxes
      notes.push(...result.notes)
    } catch (error) {
      if (!(error instanceof FetchError)) throw error
      // The local inboxes still answer; a name not among them is then "maybe in Chatwoot".
      complete = false
      notes.push(
        `Chatwoot could not be read (${error.outcome}: ${error.message}); only local inboxes are used`,
      )
    }
  }
  const { merged, notes: overlay } = overlayInboxSecrets(config.localInboxes, chatwoot)
  return { store: new InboxStore(merged, complete), notes: [...notes, ...overlay] }
}

/** The one inbox of --secret-file, named "secret-file" (there is no other to choose from). */
export function secretFileInbox(path: string): Inboxes {
  let secret: string
  try {
    secret = readSecretFile('--secret-file', path)
  } catch (error) {
    if (error instanceof ConfigError) throw failure(error.message)
    throw error
  }
  const name = 'secret-file'
  return { store: new InboxStore(new Map([[name, { name, secret, origin: path }]])), notes: [] }
}

/** The inbox `param` names, as the service would resolve it; a CliError explaining a miss. */
export function pick({ store }: Inboxes, param: string | undefined): Inbox {
  try {
    return store.resolve(param)
  } catch (error) {
    if (!isProblem(error)) throw error
    const { code } = error
    const names = store.names().join(', ') || 'none'
    if (code === 'invalid_inbox') throw failure(`--inbox must match ^[A-Za-z0-9_-]{1,64}$`)
    if (code === 'inbox_required')
      throw failure(`several inboxes are configured (${names}): name one with --inbox`)
    if (code === 'inbox_not_found') throw failure(`no inbox "${param}" (configured: ${names})`)
    if (code === 'not_ready')
      throw failure(
        store.size
          ? `no inbox "${param ?? ''}" among the local ones (${names}) and Chatwoot could not be read`
          : 'no inbox is configured',
      )
    throw error
  }
}

/** The inboxes of --secret-file, or of the configuration; --inbox with --secret-file is a usage error. */
export async function inboxesFor(
  values: { inbox?: string; 'secret-file'?: string },
  env: Env,
): Promise<Inboxes> {
  const file = values['secret-file']
  if (file === undefined) return configuredInboxes(env)
  if (values.inbox !== undefined) throw usageError('--inbox and --secret-file exclude each other')
  return secretFileInbox(file)
}
