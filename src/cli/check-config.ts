import { readConfig } from '../config.js'
import { summariseConfig } from '../config-summary.js'
import { command } from './args.js'
import { EXIT } from './errors.js'

export const checkConfig = command({
  summary: 'validate the configuration: a redacted summary and every problem',
  help: `Usage: chatwoot-identity check-config

Reads the configuration from the environment as the service does and prints a summary (secrets
are never shown: only where they come from) on stdout, then every problem, one line each naming
its variable, on stderr, instead of stopping at the first as the service does. Contacts nothing:
neither the JWKS URL nor Chatwoot.

Options:
  -h, --help  show this help

Exit status: 0 the service would start with this configuration, 1 it has problems, 2 usage error.
`,
  options: {},
  run(_values, env) {
    const { parts, problems } = readConfig(env)
    process.stdout.write(`${summariseConfig(env, parts).join('\n')}\n`)
    if (problems.length === 0) {
      process.stdout.write('configuration OK\n')
      return EXIT.ok
    }
    for (const problem of problems) process.stderr.write(`problem: ${problem.message}\n`)
    process.stderr.write(
      `${problems.length} problem${problems.length === 1 ? '' : 's'}: the service would not start\n`,
    )
    return EXIT.no
  },
})
