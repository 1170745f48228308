import { readFileSync } from 'node:fs'
import { runInNewContext } from 'node:vm'
import { describe, expect, it } from 'vitest'
import type { ChatwootIdentity, ChatwootIdentityOutcome } from '../src/sdk/sdk.js'

// The real browser script (src/sdk/sdk.js) run in a bare VM context with a scripted fetch: the
// branches a real browser cannot be made to take on demand (5xx, 429, a malformed answer, a
// throwing widget). Timers fire at once, their delays recorded. The browser tests cover the rest.

const SOURCE = readFileSync(new URL('../src/sdk/sdk.js', import.meta.url), 'utf8')
const HASH = 'a'.repeat(64)
const TOKEN = 'header.payload.signature-of-a-token'
const IDENTITY = { inbox: 'website', identifier: 'user-42', identifier_hash: HASH }

type Answer = { status: number; body?: unknown; headers?: Record<string, string> } | 'network-error'

interface Request {
  url: string
  init: { credentials: string; headers: Record<string, string>; method: string }
}

function load(options: {
  answers?: Answer[]
  attributes?: Record<string, string>
  chatwoot?: Record<string, unknown>
  src?: string
}) {
  const answers = [...(options.answers ?? [])]
  const requests: Request[] = []
  const delays: number[] = []
  const warnings: string[] = []
  const calls: unknown[][] = []
  const listeners = new Map<string, (() => void)[]>()
  const chatwoot = options.chatwoot ?? {
    hasLoaded: true,
    setUser: (...args: unknown[]) => calls.push(['setUser', ...args]),
    reset: () => calls.push(['reset']),
  }
  const attributes = options.attributes ?? {}
  const window: Record<string, unknown> = {
    $chatwoot: chatwoot,
    addEventListener: (type: string, listener: () => void) =>
      listeners.set(type, [...(listeners.get(type) ?? []), listener]),
  }
  const fetch = async (url: string, init: Request['init']) => {
    requests.push({ url, init })
    const answer = answers.shift() ?? { status: 500 }
    if (answer === 'network-error') throw new TypeError('Failed to fetch')
    return {
      ok: answer.status >= 200 && answer.status < 300,
      status: answer.status,
      headers: { get: (name: string) => answer.headers?.[name.toLowerCase()] ?? null },
      json: async () => {
        if (answer.body === undefined) throw new SyntaxError('not JSON')
        return answer.body
      },
    }
  }
  runInNewContext(SOURCE, {
    window,
    document: {
      currentScript: {
        src: options.src ?? 'https://identity.example.com/sdk.js?v=0123456789abcdef',
        hasAttribute: (name: string) => name in attributes,
        getAttribute: (name: string) => attributes[name] ?? null,
      },
    },
    location: { href: 'https://app.example.com/account' },
    console: { warn: (message: string) => warnings.push(message) },
    fetch,
    URL,
    setTimeout: (callback: () => void, ms: number) => {
      delays.push(ms)
      queueMicrotask(callback)
    },
  })
  const sdk = window.ChatwootIdentity as ChatwootIdentity
  return {
    sdk,
    window,
    requests,
    delays,
    warnings,
    calls,
    ready: () => {
      ;(chatwoot as { hasLoaded: boolean }).hasLoaded = true
      for (const listener of listeners.get('chatwoot:ready') ?? []) listener()
    },
    identify: (options: object = {}): Promise<ChatwootIdentityOutcome> =>
      sdk.identify({ inbox: 'website', ...options }),
  }
}

const ok = (body: unknown = IDENTITY): Answer => ({ status: 200, body })
const bearer = { getToken: () => TOKEN }

describe('the browser script', () => {
  it('calls setUser with the identifier, the hash and only the profile fields that are strings', async () => {
    const sdk = load({
      answers: [ok({ ...IDENTITY, name: 'Ada', email: 'ada@example.com', phone_number: 42, extra: 'x' })],
    })
    expect(await sdk.identify()).toBe('identified')
    expect(sdk.calls).toEqual([
      ['setUser', 'user-42', { identifier_hash: HASH, name: 'Ada', email: 'ada@example.com' }],
    ])
    expect(sdk.warnings).toEqual([])
  })

  it('sends the cookie without getToken, and only the Bearer token with it', async () => {
    const cookie = load({ answers: [ok()] })
    await cookie.identify()
    expect(cookie.requests[0]).toMatchObject({
      url: 'https://identity.example.com/v1/identity?inbox=website',
      init: { method: 'GET', credentials: 'include', headers: {} },
    })
    const token = load({ answers: [ok()] })
    await token.identify({ ...bearer, getToken: async () => TOKEN })
    expect(token.requests[0]?.init).toMatchObject({
      credentials: 'omit',
      headers: { Authorization: `Bearer ${TOKEN}` },
    })
  })

  it.each([
    [undefined, 'https://identity.example.com/v1/identity?inbox=website'],
    ['https://id.example.com', 'https://id.example.com/v1/identity?inbox=website'],
    ['https://app.example.com/identity/', 'https://app.example.com/identity/v1/identity?inbox=website'],
    [
      'https://app.example.com/identity/v1/identity',
      'https://app.example.com/identity/v1/identity?inbox=website',
    ],
    ['/identity', 'https://app.example.com/identity/v1/identity?inbox=website'],
  ])('endpoint %s -> %s', async (endpoint, url) => {
    const sdk = load({ answers: [ok()] })
    await sdk.identify({ endpoint })
    expect(sdk.requests.map((r) => r.url)).toEqual([url])
  })

  it('identifies by itself from a script tag with data-inbox, and not without', async () => {
    const tagged = load({ answers: [ok()], attributes: { 'data-inbox': 'shop & more' } })
    await new Promise((resolve) => setTimeout(resolve, 0))
    expect(tagged.requests.map((r) => r.url)).toEqual([
      'https://identity.example.com/v1/identity?inbox=shop+%26+more',
    ])
    // identify() again (after a sign-in) needs no options: the tag's service and inbox.
    await tagged.sdk.identify()
    expect(tagged.requests[1]?.url).toBe('https://identity.example.com/v1/identity?inbox=shop+%26+more')
    const proxied = load({ answers: [ok()], attributes: { 'data-inbox': '' }, src: '/identity/sdk.js' })
    await new Promise((resolve) => setTimeout(resolve, 0))
    expect(proxied.requests.map((r) => r.url)).toEqual(['https://app.example.com/identity/v1/identity'])
    const bare = load({ answers: [ok()] })
    await new Promise((resolve) => setTimeout(resolve, 0))
    expect(bare.requests).toEqual([])
  })

  it('waits for chatwoot:ready when the widget has not loaded yet', async () => {
    const calls: unknown[] = []
    const sdk = load({
      answers: [ok()],
      chatwoot: { hasLoaded: false, setUser: (...args: unknown[]) => calls.push(args) },
    })
    const outcome = sdk.identify()
    await new Promise((resolve) => setTimeout(resolve, 0))
    expect(sdk.requests).toHaveLength(1)
    expect(calls).toEqual([])
    sdk.ready()
    expect(await outcome).toBe('identified')
    expect(calls).toEqual([['user-42', { identifier_hash: HASH }]])
  })

  it('retries network failures, 429 and 5xx with capped, growing backoff, then succeeds', async () => {
    const sdk = load({ answers: ['network-error', { status: 503 }, { status: 429 }, ok()] })
    expect(await sdk.identify(bearer)).toBe('identified')
    expect(sdk.requests).toHaveLength(4)
    expect(sdk.delays).toHaveLength(3)
    sdk.delays.forEach((delay, attempt) => {
      expect(delay).toBeGreaterThanOrEqual(250 * 2 ** attempt)
      expect(delay).toBeLessThanOrEqual(500 * 2 ** attempt)
    })
  })

  it('honours Retry-After, capped', async () => {
    const sdk = load({ answers: [{ status: 429, headers: { 'retry-after': '3600' } }, ok()] })
    expect(await sdk.identify()).toBe('identified')
    expect(sdk.delays).toEqual([8000])
  })

  it('gives up after four tries, with one warning and no exception', async () => {
    const sdk = load({ answers: Array(10).fill({ status: 502 }) })
    expect(await sdk.identify(bearer)).toBe('failed')
    expect(sdk.requests).toHaveLength(4)
    expect(sdk.warnings).toEqual(['chatwoot-identity: identity service unreachable, giving up'])
    expect(sdk.calls).toEqual([])
  })

  it('takes 401 as "no session": one request, nothing on the console', async () => {
    const sdk = load({ answers: [{ status: 401, body: { code: 'missing_token' } }] })
    expect(await sdk.identify()).toBe('no_session')
    expect(sdk.requests).toHaveLength(1)
    expect(sdk.warnings).toEqual([])
    const noToken = load({})
    expect(await noToken.identify({ getToken: () => null })).toBe('no_session')
    expect(noToken.requests).toHaveLength(0)
  })

  it('does not retry a refusal, and names only its problem code', async () => {
    const sdk = load({ answers: [{ status: 404, body: { code: 'inbox_not_found', detail: 'x' } }] })
    expect(await sdk.identify(bearer)).toBe('failed')
    expect(sdk.requests).toHaveLength(1)
    expect(sdk.warnings).toEqual(['chatwoot-identity: identity request refused (inbox_not_found)'])
  })

  it.each([
    ['uppercase hash', { ...IDENTITY, identifier_hash: HASH.toUpperCase() }],
    ['empty identifier', { ...IDENTITY, identifier: '' }],
    ['numeric identifier', { ...IDENTITY, identifier: 42 }],
    ['not JSON', undefined],
  ])('refuses a malformed answer (%s): no setUser', async (_name, body) => {
    const sdk = load({ answers: [{ status: 200, body }] })
    expect(await sdk.identify()).toBe('failed')
    expect(sdk.calls).toEqual([])
    expect(sdk.requests).toHaveLength(1)
  })

  it('never throws into the page: bad options, a failing getToken or widget', async () => {
    const sdk = load({ answers: [ok(), ok()] })
    await expect(sdk.sdk.identify({ getToken: 'not a function' } as never)).resolves.toBe('failed')
    await expect(
      sdk.identify({
        getToken: () => {
          throw new Error(TOKEN)
        },
      }),
    ).resolves.toBe('failed')
    const throwing = load({
      answers: [ok()],
      chatwoot: {
        hasLoaded: true,
        setUser: () => {
          throw new Error('widget broke')
        },
        reset: () => {
          throw new Error('widget broke')
        },
      },
    })
    await expect(throwing.identify()).resolves.toBe('failed')
    expect(() => throwing.sdk.logout()).not.toThrow()
    const noScript = load({ answers: [ok()], src: '' })
    await expect(noScript.identify()).resolves.toBe('failed')
    for (const warning of [...sdk.warnings, ...throwing.warnings]) {
      expect(warning).not.toContain(TOKEN)
      expect(warning).not.toContain(HASH)
    }
  })

  it('logout resets Chatwoot and drops an identify still running', async () => {
    const sdk = load({ answers: ['network-error', ok()] })
    const outcome = sdk.identify()
    sdk.sdk.logout()
    expect(await outcome).toBe('cancelled')
    expect(sdk.calls).toEqual([['reset']])
    expect(sdk.requests).toHaveLength(1)
  })

  it('a newer identify supersedes an older one', async () => {
    const sdk = load({ answers: ['network-error', ok()] })
    const first = sdk.identify()
    const second = sdk.identify()
    expect(await first).toBe('cancelled')
    expect(await second).toBe('identified')
    expect(sdk.calls).toHaveLength(1)
  })

  it('keeps the first copy when loaded twice', () => {
    const sdk = load({})
    const first = sdk.window.ChatwootIdentity
    runInNewContext(SOURCE, { window: sdk.window, document: { currentScript: null } })
    expect(sdk.window.ChatwootIdentity).toBe(first)
  })
})
