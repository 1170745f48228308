import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { fileURLToPath } from 'node:url'
import { createSigner } from 'fast-jwt'
import { hmacKey, identifierHash } from './identity.js'

// `npm run demo`: throwaway secrets, the real service as a child process, and a curl line that works.

const port = Number(process.env.PORT ?? 8080)
const jwtSecret = randomBytes(32).toString('base64url')
const inboxSecret = randomBytes(18).toString('base64url')
const identifier = 'demo-user-42'

const child = spawn(process.execPath, [fileURLToPath(new URL('./server.js', import.meta.url))], {
  env: {
    ...process.env,
    PORT: String(port),
    HOST: process.env.HOST ?? '127.0.0.1',
    JWT_SECRET: jwtSecret,
    CHATWOOT_INBOX_DEMO_SECRET: inboxSecret,
    LOG_REQUESTS: process.env.LOG_REQUESTS ?? 'true',
  },
  stdio: 'inherit',
})
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => child.kill(signal))
child.on('exit', (code) => process.exit(code ?? 0))

const base = `http://127.0.0.1:${port}`
const deadline = Date.now() + 10_000
while (Date.now() < deadline) {
  const ready = await fetch(`${base}/readyz`).then(
    (r) => r.ok,
    () => false,
  )
  if (ready) break
  await new Promise((resolve) => setTimeout(resolve, 100))
}

const token = createSigner({ key: jwtSecret, algorithm: 'HS256', expiresIn: 3_600_000 })({ sub: identifier })
const expected = identifierHash(hmacKey(inboxSecret), identifier)
process.stdout.write(
  [
    '',
    `chatwoot-identity demo on ${base}: inbox "demo", user "${identifier}", throwaway secrets (token valid 1 hour).`,
    `Expected identifier_hash: ${expected}`,
    'Paste this to get it from the service:',
    '',
    `curl -s -H 'Authorization: Bearer ${token}' '${base}/v1/identity'`,
    '',
    'Ctrl-C stops the service.',
    '',
  ].join('\n'),
)
