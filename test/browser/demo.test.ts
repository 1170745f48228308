import { mkdirSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { launchBrowser } from '../helpers/browser.js'
import { startDemo } from '../helpers/demo.js'

// `npm run demo`'s page in a real browser, as a newcomer sees it. The screenshot is kept in
// test-results/ for a person to look at.
const SCREENSHOT = fileURLToPath(new URL('../../test-results/demo-page.png', import.meta.url))

let browser: Browser
beforeAll(async () => {
  browser = await launchBrowser()
})
afterAll(async () => {
  await browser?.close()
})

it('the demo page shows the identifier, the hash the demo expects, and the verified state', async () => {
  const demo = await startDemo({ DEMO_PAGE_PORT: '0' })
  const context = await browser.newContext({ viewport: { width: 900, height: 1000 } })
  try {
    const pageUrl = (await demo.waitFor(/^Demo page .*: (http:\/\/127\.0\.0\.1:\d+\/)$/m))[1] as string
    await demo.waitFor(/^curl /m) // printed once the service is ready
    const expected = /Expected identifier_hash: ([0-9a-f]{64})/.exec(demo.output())?.[1]
    const page = await context.newPage()
    await page.goto(pageUrl)
    await page.waitForSelector('#verified:not([data-state="pending"])')

    expect(await page.textContent('#identifier')).toBe('demo-user-42')
    expect(await page.textContent('#hash')).toBe(expected)
    expect(await page.getAttribute('#identify-state', 'data-state')).toBe('identified')
    expect(await page.getAttribute('#verified', 'data-state')).toBe('valid')
    expect(await page.textContent('#snippet')).toMatch(
      /<script src="http:\/\/127\.0\.0\.1:\d+\/sdk\.js\?v=[0-9a-f]{16}" data-inbox="demo" async><\/script>/,
    )

    mkdirSync(fileURLToPath(new URL('../../test-results/', import.meta.url)), { recursive: true })
    await page.screenshot({ path: SCREENSHOT, fullPage: true })
    const png = readFileSync(SCREENSHOT)
    expect(png.subarray(0, 8).toString('hex')).toBe('89504e470d0a1a0a')
    // The hash is on the page as pixels too, not only in the DOM.
    expect(await page.locator('#hash').isVisible()).toBe(true)
  } finally {
    await context.close()
    await demo.stop()
  }
})
