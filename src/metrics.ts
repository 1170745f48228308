import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client'
import { RequestHistogram } from './request-histogram.js'

// Every metric the service exports, in one registry per app (tests build several apps in one process).
// Histograms and counters only: no summaries on the hot path.

export function createMetrics() {
  const registry = new Registry()
  collectDefaultMetrics({ register: registry })
  const prefix = 'chatwoot_identity_'
  // Gauges read at scrape time from whoever owns the value.
  const sources = { jwksAgeSeconds: (): number | undefined => undefined }
  const requestDuration = new RequestHistogram()
  registry.registerMetric(requestDuration as never)
  return {
    registry,
    sources,
    requestDuration,
    hashesIssued: new Counter({
      name: `${prefix}hashes_issued_total`,
      help: 'Identity hashes issued, by inbox',
      labelNames: ['inbox'] as const,
      registers: [registry],
    }),
    verifications: new Counter({
      name: `${prefix}verifications_total`,
      help: 'Verify requests answered, by result',
      labelNames: ['result'] as const,
      registers: [registry],
    }),
    rejections: new Counter({
      name: `${prefix}rejections_total`,
      help: 'Requests answered with a problem, by code (JWT rejections are the 401 codes)',
      labelNames: ['code'] as const,
      registers: [registry],
    }),
    jwksFetches: new Counter({
      name: `${prefix}jwks_fetches_total`,
      help: 'JWKS fetches, by outcome',
      labelNames: ['outcome'] as const,
      registers: [registry],
    }),
    jwksAge: new Gauge({
      name: `${prefix}jwks_age_seconds`,
      help: 'Seconds since the key set was last fetched successfully (absent before the first success)',
      registers: [registry],
      collect() {
        const age = sources.jwksAgeSeconds()
        if (age !== undefined) this.set(age)
      },
    }),
    jwksKeys: new Gauge({
      name: `${prefix}jwks_keys`,
      help: 'Keys in the current key set',
      registers: [registry],
    }),
    secretsReloads: new Counter({
      name: `${prefix}secrets_reloads_total`,
      help: 'Secrets file reloads, by outcome',
      labelNames: ['outcome'] as const,
      registers: [registry],
    }),
    inboxes: new Gauge({
      name: `${prefix}inboxes`,
      help: 'Inboxes currently configured',
      registers: [registry],
    }),
  }
}

export type Metrics = ReturnType<typeof createMetrics>
