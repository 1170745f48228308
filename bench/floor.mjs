// The floor: a bare Fastify hello-world with the same fastify version, logger off.
import Fastify from 'fastify'

const app = Fastify({ logger: false })
app.get('/', async () => ({ hello: 'world' }))
await app.listen({ port: Number(process.env.PORT ?? 0), host: '127.0.0.1' })
process.stdout.write(`listening ${app.server.address().port}\n`)
process.on('SIGTERM', () => app.close().then(() => process.exit(0)))
