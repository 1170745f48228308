import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { once } from 'node:events'
import { createServer, type Server } from 'node:http'
import { fileURLToPath } from 'node:url'
import { createSigner } from 'fast-jwt'
import { demoPage } from './demo/page.js'
import { hmacKey, identifierHash } from './identity.js'

// `npm run demo`: throwaway secrets, the real service as a child process, a curl line that works,
// and a demo page (on a second port, as a web app would be) that shows the browser flow.

const port = Number(process.env.PORT ?? 8080)
const host = process.env.HOST ?? '127.0.0.1'
const jwtSecret = randomBytes(32).toString('base64url')
const inboxSecret = randomBytes(18).toString('base64url')
const inbox = 'demo'
const identifier = 'demo-user-42'
const token = createSigner({ key: jwtSecret, algorithm: 'HS256', expiresIn: 3_600_000 })({ sub: identifier })
const expected = identifierHash(hmacKey(inboxSecret), identifier)
const base = `http://127.0.0.1:${port}`

/** Listens on `wanted` (DEMO_PAGE_PORT, default the service's port + 1), or any free port if taken. */
async function listen(server: Server, wanted: number): Promise<number> {
  try {
    server.listen(wanted, host)
    await once(server, 'listening')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE' || wanted === 0) throw error
    return listen(server, 0)
  }
  return (server.address() as { port: number }).port
}

let sdkPath = '/sdk.js'
const pageServer = createServer((request, response) => {
  if (request.url !== '/') return void response.writeHead(404).end()
  response.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' })
  response.end(demoPage({ service: base, sdkPath, inbox, identifier, token, expectedHash: expected }))
})
const pagePort = await listen(pageServer, Number(process.env.DEMO_PAGE_PORT ?? port + 1))
const pageUrl = `http://127.0.0.1:${pagePort}/`

const child = spawn(process.execPath, [fileURLToPath(new URL('./server.js', import.meta.url))], {
  env: {
    ...process.env,
    PORT: String(port),
    HOST: host,
    JWT_SECRET: jwtSecret,
    CHATWOOT_INBOX_DEMO_SECRET: inboxSecret,
    // The demo page is another origin, as a web app would be.
    CORS_ORIGINS: `http://127.0.0.1:${pagePort},http://localhost:${pagePort}`,
    LOG_REQUESTS: process.env.LOG_REQUESTS ?? 'true',
  },
  stdio: 'inherit',
})
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => child.kill(signal))
child.on('exit', (code) => process.exit(code ?? 0))

const deadline = Date.now() + 10_000
while (Date.now() < deadline) {
  const ready = await fetch(`${base}/readyz`).then(
    (r) => r.ok,
    () => false,
  )
  if (ready) break
  await new Promise((resolve) => setTimeout(resolve, 100))
}
// The versioned script URL, as a site would embed it (cached for a year).
const etag = await fetch(`${base}/sdk.js`, { method: 'HEAD' }).then(
  (r) => r.headers.get('etag'),
  () => null,
)
if (etag) sdkPath = `/sdk.js?v=${etag.replaceAll('"', '')}`

process.stdout.write(
  [
    '',
    `chatwoot-identity demo on ${base}: inbox "${inbox}", user "${identifier}", throwaway secrets (token valid 1 hour).`,
    `Expected identifier_hash: ${expected}`,
    `Demo page (the browser flow, step by step): ${pageUrl}`,
    'Paste this to get it from the service:',
    '',
    `curl -s -H 'Authorization: Bearer ${token}' '${base}/v1/identity'`,
    '',
    'Ctrl-C stops the service.',
    '',
  ].join('\n'),
)
