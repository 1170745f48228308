// A background refresh: run a task now, then every interval; after a failure retry sooner, with
// backoff, so that a source that comes back is found soon. Used by the JWKS key set and the Chatwoot
// inbox source.

export class Refresher {
  readonly #task: () => Promise<void>
  readonly #intervalMs: number
  #inflight: Promise<void> | undefined
  #timer: NodeJS.Timeout | undefined
  #closed = false

  constructor(task: () => Promise<void>, intervalMs: number) {
    this.#task = task
    this.#intervalMs = intervalMs
  }

  /** Starts the loop; never throws, never blocks. */
  start(): void {
    void this.#loop(0)
  }

  close(): void {
    this.#closed = true
    clearTimeout(this.#timer)
  }

  /** True while a run is in flight. */
  get running(): boolean {
    return this.#inflight !== undefined
  }

  /** One run now, shared by every caller while it lasts; rejects when the task fails. */
  run(): Promise<void> {
    this.#inflight ??= this.#task().finally(() => {
      this.#inflight = undefined
    })
    return this.#inflight
  }

  async #loop(failures: number): Promise<void> {
    if (this.#closed) return
    let next: number
    try {
      await this.run()
      next = this.#intervalMs
      failures = 0
    } catch {
      failures++
      // From 1 s doubling up to a minute, and never later than the regular interval.
      next = Math.min(1000 * 2 ** (failures - 1), 60_000, this.#intervalMs)
    }
    if (this.#closed) return
    this.#timer = setTimeout(() => void this.#loop(failures), next)
    this.#timer.unref()
  }
}
