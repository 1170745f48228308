import { type ConfigReport, type Env, nonEmpty } from './config.js'

// What `check-config` prints: the configuration as the service would run it, one line per topic.
// Secrets are never shown: only where they come from and, for keys, their size.

/** Where a secret variable's value comes from: the variable, or the file named by its `_FILE` twin. */
const source = (env: Env, name: string) => {
  const file = nonEmpty(env[`${name}_FILE`])
  return file ? `${name}_FILE (${file})` : name
}

const seconds = (value: number) => `${value} s`

/** A URL without what may be a credential in it (user info, query). */
const shown = (value: string) => {
  const url = new URL(value)
  return `${url.origin}${url.pathname}${url.search ? '?…' : ''}`
}

export function summariseConfig(env: Env, parts: ConfigReport['parts']): string[] {
  const { server, jwt, inboxes } = parts
  const unusable = '(not usable, see the problems)'
  const lines: [string, string][] = []
  if (server) {
    lines.push(['listen', `${server.host}:${server.port}`])
    lines.push([
      'metrics',
      server.metricsPort === undefined
        ? 'GET /metrics on the listen port'
        : `port ${server.metricsPort} only`,
    ])
    lines.push(['log', `${server.logLevel}, access lines ${server.logRequests ? 'on' : 'off'}`])
    lines.push([
      'verify api keys',
      server.verifyApiKeys.length
        ? `${server.verifyApiKeys.length} from ${source(env, 'VERIFY_API_KEYS')}`
        : 'none (JWTs only)',
    ])
    lines.push([
      'shutdown',
      `drain ${seconds(server.shutdown.drainSeconds)}, timeout ${seconds(server.shutdown.timeoutSeconds)}`,
    ])
  } else lines.push(['server', unusable])

  if (jwt) {
    const key = jwt.jwt
    const described =
      key.kind === 'secret'
        ? `HMAC secret from ${source(env, 'JWT_SECRET')} (${Buffer.byteLength(key.secret, 'utf8')} bytes)`
        : key.kind === 'public-key'
          ? `${key.keyType} public key from ${source(env, 'JWT_PUBLIC_KEY')}`
          : `JWKS ${shown(key.url)} (refresh ${seconds(jwt.jwks.cacheSeconds)}, timeout ${seconds(jwt.jwks.timeoutSeconds)})`
    lines.push(['jwt key', described])
    lines.push(['jwt algorithms', key.algorithms.join(', ')])
    lines.push(['jwt issuer', key.issuers?.join(', ') ?? 'any (not checked)'])
    lines.push(['jwt audience', key.audiences?.join(', ') ?? 'any (not checked)'])
    lines.push(['identifier claim', key.identifierClaim])
    lines.push(['token cookie', key.cookie ?? 'none (Authorization header only)'])
  } else lines.push(['jwt', unusable])

  if (inboxes) {
    const local = [
      ...[...inboxes.envInboxes.values()].map((inbox) => ({ ...inbox, origin: source(env, inbox.origin) })),
      ...(inboxes.secretsFile?.inboxes.values() ?? []),
    ]
    lines.push([
      'inboxes',
      local.length ? local.map((inbox) => `${inbox.name} (${inbox.origin})`).join(', ') : 'none locally',
    ])
    if (inboxes.secretsFile)
      lines.push(['secrets file', `${inboxes.secretsFile.path} (reloaded on SIGHUP and on change)`])
    const chatwoot = inboxes.chatwoot
    lines.push([
      'chatwoot',
      chatwoot
        ? `${chatwoot.inboxesUrl}, token from ${source(env, 'CHATWOOT_API_TOKEN')}, refresh ${seconds(chatwoot.refreshSeconds)}, timeout ${seconds(chatwoot.timeoutSeconds)} (not contacted by check-config)`
        : 'not used',
    ])
  } else lines.push(['inboxes', unusable])

  const width = Math.max(...lines.map(([label]) => label.length))
  return lines.map(([label, value]) => `${`${label}:`.padEnd(width + 2)}${value}`)
}
