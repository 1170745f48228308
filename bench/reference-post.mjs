// A reference, not a floor: bare Fastify (same version, logger off) answering the verify scenario's own
// requests with a route that parses their JSON body and nothing else: what such a request costs before
// anything the service does (authentication, validation, the check, headers, metrics, logs).
import Fastify from 'fastify'

const app = Fastify({ logger: false })
app.post('/v1/identity/verify', async (request) => ({ valid: typeof request.body.identifier === 'string' }))
await app.listen({ port: Number(process.env.PORT ?? 0), host: '127.0.0.1' })
process.stdout.write(`listening ${app.server.address().port}\n`)
process.on('SIGTERM', () => app.close().then(() => process.exit(0)))
