import { createHash } from 'node:crypto'
import { type FSWatcher, watch } from 'node:fs'
import { basename, dirname } from 'node:path'
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import type { Config } from '../config.js'
import { ConfigError } from '../config-error.js'
import { type InboxSecret, InboxStore, mergeInboxSecrets, readSecretsFile } from '../secrets.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** The merged inbox secrets of every source, as key objects. */
    inboxes: InboxStore
    /** Re-reads SECRETS_FILE now (also on SIGHUP and when the file changes); resolves with the outcome. */
    reloadSecrets(reason: string): ReloadOutcome
  }
}

export type ReloadOutcome = 'ok' | 'unchanged' | 'error' | 'no_file'

/** Debounce for file events: an editor or a Kubernetes symlink swap makes several in a row. */
const DEBOUNCE_MS = 200

const fingerprint = (secrets: ReadonlyMap<string, InboxSecret>) => {
  const hash = createHash('sha256')
  for (const name of [...secrets.keys()].sort()) hash.update(`${name}\0${secrets.get(name)?.secret}\0`)
  return hash.digest('hex')
}

async function inboxesPlugin(fastify: FastifyInstance, { config }: { config: Config }) {
  const { metrics, log } = fastify
  const initial = mergeInboxSecrets(
    'SECRETS_FILE',
    config.envInboxes,
    config.secretsFile?.inboxes ?? new Map(),
  )
  const store = new InboxStore(initial)
  let current = fingerprint(initial)
  fastify.decorate('inboxes', store)
  fastify.readiness.require('inboxes', () => store.size > 0)
  metrics.inboxes.set(store.size)
  log.info({ inboxes: store.names() }, 'inboxes loaded')

  const file = config.secretsFile?.path
  // Validated whole and swapped at once; any problem keeps the last good set (and readiness as it was).
  const reload = (reason: string): ReloadOutcome => {
    if (!file) return 'no_file'
    let outcome: ReloadOutcome
    try {
      const merged = mergeInboxSecrets('SECRETS_FILE', config.envInboxes, readSecretsFile(file))
      if (merged.size === 0) throw new ConfigError('SECRETS_FILE', `${file} holds no inbox`)
      const next = fingerprint(merged)
      if (next === current) outcome = 'unchanged'
      else {
        store.replace(merged)
        current = next
        metrics.inboxes.set(store.size)
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
