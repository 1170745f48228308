// The browser tests drive Debian's Chromium (a browser is never downloaded). Before `npm test`:
// install it from Debian when it is missing and we are root, else stop with what to do.
import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'

const path = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
if (!existsSync(path)) {
  if (process.getuid?.() === 0 && existsSync('/usr/bin/apt-get')) {
    console.log('chromium is missing: installing it from Debian for the browser tests')
    const options = { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } }
    execFileSync('apt-get', ['update', '-qq'], options)
    execFileSync(
      'apt-get',
      ['install', '-y', '-qq', '--no-install-recommends', 'chromium', 'fonts-dejavu-core'],
      options,
    )
  } else {
    console.error(
      `chromium is missing at ${path}, and the browser tests need it: ` +
        'install it (sudo apt-get install -y chromium) or set CHROMIUM_PATH',
    )
    process.exit(1)
  }
}
