import { Registry } from 'prom-client'
import { describe, expect, it } from 'vitest'
import { LabelledCounter, RequestHistogram } from '../src/fast-metrics.js'

async function exposition(...metrics: unknown[]): Promise<string> {
  const registry = new Registry()
  for (const metric of metrics) registry.registerMetric(metric as never)
  return registry.metrics()
}

describe('RequestHistogram', () => {
  it('counts each request in its own series when a route observer switches method and status', async () => {
    const histogram = new RequestHistogram()
    const record = histogram.forRoute('/v1/identity')
    record('GET', 200, 0.0005)
    record('GET', 200, 0.002)
    record('GET', 401, 0.0001)
    record('GET', 200, 0.03)
    record('HEAD', 200, 0.0001)
    histogram.observe('GET', '/v1/identity', 401, 2)
    const text = await exposition(histogram)
    const count = (labels: string) =>
      Number(new RegExp(`^http_request_duration_seconds_count\\{${labels}\\} (\\S+)$`, 'm').exec(text)?.[1])
    expect(count('method="GET",route="/v1/identity",status="200"')).toBe(3)
    expect(count('method="GET",route="/v1/identity",status="401"')).toBe(2)
    expect(count('method="HEAD",route="/v1/identity",status="200"')).toBe(1)
    expect(text).toMatch(
      /^http_request_duration_seconds_bucket\{method="GET",route="\/v1\/identity",status="200",le="0\.001"\} 1$/m,
    )
    expect(text).toMatch(
      /^http_request_duration_seconds_bucket\{method="GET",route="\/v1\/identity",status="200",le="0\.0025"\} 2$/m,
    )
    expect(text).toMatch(
      /^http_request_duration_seconds_bucket\{method="GET",route="\/v1\/identity",status="200",le="\+Inf"\} 3$/m,
    )
    expect(text).toMatch(
      /^http_request_duration_seconds_sum\{method="GET",route="\/v1\/identity",status="200"\} 0\.0325$/m,
    )
    expect(text).toMatch(
      /^http_request_duration_seconds_bucket\{method="GET",route="\/v1\/identity",status="401",le="1"\} 1$/m,
    )
  })

  it('keeps routes apart', async () => {
    const histogram = new RequestHistogram()
    const a = histogram.forRoute('/a')
    const b = histogram.forRoute('/b')
    a('GET', 200, 0.001)
    b('GET', 200, 0.001)
    b('GET', 200, 0.001)
    const text = await exposition(histogram)
    expect(text).toMatch(/^http_request_duration_seconds_count\{method="GET",route="\/a",status="200"\} 1$/m)
    expect(text).toMatch(/^http_request_duration_seconds_count\{method="GET",route="\/b",status="200"\} 2$/m)
  })
})

describe('LabelledCounter', () => {
  it('counts per label value', async () => {
    const counter = new LabelledCounter('verifications_total', 'Verify requests', 'result')
    counter.inc('valid')
    counter.inc('invalid')
    counter.inc('valid')
    const text = await exposition(counter)
    expect(text).toMatch(/^verifications_total\{result="valid"\} 2$/m)
    expect(text).toMatch(/^verifications_total\{result="invalid"\} 1$/m)
    expect(text).toContain('# TYPE verifications_total counter')
  })
})
