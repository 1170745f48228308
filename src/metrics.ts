import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client'

// Every metric the service exports, in one registry per app (tests build several apps in one process).
// Histograms and counters only: no summaries on the hot path.

export function createMetrics() {
  const registry = new Registry()
  collectDefaultMetrics({ register: registry })
  const prefix = 'chatwoot_identity_'
  // Gauges read at scrape time from whoever owns the value.
  const sources = {
    jwksAgeSeconds: (): number | undefined => undefined,
    chatwootSyncAgeSeconds: (): number | undefined => undefined,
  }
  // Set at scrape time from `age`; absent until it has a value.
  const ageGauge = (name: string, help: string, age: () => number | undefined) =>
    new Gauge({
      name,
      help,
      registers: [registry],
      collect() {
        const seconds = age()
        if (seconds !== undefined) this.set(seconds)
      },
    })
  return {
    registry,
    sources,
    requestDuration: new Histogram({
      name: 'http_request_duration_seconds',
      help: 'Request latency by route and status; its _count is the request count',
      labelNames: ['method', 'route', 'status'] as const,
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5],
      registers: [registry],
    }),
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
    jwksAge: ageGauge(
      `${prefix}jwks_age_seconds`,
      'Seconds since the key set was last fetched successfully (absent before the first success)',
      () => sources.jwksAgeSeconds(),
    ),
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
    chatwootSyncs: new Counter({
      name: `${prefix}chatwoot_syncs_total`,
      help: 'Fetches of the Chatwoot inbox list, by outcome',
      labelNames: ['outcome'] as const,
      registers: [registry],
    }),
    chatwootSyncAge: ageGauge(
      `${prefix}chatwoot_sync_age_seconds`,
      'Seconds since the Chatwoot inbox list was last fetched successfully (absent before the first success)',
      () => sources.chatwootSyncAgeSeconds(),
    ),
    inboxes: new Gauge({
      name: `${prefix}inboxes`,
      help: 'Inboxes currently configured',
      registers: [registry],
    }),
  }
}

export type Metrics = ReturnType<typeof createMetrics>
