import { setTimeout as sleep } from 'node:timers/promises'
import Fastify from 'fastify'
import { afterEach, describe, expect, it } from 'vitest'
import type { Config } from '../../src/config.js'
import metrics from '../../src/plugins/metrics.js'
import { buildApp } from '../helpers/app.js'
import { rawRequest } from '../helpers/http.js'

const series = (text: string, name: string, labels: string) =>
  Number(new RegExp(`^${name}\\{${labels}\\} (\\S+)$`, 'm').exec(text)?.[1])

let close: (() => Promise<unknown>) | undefined
afterEach(async () => {
  await close?.()
  close = undefined
})

describe('metrics plugin on its own', () => {
  it("times each request from its first hook to its answer, under the route's URL and status", async () => {
    const fastify = Fastify()
    close = () => fastify.close()
    await fastify.register(metrics, { config: { metricsPort: undefined } as Config })
    fastify.get('/slow/:id', async () => {
      await sleep(40)
      return 'late'
    })
    fastify.get('/teapot', (_request, reply) => reply.code(418).send('no'))
    const started = performance.now()
    expect((await fastify.inject('/slow/1')).statusCode).toBe(200)
    await fastify.inject('/slow/2')
    await fastify.inject('/teapot')
    const wall = (performance.now() - started) / 1000

    const text = (await fastify.inject('/metrics')).body
    const slow = 'method="GET",route="/slow/:id",status="200"'
    expect(series(text, 'http_request_duration_seconds_count', slow)).toBe(2)
    const sum = series(text, 'http_request_duration_seconds_sum', slow)
    expect(sum).toBeGreaterThanOrEqual(0.078) // two waits of 40 ms (timers may fire a little early)
    expect(sum).toBeLessThanOrEqual(wall)
    expect(
      series(text, 'http_request_duration_seconds_count', 'method="GET",route="/teapot",status="418"'),
    ).toBe(1)
  })
})

describe('metrics in the app', () => {
  it('times unmatched requests too, from their own start', async () => {
    const app = await buildApp({ JWT_SECRET: 'k'.repeat(32), CHATWOOT_INBOX_A_SECRET: 's' })
    close = () => app.close()
    const started = performance.now()
    for (let i = 0; i < 3; i++) expect((await app.inject('/nowhere')).statusCode).toBe(404)
    const wall = (performance.now() - started) / 1000
    const text = (await app.inject('/metrics')).body
    const labels = 'method="GET",route="unmatched",status="404"'
    expect(series(text, 'http_request_duration_seconds_count', labels)).toBe(3)
    const sum = series(text, 'http_request_duration_seconds_sum', labels)
    expect(sum).toBeGreaterThan(0)
    expect(sum).toBeLessThanOrEqual(wall)
  })

  it('times a request its first hooks reject, from its own start too', async () => {
    const app = await buildApp({ JWT_SECRET: 'k'.repeat(32), CHATWOOT_INBOX_A_SECRET: 's' })
    close = () => app.close()
    const url = await app.listen({ port: 0, host: '127.0.0.1' })
    const started = performance.now()
    // No Host header: refused by the service's first header hook.
    const refused = await rawRequest(url, 'GET /healthz HTTP/1.1\r\nConnection: close\r\n\r\n')
    const wall = (performance.now() - started) / 1000
    expect(refused.status).toBe(400)
    const text = await (await fetch(`${url}/metrics`)).text()
    const labels = 'method="GET",route="/healthz",status="400"'
    expect(series(text, 'http_request_duration_seconds_count', labels)).toBe(1)
    expect(series(text, 'http_request_duration_seconds_sum', labels)).toBeLessThanOrEqual(wall)
  })
})
