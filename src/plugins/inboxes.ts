import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import type { Config } from '../config.js'
import { InboxStore, mergeInboxSecrets } from '../secrets.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** The merged inbox secrets of every source, as key objects. */
    inboxes: InboxStore
  }
}

async function inboxesPlugin(fastify: FastifyInstance, { config }: { config: Config }) {
  const store = new InboxStore(
    mergeInboxSecrets('SECRETS_FILE', config.envInboxes, config.secretsFile?.inboxes ?? new Map()),
  )
  fastify.decorate('inboxes', store)
  fastify.readiness.require('inboxes', () => store.size > 0)
  fastify.log.info({ inboxes: store.names() }, 'inboxes loaded')
}

export default fp(inboxesPlugin, { name: 'inboxes', dependencies: ['readiness'] })
