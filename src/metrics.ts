import { collectDefaultMetrics, Gauge, Registry } from 'prom-client'
import { LabelledCounter, RequestHistogram } from './fast-metrics.js'

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
  const counter = (name: string, help: string, label: string) => {
    const metric = new LabelledCounter(name, help, label)
    registry.registerMetric(metric as never)
    return metric
  }
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
    secretsReloads: counter(`${prefix}secrets_reloads_total`, 'Secrets file reloads, by outcome', 'outcome'),
    inboxes: new Gauge({
      name: `${prefix}inboxes`,
      help: 'Inboxes currently configured',
      registers: [registry],
    }),
  }
}

export type Metrics = ReturnType<typeof createMetrics>
