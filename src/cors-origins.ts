import { ConfigError } from './config-error.js'

// CORS_ORIGINS: the exact browser origins allowed to call the identity endpoints with credentials.
// Browsers send `Origin` in one canonical form (lowercase host, no default port, no path), and
// the answer is matched byte for byte: anything written otherwise would never match, so it is
// refused at start with the form to write instead.

const VARIABLE = 'CORS_ORIGINS'

/** The origins of a comma-separated list, each checked to be exactly `scheme://host[:port]`. */
export function parseCorsOrigins(value: string): readonly string[] {
  const items = value
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item.length > 0)
  if (items.length === 0) throw new ConfigError(VARIABLE, 'lists no origin')
  return [...new Set(items.map(checkOrigin))]
}

function checkOrigin(item: string): string {
  if (item.includes('*')) {
    throw new ConfigError(
      VARIABLE,
      `"${item}": wildcards are never allowed, credentials are sent (list each origin exactly)`,
    )
  }
  if (item === 'null') throw new ConfigError(VARIABLE, '"null" is not an origin that can be trusted')
  let url: URL
  try {
    url = new URL(item)
  } catch {
    throw new ConfigError(VARIABLE, `"${item}" is not an origin (scheme://host[:port])`)
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new ConfigError(VARIABLE, `"${item}" must be an http or https origin`)
  }
  if (url.origin !== item) {
    throw new ConfigError(
      VARIABLE,
      `"${item}" is not an exact origin: write it as ${url.origin} (scheme://host[:port], no path)`,
    )
  }
  return item
}
