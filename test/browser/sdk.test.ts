import type { Browser, BrowserContext, Page } from 'playwright-core'
import type { ChatwootIdentity, ChatwootIdentityOutcome } from '../../src/sdk/sdk.js'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { type AppServer, startAppServer } from '../helpers/app-server.js'
import { launchBrowser } from '../helpers/browser.js'
import { hsKey, sign } from '../helpers/keys.js'
import { type Running, startServer } from '../helpers/process.js'
import { referenceHash } from '../helpers/reference.js'

// The login flow in a real browser: Debian's Chromium, the built service as a process, an app page
// with a stand-in Chatwoot widget, real tokens. Nothing is read from headers: only what the page
// and Chatwoot's setUser actually get.

const key = hsKey()
const INBOX_SECRET = 'website-inbox-secret-for-the-browser'
// Exactness matters: no trimming, no normalisation, not URL-safe.
const IDENTIFIER = 'user-42 café/ü+&'
const PROFILE = { name: 'Ada Lovelace', email: 'ada@example.com' }
const EXPECTED = { identifier_hash: referenceHash(INBOX_SECRET, IDENTIFIER), ...PROFILE }

let browser: Browser
let app: AppServer // the allowed origin: http://localhost:<app.port>
let other: AppServer // a disallowed origin on the same site: http://localhost:<other.port>
let service: Running
let servicePort: string
let token: string

beforeAll(async () => {
  ;[browser, app, other] = await Promise.all([launchBrowser(), startAppServer(), startAppServer()])
  service = await startServer({
    JWT_SECRET: key.secret,
    CHATWOOT_INBOX_WEBSITE_SECRET: INBOX_SECRET,
    JWT_COOKIE: 'session',
    NAME_CLAIM: 'name',
    EMAIL_CLAIM: 'email',
    CORS_ORIGINS: `http://localhost:${app.port}`,
    LOG_REQUESTS: 'true',
  })
  servicePort = new URL(service.url).port
  token = await sign(key, { sub: IDENTIFIER, ...PROFILE, extra: 'not passed on' }, { expiresIn: 600 })
})

afterAll(async () => {
  await browser?.close()
  await service?.stop()
  await Promise.all([app?.close(), other?.close()])
})

interface Opened {
  context: BrowserContext
  page: Page
  /** Requests the page made to the identity endpoint (preflights aside). */
  identityRequests: string[]
  console: string[]
}

let opened: Opened[] = []
afterEach(async () => {
  // Nothing sensitive ever reaches the console, whatever the flow.
  for (const { console } of opened) {
    for (const secret of [token, EXPECTED.identifier_hash, INBOX_SECRET, key.secret])
      expect(console.join('\n')).not.toContain(secret)
  }
  await Promise.all(opened.map(({ context }) => context.close()))
  opened = []
})

async function open(url: string): Promise<Opened> {
  const context = await browser.newContext()
  const page = await context.newPage()
  const entry: Opened = { context, page, identityRequests: [], console: [] }
  page.on('request', (request) => {
    if (new URL(request.url()).pathname === '/v1/identity') entry.identityRequests.push(request.method())
  })
  page.on('console', (message) => entry.console.push(`${message.type()}: ${message.text()}`))
  opened.push(entry)
  await page.goto(url)
  return entry
}

const pageUrl = (origin: string, sdk: string, extra: Record<string, string> = {}) =>
  `${origin}/page?${new URLSearchParams({ sdk, ...extra })}`

// These run in the page (page.evaluate); the project's types have no DOM.
declare const window: unknown
declare const document: { cookie: string }

/** The app page's window: the recorded Chatwoot calls, the ready trigger and the SDK. */
interface AppWindow {
  calls: unknown[]
  chatwootLoaded(): void
  ChatwootIdentity: ChatwootIdentity
}

const calls = (page: Page) => page.evaluate(() => (window as unknown as AppWindow).calls)

/** ChatwootIdentity.identify() in the page; `token` becomes getToken (Bearer flow) when given. */
const identify = (page: Page, options: { endpoint?: string; token?: string | null }) =>
  page.evaluate(
    ({ endpoint, token, bearer }): Promise<ChatwootIdentityOutcome> =>
      (window as unknown as AppWindow).ChatwootIdentity.identify({
        endpoint,
        inbox: 'website',
        ...(bearer ? { getToken: async () => token } : {}),
      }),
    { endpoint: options.endpoint, token: options.token ?? null, bearer: 'token' in options },
  )

const logout = (page: Page) => page.evaluate(() => (window as unknown as AppWindow).ChatwootIdentity.logout())

/** A plain fetch by the page itself: the body when it may read the answer, else the error's name. */
const readAsPage = (page: Page, url: string, init: RequestInit) =>
  page.evaluate(
    ({ url, init }) =>
      fetch(url, init).then(
        (response) => response.text(),
        (error: Error) => `blocked: ${error.name}`,
      ),
    { url, init },
  )

/** How many identity requests the service has answered 200, from its access log. */
const answered200 = () =>
  service.lines.filter((line) => {
    if (!line.startsWith('{')) return false
    const entry = JSON.parse(line) as { msg?: string; route?: string; status?: number }
    return entry.msg === 'request' && entry.route === '/v1/identity' && entry.status === 200
  }).length

async function waitFor(condition: () => boolean, what: string) {
  const deadline = Date.now() + 10_000
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
}

describe('cookie flow: the service on another origin of the same site', () => {
  const sdk = () => `http://localhost:${servicePort}/sdk.js`
  const loginThen = (origin: string, query: Record<string, string>) =>
    `${origin}/login?${new URLSearchParams({ token, next: `/page?${new URLSearchParams({ sdk: sdk(), ...query })}` })}`

  it('identifies with the session cookie from the script tag alone, once Chatwoot is ready', async () => {
    const { page, context, identityRequests } = await open(
      loginThen(`http://localhost:${app.port}`, { inbox: 'website' }),
    )
    const answer = await page.waitForResponse((r) => new URL(r.url()).pathname === '/v1/identity')
    expect(answer.status()).toBe(200)
    // The cookie is the app's (HttpOnly): the page's scripts never see the token.
    expect(await page.evaluate(() => document.cookie)).toBe('')
    expect((await context.cookies())[0]).toMatchObject({ name: 'session', httpOnly: true, sameSite: 'Lax' })

    // The answer is in, but Chatwoot is not ready: nothing is called before chatwoot:ready.
    expect(await calls(page)).toEqual([])
    await page.evaluate(() => (window as unknown as AppWindow).chatwootLoaded())
    await page.waitForFunction(() => (window as unknown as AppWindow).calls.length > 0)
    expect(await calls(page)).toEqual([{ method: 'setUser', identifier: IDENTIFIER, attributes: EXPECTED }])
    expect(identityRequests).toEqual(['GET'])

    await logout(page)
    expect((await calls(page)).at(-1)).toEqual({ method: 'reset' })
  })

  it('with no session: no setUser, one quiet request, no retries', async () => {
    const { page, identityRequests, console } = await open(
      pageUrl(`http://localhost:${app.port}`, sdk(), { ready: 'now' }),
    )
    expect(await identify(page, {})).toBe('no_session')
    expect(await calls(page)).toEqual([])
    expect(identityRequests).toEqual(['GET'])
    expect(console.filter((line) => line.includes('chatwoot-identity'))).toEqual([])
  })

  it('from an origin not in CORS_ORIGINS: the cookie is sent but the answer cannot be read', async () => {
    const before = answered200()
    const { page, identityRequests } = await open(
      loginThen(`http://localhost:${other.port}`, { ready: 'now' }),
    )
    const url = `http://localhost:${servicePort}/v1/identity?inbox=website`
    expect(await readAsPage(page, url, { credentials: 'include' })).toBe('blocked: TypeError')

    // Unreadable looks like a network failure: retried a few times with backoff, then given up.
    expect(await identify(page, {})).toBe('failed')
    expect(await calls(page)).toEqual([])
    expect(identityRequests).toEqual(['GET', 'GET', 'GET', 'GET', 'GET'])
    // The service answered them all (so the cookie was sent): the browser withheld the answers.
    await waitFor(() => answered200() === before + 5, 'the access log')
  })
})

describe('bearer flow: the service on another site, the token held by the app', () => {
  const endpoint = () => `http://127.0.0.1:${servicePort}`
  const sdk = () => `${endpoint()}/sdk.js`

  it('identifies with the token from getToken and logs out', async () => {
    const { page, context, identityRequests } = await open(
      pageUrl(`http://localhost:${app.port}`, sdk(), { ready: 'now' }),
    )
    expect(await context.cookies()).toEqual([])
    expect(await identify(page, { endpoint: endpoint(), token })).toBe('identified')
    expect(await calls(page)).toEqual([{ method: 'setUser', identifier: IDENTIFIER, attributes: EXPECTED }])
    expect(identityRequests).toEqual(['GET'])

    await logout(page)
    expect((await calls(page)).at(-1)).toEqual({ method: 'reset' })
  })

  it('with no token or an expired one: no setUser and at most one request', async () => {
    const { page, identityRequests } = await open(
      pageUrl(`http://localhost:${app.port}`, sdk(), { ready: 'now' }),
    )
    expect(await identify(page, { endpoint: endpoint(), token: null })).toBe('no_session')
    expect(identityRequests).toEqual([])
    const expired = await sign(key, { sub: IDENTIFIER }, { expiresIn: -3600 })
    expect(await identify(page, { endpoint: endpoint(), token: expired })).toBe('no_session')
    expect(identityRequests).toEqual(['GET'])
    expect(await calls(page)).toEqual([])
  })

  it('from an origin not in CORS_ORIGINS: the preflight fails and nothing is read', async () => {
    const before = answered200()
    const { page } = await open(pageUrl(`http://localhost:${other.port}`, sdk(), { ready: 'now' }))
    const url = `${endpoint()}/v1/identity?inbox=website`
    expect(await readAsPage(page, url, { headers: { authorization: `Bearer ${token}` } })).toBe(
      'blocked: TypeError',
    )
    expect(await calls(page)).toEqual([])
    // The Bearer request never left the browser: its preflight was refused.
    expect(answered200()).toBe(before)
  })
})
