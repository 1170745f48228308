// The command line's exit statuses (README.md documents them) and the error that carries one.

export const EXIT = {
  /** Done: hash printed, pair valid, configuration valid, token printed. */
  ok: 0,
  /** The answer is no: the pair is not valid, or the configuration has problems. */
  no: 1,
  /** Usage error: unknown command or option, a missing or malformed argument. */
  usage: 2,
  /** Cannot be done: configuration error, unknown inbox, unreadable file, Chatwoot unreachable. */
  failed: 3,
} as const

export class CliError extends Error {
  constructor(
    readonly exitCode: number,
    message: string,
  ) {
    super(message)
  }
}

export const usageError = (message: string) => new CliError(EXIT.usage, message)
export const failure = (message: string) => new CliError(EXIT.failed, message)
