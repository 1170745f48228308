import { request } from 'node:http'

// The image's HEALTHCHECK: the runtime image has no shell and no curl, only node. GETs /healthz on this
// container's PORT and exits 0 on 200, 1 on anything else, including no answer within the timeout.

const TIMEOUT_MS = 2000
const WILDCARDS = new Set(['', '0.0.0.0', '::', '[::]'])

const port = Number(process.env.PORT || 8080)
const host = WILDCARDS.has(process.env.HOST ?? '') ? '127.0.0.1' : (process.env.HOST as string)

const fail = () => process.exit(1)
const probe = request({ host, port, path: '/healthz', timeout: TIMEOUT_MS }, (response) => {
  response.resume()
  process.exit(response.statusCode === 200 ? 0 : 1)
})
probe.on('timeout', () => probe.destroy())
probe.on('error', fail)
probe.end()
