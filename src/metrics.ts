import { collectDefaultMetrics, Gauge, Registry } from 'prom-client'
import { LabelledCounter, RequestHistogram } from './fast-metrics.js'

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
  const requestDuration = new RequestHistogram()
  registry.registerMetric(requestDuration as never)
  const counter = (name: string, help: string, label: string) => {
    const metric = new LabelledCounter(name, help, label)
    registry.registerMetric(metric as never)
    return metric
  }
  const gauge = (name: string, help: string) => new Gauge({ name, help, registers: [registry] })
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
    requestDuration,
    hashesIssued: counter(`${prefix}hashes_issued_total`, 'Identity hashes issued, by inbox', 'inbox'),
    verifications: counter(`${prefix}verifications_total`, 'Verify requests answered, by result', 'result'),
    rejections: counter(
      `${prefix}rejections_total`,
      'Requests answered with a problem, by code (JWT rejections are the 401 codes)',
      'code',
    ),
    jwksFetches: counter(`${prefix}jwks_fetches_total`, 'JWKS fetches, by outcome', 'outcome'),
    jwksAge: ageGauge(
      `${prefix}jwks_age_seconds`,
      'Seconds since the key set was last fetched successfully (absent before the first success)',
      () => sources.jwksAgeSeconds(),
    ),
    jwksKeys: gauge(`${prefix}jwks_keys`, 'Keys in the current key set'),
    secretsReloads: counter(`${prefix}secrets_reloads_total`, 'Secrets file reloads, by outcome', 'outcome'),
    chatwootSyncs: counter(
      `${prefix}chatwoot_syncs_total`,
      'Fetches of the Chatwoot inbox list, by outcome',
      'outcome',
    ),
    chatwootSyncAge: ageGauge(
      `${prefix}chatwoot_sync_age_seconds`,
      'Seconds since the Chatwoot inbox list was last fetched successfully (absent before the first success)',
      () => sources.chatwootSyncAgeSeconds(),
    ),
    inboxes: gauge(`${prefix}inboxes`, 'Inboxes currently configured'),
  }
}

export type Metrics = ReturnType<typeof createMetrics>
