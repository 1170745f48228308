// What /readyz reports: named conditions that must all hold, plus shutdown, which overrides them all.
export class Readiness {
  #shuttingDown = false
  readonly #conditions = new Map<string, () => boolean>()

  /** Registers a condition; its name is what /readyz reports while it does not hold. */
  require(name: string, holds: () => boolean): void {
    this.#conditions.set(name, holds)
  }

  startShutdown(): void {
    this.#shuttingDown = true
  }

  get shuttingDown(): boolean {
    return this.#shuttingDown
  }

  /** Names of the conditions not met; empty when ready. */
  unmet(): string[] {
    if (this.#shuttingDown) return ['shutting_down']
    return [...this.#conditions].filter(([, holds]) => !holds()).map(([name]) => name)
  }
}
