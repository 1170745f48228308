#!/usr/bin/env node
import type { Command } from './cli/args.js'
import { parse } from './cli/args.js'
import { checkConfig } from './cli/check-config.js'
import { CliError, EXIT, usageError } from './cli/errors.js'
import { hash, verify } from './cli/hash.js'
import { token } from './cli/token.js'
import { VERSION } from './version.js'

// `chatwoot-identity`: the operators' command line. Results on stdout, errors on stderr, and the
// exit statuses of cli/errors.ts (README.md: Command line).

// Each command types its own options; here they are only looked up by name.
const COMMANDS = { hash, verify, 'check-config': checkConfig, token } as Record<string, Command>

const USAGE = `Usage: chatwoot-identity <command> [options]

Operator tools for chatwoot-identity ${VERSION}. They read the configuration from the environment
as the service does.

Commands:
${Object.entries(COMMANDS)
  .map(([name, { summary }]) => `  ${name.padEnd(14)}${summary}`)
  .join('\n')}

Run "chatwoot-identity <command> --help" for a command's options.

Exit status: 0 done (or valid), 1 not valid / configuration has problems, 2 usage error,
3 cannot be done (configuration error, unknown inbox, unreadable file, Chatwoot unreachable).
`

async function main([name, ...args]: string[]): Promise<number> {
  if (name === undefined) {
    process.stderr.write(USAGE)
    return EXIT.usage
  }
  if (name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(COMMANDS[args[0] ?? '']?.help ?? USAGE)
    return EXIT.ok
  }
  if (name === '--version') {
    process.stdout.write(`${VERSION}\n`)
    return EXIT.ok
  }
  const command = COMMANDS[name]
  if (!command) throw usageError(`unknown command "${name}" (${Object.keys(COMMANDS).join(', ')})`)
  const values = parse(command.options, args)
  if (values.help) {
    process.stdout.write(command.help)
    return EXIT.ok
  }
  return command.run(values, process.env)
}

const argv = process.argv.slice(2)
try {
  process.exitCode = await main(argv)
} catch (error) {
  const where = argv[0] && COMMANDS[argv[0]] ? ` ${argv[0]}` : ''
  const known = error instanceof CliError
  process.stderr.write(
    `chatwoot-identity${where}: ${known ? '' : 'unexpected error: '}${(error as Error).message}\n`,
  )
  if (known && error.exitCode === EXIT.usage)
    process.stderr.write(`Run "chatwoot-identity${where} --help" for usage.\n`)
  process.exitCode = known ? error.exitCode : EXIT.failed
}
