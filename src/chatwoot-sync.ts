import { type ChatwootInboxes, fetchChatwootInboxes } from './chatwoot.js'
import { type ChatwootConfig, checkApiToken, readSecretFile } from './config.js'
import { ConfigError } from './config-error.js'
import { type FetchOutcome, FetchError } from './fetch-json.js'
import { Refresher } from './refresher.js'

// Chatwoot's inbox list kept in sync in the background: every CHATWOOT_REFRESH_SECONDS and on demand
// (SIGHUP), retried with backoff after a failure. A failed, slow, refused or malformed answer changes
// nothing: the caller only ever hears of good sets.

export interface ChatwootSyncEvents {
  /** After each attempt: its outcome, a detail for the log (never a secret), and on success the set. */
  synced(outcome: FetchOutcome, detail: string, result?: ChatwootInboxes): void
  /** A problem that does not stop the sync (the token file could not be read again). */
  warn(message: string): void
}

export class ChatwootSync {
  readonly #config: ChatwootConfig
  readonly #events: ChatwootSyncEvents
  readonly #refresher: Refresher
  readonly #now: () => number
  #token: string
  #lastSuccess = 0

  constructor(config: ChatwootConfig, events: ChatwootSyncEvents, now: () => number = Date.now) {
    this.#config = config
    this.#events = events
    this.#now = now
    this.#token = config.token
    this.#refresher = new Refresher(() => this.#syncOnce(), config.refreshSeconds * 1000)
  }

  /** Starts syncing; never throws, never blocks: readiness says when the first set has arrived. */
  start(): void {
    this.#refresher.start()
  }

  close(): void {
    this.#refresher.close()
  }

  /** One sync now (shared with one already running); rejects when it fails. */
  refresh(): Promise<void> {
    return this.#refresher.run()
  }

  /** True once a sync has succeeded. */
  get synced(): boolean {
    return this.#lastSuccess > 0
  }

  /** Seconds since the last successful sync, or undefined before the first one. */
  ageSeconds(): number | undefined {
    return this.#lastSuccess ? (this.#now() - this.#lastSuccess) / 1000 : undefined
  }

  async #syncOnce(): Promise<void> {
    this.#readToken()
    try {
      const result = await fetchChatwootInboxes(
        this.#config.inboxesUrl,
        this.#token,
        this.#config.timeoutSeconds * 1000,
      )
      this.#lastSuccess = this.#now()
      this.#events.synced('ok', '', result)
    } catch (error) {
      const outcome = error instanceof FetchError ? error.outcome : 'network_error'
      this.#events.synced(outcome, (error as Error).message)
      throw error
    }
  }

  /** A token file is read again before each sync, so a rotated token needs no restart. */
  #readToken(): void {
    const file = this.#config.tokenFile
    if (!file) return
    try {
      this.#token = checkApiToken('CHATWOOT_API_TOKEN_FILE', readSecretFile('CHATWOOT_API_TOKEN_FILE', file))
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error
      this.#events.warn(`${error.message}; keeping the token read before`)
    }
  }
}
