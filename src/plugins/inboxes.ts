import { type FSWatcher, watch } from 'node:fs'
import { basename, dirname } from 'node:path'
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import type { Config } from '../config.js'
import { ConfigError } from '../config-error.js'
import {
  fingerprintInboxes,
  type InboxSecret,
  InboxStore,
  mergeInboxSecrets,
  overlayInboxSecrets,
  readSecretsFile,
} from '../secrets.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** The merged inbox secrets of every source, as key objects. */
    inboxes: InboxStore
    /** Re-reads SECRETS_FILE now (also on SIGHUP and when the file changes); resolves with the outcome. */
    reloadSecrets(reason: string): ReloadOutcome
    /** Takes Chatwoot's latest good set (environment and file inboxes keep precedence); true when it changed. */
    setChatwootInboxes(secrets: ReadonlyMap<string, InboxSecret>): boolean
  }
}

export type ReloadOutcome = 'ok' | 'unchanged' | 'error' | 'no_file'

/** Debounce for file events: an editor or a Kubernetes symlink swap makes several in a row. */
const DEBOUNCE_MS = 200

async function inboxesPlugin(fastify: FastifyInstance, { config }: { config: Config }) {
  const { metrics, log } = fastify
  // Environment and file inboxes, and Chatwoot's: undefined until its first sync when it is configured.
  let local = config.localInboxes
  let chatwoot: ReadonlyMap<string, InboxSecret> | undefined = config.chatwoot ? undefined : new Map()
  let current = fingerprintInboxes(local)
  let published = ''
  const store = new InboxStore()

  // Merges the sources into the store at once; overrides and aliases left out are logged when it changes.
  const publish = (): boolean => {
    const { merged, notes } = overlayInboxSecrets(local, chatwoot ?? new Map())
    const next = `${fingerprintInboxes(merged)}:${chatwoot !== undefined}`
    if (next === published) return false
    store.replace(merged, chatwoot !== undefined)
    published = next
    metrics.inboxes.set(store.size)
    for (const note of notes) log.warn(note)
    return true
  }
  publish()
  fastify.decorate('inboxes', store)
  fastify.decorate('setChatwootInboxes', (secrets: ReadonlyMap<string, InboxSecret>) => {
    chatwoot = secrets
    return publish()
  })
  fastify.readiness.require('inboxes', () => store.size > 0)
  log.info({ inboxes: store.names() }, 'inboxes loaded')

  const file = config.secretsFile?.path
  // Validated whole and swapped at once; any problem keeps the last good set (and readiness as it was).
  const reload = (reason: string): ReloadOutcome => {
    if (!file) return 'no_file'
    let outcome: ReloadOutcome
    try {
      const merged = mergeInboxSecrets('SECRETS_FILE', config.envInboxes, readSecretsFile(file))
      // With Chatwoot as a source an empty file is fine, as it is at start.
      if (merged.size === 0 && !config.chatwoot)
        throw new ConfigError('SECRETS_FILE', `${file} holds no inbox`)
      const next = fingerprintInboxes(merged)
      if (next === current) outcome = 'unchanged'
      else {
        local = merged
        current = next
        publish()
        log.info({ reason, inboxes: store.names() }, 'secrets reloaded')
        outcome = 'ok'
      }
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error
      // The message names the file and the problem, never a value.
      log.warn({ reason, problem: error.message }, 'secrets reload failed; keeping the last good set')
      outcome = 'error'
    }
    metrics.secretsReloads.inc(outcome)
    return outcome
  }
  fastify.decorate('reloadSecrets', reload)
  if (!file) return

  const onHangup = () => reload('SIGHUP')
  process.on('SIGHUP', onHangup)

  // The directory, not the file: Kubernetes swaps a `..data` symlink, editors rename over the file.
  let timer: NodeJS.Timeout | undefined
  let watcher: FSWatcher | undefined
  const name = basename(file)
  try {
    watcher = watch(dirname(file), (_event, changed) => {
      if (changed && changed !== name && !changed.startsWith('..')) return
      clearTimeout(timer)
      timer = setTimeout(() => reload('file change'), DEBOUNCE_MS)
    })
    watcher.on('error', (error) =>
      log.warn({ err: error }, 'secrets file watch failed; SIGHUP still reloads'),
    )
    watcher.unref()
  } catch (error) {
    log.warn({ err: error }, 'cannot watch the secrets file directory; SIGHUP still reloads')
  }

  fastify.addHook('onClose', async () => {
    process.off('SIGHUP', onHangup)
    clearTimeout(timer)
    watcher?.close()
  })
}

export default fp(inboxesPlugin, { name: 'inboxes', dependencies: ['readiness', 'metrics'] })
