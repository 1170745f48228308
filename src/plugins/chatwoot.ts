import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { ChatwootSync } from '../chatwoot-sync.js'
import type { Config } from '../config.js'

const LOOPBACK = /^(localhost|127\.\d+\.\d+\.\d+|\[::1\])$/

/**
 * Chatwoot's inbox list as an inbox source (when CHATWOOT_URL is set): synced at start, every
 * CHATWOOT_REFRESH_SECONDS and on SIGHUP; not ready until the first sync. The token never reaches
 * a log line: it is only ever a request header.
 */
async function chatwootPlugin(fastify: FastifyInstance, { config }: { config: Config }) {
  const settings = config.chatwoot
  if (!settings) return
  const { metrics, log } = fastify
  const url = new URL(settings.inboxesUrl)
  log.info({ url: url.href, refreshSeconds: settings.refreshSeconds }, 'chatwoot inbox source')
  if (url.protocol === 'http:' && !LOOPBACK.test(url.hostname))
    log.warn('CHATWOOT_URL is plain http: the administrator token crosses the network unencrypted')

  let lastNotes = ''
  const sync = new ChatwootSync(settings, {
    synced(outcome, detail, result) {
      metrics.chatwootSyncs.inc(outcome)
      if (!result) {
        log.warn({ outcome, detail }, 'chatwoot sync failed; keeping the last good set')
        return
      }
      // What was left out (collisions, unknown channel types) is logged when it changes, not every sync.
      const notes = result.notes.join('\n')
      if (notes !== lastNotes) for (const note of result.notes) log.warn(note)
      lastNotes = notes
      if (fastify.setChatwootInboxes(result.inboxes))
        log.info({ inboxes: fastify.inboxes.names() }, 'chatwoot inboxes synced')
      else log.debug('chatwoot inboxes unchanged')
    },
    warn: (message) => log.warn(message),
  })
  fastify.readiness.require('chatwoot_inboxes', () => sync.synced)
  metrics.sources.chatwootSyncAgeSeconds = () => sync.ageSeconds()

  // A failure is logged and counted by `synced`; the last good set keeps serving.
  const onHangup = () => void sync.refresh().catch(() => {})
  process.on('SIGHUP', onHangup)
  sync.start()
  fastify.addHook('onClose', async () => {
    process.off('SIGHUP', onHangup)
    sync.close()
  })
}

export default fp(chatwootPlugin, {
  name: 'chatwoot',
  dependencies: ['inboxes', 'readiness', 'metrics'],
})
