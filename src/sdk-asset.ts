import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { packageRoot } from './package-root.js'

// The browser script as served: read once at start, its version the hash of its bytes.

export interface SdkAsset {
  readonly body: Buffer
  /** First 16 hex characters of the SHA-256 of the body: changes whenever the script does. */
  readonly version: string
  readonly etag: string
}

export const SDK_PATH = '/sdk.js'
export const SDK_CONTENT_TYPE = 'text/javascript; charset=utf-8'
/** The versioned URL never changes content, so it may be cached for a year. */
export const IMMUTABLE = 'public, max-age=31536000, immutable'
/** The unversioned URL follows deployments: cached briefly, then revalidated with the ETag. */
export const SHORT = 'public, max-age=300'

/** Where the build copies the script (scripts/copy-sdk.mjs), whichever module or bundle chunk reads it. */
export const SDK_FILE = join(packageRoot(), 'dist', 'sdk', 'sdk.js')

export function loadSdk(file: string | URL = SDK_FILE): SdkAsset {
  const body = readFileSync(file)
  const version = createHash('sha256').update(body).digest('hex').slice(0, 16)
  return { body, version, etag: `"${version}"` }
}

export const versionedSdkPath = (asset: SdkAsset) => `${SDK_PATH}?v=${asset.version}`

/** Only the current version's URL is immutable; an old or made-up `v` gets the short policy. */
export const sdkCacheControl = (asset: SdkAsset, v: string | undefined) =>
  v === asset.version ? IMMUTABLE : SHORT

/** RFC 9110 If-None-Match: `*` or a list of entity tags, compared weakly. */
export function etagMatches(ifNoneMatch: string | undefined, etag: string): boolean {
  if (ifNoneMatch === undefined) return false
  const wanted = ifNoneMatch.trim()
  if (wanted === '*') return true
  return wanted.split(',').some((tag) => tag.trim().replace(/^W\//, '') === etag)
}
