// One variant per process: µs of CPU per injected verify request. Usage: node parts.mjs VARIANT
import Fastify from 'fastify'
import { z } from 'zod'
import { readFileSync } from 'node:fs'
const variant = process.argv[2]
const lines = readFileSync('/tmp/exp/verify.tsv', 'utf8').split('\n').map((l) => l.split('\t'))
const bodies = lines.map((l) => l[3])
const auth = lines[0][2]
const SEC = [['x-content-type-options', 'nosniff'], ['x-frame-options', 'DENY'], ['content-security-policy', "default-src 'none'; frame-ancestors 'none'"], ['cross-origin-resource-policy', 'same-origin']]
const VALID = '{"valid":true}', INVALID = '{"valid":false}'
let app
if (variant === 'service') {
  process.env.JWT_SECRET = 'x'.repeat(40); process.env.CHATWOOT_INBOX_WEBSITE_SECRET = 'inboxsecret123456'; process.env.VERIFY_API_KEYS = 'svc-key-0123456789abcdef0123456789'
  const { default: plugin, createFastify } = await import('../dist/app.js')
  const { loadConfig } = await import('../dist/config.js')
  const { createLogger } = await import('../dist/logger.js')
  const config = loadConfig(process.env)
  app = createFastify(config, createLogger(config))
  await app.register(plugin, { config })
} else {
  app = Fastify({ logger: false })
  const has = (p) => variant.split('+').includes(p)
  let id = 0
  if (has('hdr')) app.addHook('onRequest', (req, reply, done) => { reply.header('x-request-id', 'abc-' + (++id).toString(36)); for (const [k, v] of SEC) reply.header(k, v); reply.header('cache-control', 'no-store'); done() })
  if (has('raw')) app.addHook('onRequest', (req, reply, done) => { const r = reply.raw; r.setHeader('x-request-id', 'abc-' + (++id).toString(36)); for (const [k, v] of SEC) r.setHeader(k, v); r.setHeader('cache-control', 'no-store'); done() })
  if (has('hook3')) for (let i = 0; i < 3; i++) app.addHook('onRequest', (req, reply, done) => done())
  if (has('send')) app.addHook('onSend', (req, reply, payload, done) => done(null, payload))
  const schema = {}
  if (has('zod')) {
    const { validatorCompiler } = await import('../dist/validator.js')
    const { VerifyRequest } = await import('../dist/schemas.js')
    app.setValidatorCompiler(validatorCompiler)
    schema.body = VerifyRequest
  }
  if (has('sync')) app.post('/v1/identity/verify', { schema }, (req, reply) => { reply.type('application/json; charset=utf-8').send(typeof req.body.identifier === 'string' ? INVALID : VALID) })
  else app.post('/v1/identity/verify', { schema }, async (req) => ({ valid: typeof req.body.identifier === 'string' }))
}
await app.ready()
const one = (i) => app.inject({ method: 'POST', url: '/v1/identity/verify', headers: { authorization: auth, 'content-type': 'application/json', host: 'x' }, payload: bodies[i % bodies.length] })
const check = await one(0)
if (check.statusCode !== 200) throw new Error(`${variant}: ${check.statusCode} ${check.body}`)
async function batch(n) { for (let i = 0; i < n; i += 32) { const ps = []; for (let j = 0; j < 32; j++) ps.push(one(i + j)); await Promise.all(ps) } }
await batch(30000)
const N = Number(process.env.N ?? 60000)
const c0 = process.cpuUsage(); await batch(N); const c = process.cpuUsage(c0)
console.log(variant, ((c.user + c.system) / N).toFixed(2))
