import { type ParseArgsConfig, parseArgs } from 'node:util'
import { usageError } from './errors.js'

type Options = NonNullable<ParseArgsConfig['options']>

/** A command: its help text, its options and what it does; resolves with the exit status. */
export interface Command<O extends Options = Options> {
  readonly summary: string
  readonly help: string
  readonly options: O
  run(values: Values<O>, env: NodeJS.ProcessEnv): Promise<number> | number
}

export type Values<O extends Options> = {
  [K in keyof O]?: O[K]['type'] extends 'boolean' ? boolean : string
}

export const command = <O extends Options>(definition: Command<O>) => definition

/** Parses a command's arguments strictly: unknown options and positionals are usage errors. */
export function parse<O extends Options>(options: O, args: string[]): Values<O> & { help?: boolean } {
  try {
    return parseArgs({
      args,
      options: { ...options, help: { type: 'boolean', short: 'h' } },
      strict: true,
      allowPositionals: false,
    }).values as Values<O> & { help?: boolean }
  } catch (error) {
    // Node's message would quote a stray argument, which may be a secret typed in the wrong place.
    if ((error as { code?: string }).code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL')
      throw usageError('unexpected argument: every value follows its option (--name value)')
    throw usageError((error as Error).message)
  }
}

/** A required string option, refused when missing or empty. */
export function required(value: string | undefined, option: string): string {
  if (value === undefined || value === '') throw usageError(`--${option} is required`)
  return value
}
