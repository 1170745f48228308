import { once } from 'node:events'
import { Redis } from 'ioredis'
import type { Logger } from 'pino'

// The rate limit's Redis connection, tuned so that a slow or absent Redis can never hold a request:
// commands fail at once instead of queueing while disconnected, and every wait is bounded.

export const REDIS_TIMEOUTS = {
  /** Opening a TCP (or TLS) connection, and how long start-up waits for it. */
  connectMs: 1000,
  /** One command's answer; the rate limit's script takes microseconds on a healthy server. */
  commandMs: 250,
  /** Longest pause between reconnection attempts while Redis is away. */
  maxReconnectDelayMs: 2000,
} as const

export function createRedis(url: string, log: Pick<Logger, 'warn' | 'info'>): Redis {
  const redis = new Redis(url, {
    connectTimeout: REDIS_TIMEOUTS.connectMs,
    commandTimeout: REDIS_TIMEOUTS.commandMs,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    retryStrategy: (attempt) => Math.min(attempt * 200, REDIS_TIMEOUTS.maxReconnectDelayMs),
    // No CLIENT SETINFO at connect: in the bundle ioredis cannot find its own package.json to name its
    // version, and the library name alone tells an operator nothing.
    disableClientInfo: true,
  })
  // Without a listener ioredis reports connection errors as unhandled. One line per outage, not per retry;
  // the messages name host and port, never the URL (which may hold a password).
  let down = false
  redis.on('error', (error: Error) => {
    if (down) return
    down = true
    log.warn({ code: 'rate_limit_store_unavailable', reason: error.message }, 'rate limit store unavailable')
  })
  redis.on('ready', () => {
    if (down) log.info({ code: 'rate_limit_store_available' }, 'rate limit store available again')
    down = false
  })
  return redis
}

/** Resolves true once connected, false after `timeoutMs`; reconnection goes on in the background either way. */
export async function waitUntilReady(redis: Redis, timeoutMs = REDIS_TIMEOUTS.connectMs): Promise<boolean> {
  if (redis.status === 'ready') return true
  const abort = new AbortController()
  const timer = setTimeout(() => abort.abort(), timeoutMs)
  try {
    await once(redis, 'ready', { signal: abort.signal })
    return true
  } catch {
    return false
  } finally {
    clearTimeout(timer)
  }
}
