import closeWithGrace from 'close-with-grace'
import app, { createFastify } from './app.js'
import { ConfigError, loadConfig } from './config.js'
import { createLogger } from './logger.js'

// Only options, graceful shutdown and listen: everything else is the app plugin.

let config: ReturnType<typeof loadConfig>
try {
  config = loadConfig(process.env)
} catch (error) {
  if (!(error instanceof ConfigError)) throw error
  process.stderr.write(`chatwoot-identity: configuration error: ${error.message}\n`)
  process.exit(1)
}

const logger = createLogger(config)
const fastify = createFastify(config, logger)
await fastify.register(app, { config })

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

// SIGTERM/SIGINT: not ready at once, keep serving while load balancers notice, then stop accepting,
// finish in-flight requests and exit 0; all within SHUTDOWN_TIMEOUT_SECONDS or exit 1.
closeWithGrace(
  {
    delay: config.shutdown.timeoutSeconds * 1000,
    skip: ['SIGHUP'], // reloads secrets, see the inboxes plugin
    logger: { error: (message: unknown) => logger.error({ err: message }, 'shutdown') },
  },
  async ({ signal, err }) => {
    if (err) logger.error({ err }, 'fatal error, shutting down')
    logger.info({ signal, drainSeconds: config.shutdown.drainSeconds }, 'shutting down')
    fastify.readiness.startShutdown()
    if (!err) await sleep(config.shutdown.drainSeconds * 1000)
    // Requests still running when close() starts leave keep-alive sockets behind as they finish:
    // close those as they turn idle instead of waiting for the keep-alive timeout.
    const sweep = setInterval(() => fastify.server.closeIdleConnections(), 100)
    await fastify.close()
    clearInterval(sweep)
    logger.info('stopped')
    logger.flush()
  },
)

try {
  await fastify.listen({ port: config.port, host: config.host })
} catch (error) {
  logger.fatal({ err: error }, 'cannot listen')
  logger.flush()
  process.exit(1)
}
