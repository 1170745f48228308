import { existsSync } from 'node:fs'
import { type Browser, chromium } from 'playwright-core'

// Debian's Chromium driven by playwright-core: no browser is ever downloaded.
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'

const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
]

/** One browser per test file; close it in afterAll. Fails loudly, never skips, when Chromium is missing. */
export async function launchBrowser(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `Chromium is missing at ${CHROMIUM}: run \`apt-get install -y chromium\` (npm test does it when ` +
        'run as root) or set CHROMIUM_PATH',
    )
  }
  return chromium.launch({ executablePath: CHROMIUM, args: ARGS })
}
