import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { ChatwootServer, fixtureInboxes } from './helpers/chatwoot-server.js'
import { hsKey, sign } from './helpers/keys.js'
import { type Running, startServer } from './helpers/process.js'
import { referenceHash } from './helpers/reference.js'

// The built service as a process with Chatwoot's Application API as an inbox source, played by a
// local server in Chatwoot's shape: first sync, lookups by name and alias, rotation, failures that
// keep the last good set, collisions and precedence. No log line ever holds the token or a secret.

const key = hsKey()
const API_TOKEN = 'chatwoot-admin-token-0001'
const NEW_API_TOKEN = 'chatwoot-admin-token-0002'
const [ACME, MOBILE] = fixtureInboxes() as unknown as [Record<string, string>, Record<string, string>]
const ROTATED = 'rotated-hmac-token-0001'
const ROTATED_AGAIN = 'rotated-hmac-token-0002'
const ROTATED_ON_SIGHUP = 'rotated-hmac-token-0003'
const ENV_SECRET = 'environment-website-secret'
const FILE_SECRET = 'file-mobile-app-secret'

let servers: Running[] = []
let chatwoots: ChatwootServer[] = []
afterEach(async () => {
  const secrets = [
    API_TOKEN,
    NEW_API_TOKEN,
    ROTATED,
    ROTATED_AGAIN,
    ROTATED_ON_SIGHUP,
    ENV_SECRET,
    FILE_SECRET,
    key.secret,
  ]
  for (const inbox of fixtureInboxes()) if (inbox.hmac_token) secrets.push(String(inbox.hmac_token))
  for (const server of servers) {
    const log = server.lines.join('\n')
    for (const secret of secrets) expect(log).not.toContain(secret)
  }
  await Promise.all(servers.map((server) => server.stop('SIGKILL')))
  await Promise.all(chatwoots.map((chatwoot) => chatwoot.stop()))
  servers = []
  chatwoots = []
})

async function chatwootStub(): Promise<ChatwootServer> {
  const chatwoot = await new ChatwootServer(API_TOKEN).start()
  chatwoots.push(chatwoot)
  return chatwoot
}

async function start(chatwoot: ChatwootServer, env: Record<string, string> = {}) {
  const server = await startServer({
    JWT_SECRET: key.secret,
    CHATWOOT_URL: chatwoot.url,
    CHATWOOT_API_TOKEN: API_TOKEN,
    CHATWOOT_ACCOUNT_ID: String(chatwoot.accountId),
    ...env,
  })
  servers.push(server)
  return server
}

async function identity(server: Running, inbox?: string) {
  const jwt = await sign(key, { sub: 'user-1' })
  const query = inbox === undefined ? '' : `?inbox=${encodeURIComponent(inbox)}`
  const response = await fetch(`${server.url}/v1/identity${query}`, {
    headers: { authorization: `Bearer ${jwt}` },
  })
  return { status: response.status, body: (await response.json()) as Record<string, string> }
}

async function waitFor(check: () => Promise<boolean> | boolean, what = 'condition', timeoutMs = 8000) {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (await check()) return
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  throw new Error(`${what} not met in time`)
}
const ready = async (server: Running) => (await fetch(`${server.url}/readyz`)).status === 200
const metric = async (server: Running, pattern: RegExp) =>
  Number(pattern.exec(await (await fetch(`${server.url}/metrics`)).text())?.[1] ?? Number.NaN)
const syncs = async (server: Running, outcome: string) =>
  (await metric(server, new RegExp(`chatwoot_syncs_total\\{outcome="${outcome}"\\} (\\d+)`))) || 0
// Log lines arrive through a pipe, maybe after the answer that showed their effect: wait for them.
const logged = (server: Running, ...parts: string[]) =>
  waitFor(
    () => server.lines.some((line) => parts.every((part) => line.includes(part))),
    `a log line with ${parts.join(' and ')}`,
  )

describe('Chatwoot as the only inbox source', () => {
  it('is not ready until the first sync, then finds inboxes by name, id, website_token and inbox_identifier', async () => {
    const chatwoot = await chatwootStub()
    chatwoot.mode = 'error'
    const server = await start(chatwoot)
    await waitFor(async () => (await syncs(server, 'http_error')) >= 1)

    const notReady = await fetch(`${server.url}/readyz`)
    expect(notReady.status).toBe(503)
    expect(((await notReady.json()) as { unmet: string[] }).unmet).toEqual(['inboxes', 'chatwoot_inboxes'])
    expect(await identity(server, 'acme_website')).toMatchObject({ status: 503, body: { code: 'not_ready' } })
    expect(await identity(server)).toMatchObject({ status: 503, body: { code: 'not_ready' } })

    chatwoot.mode = 'ok'
    server.child.kill('SIGHUP')
    await waitFor(() => ready(server))

    const acme = {
      inbox: 'acme_website',
      identifier: 'user-1',
      identifier_hash: referenceHash(ACME.hmac_token as string, 'user-1'),
    }
    const mobile = {
      inbox: 'mobile_app',
      identifier: 'user-1',
      identifier_hash: referenceHash(MOBILE.hmac_token as string, 'user-1'),
    }
    for (const [param, expected] of [
      ['acme_website', acme],
      ['Acme-Website', acme],
      ['1', acme],
      [ACME.website_token, acme],
      ['mobile_app', mobile],
      ['2', mobile],
      [MOBILE.inbox_identifier, mobile],
    ] as const) {
      expect(await identity(server, param), param).toEqual({ status: 200, body: expected })
    }
    // Not a web-widget or API inbox; tokens are matched exactly.
    for (const param of ['support_email', '3', (ACME.website_token as string).toLowerCase()])
      expect(await identity(server, param), param).toMatchObject({
        status: 404,
        body: { code: 'inbox_not_found' },
      })
    expect(await identity(server)).toMatchObject({ status: 400, body: { code: 'inbox_required' } })

    const verify = await fetch(`${server.url}/v1/identity/verify`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${await sign(key, { sub: 'svc' })}`,
        'content-type': 'application/json',
      },
      body: JSON.stringify({
        inbox: ACME.website_token,
        identifier: 'user-1',
        identifier_hash: acme.identifier_hash,
      }),
    })
    expect(await verify.json()).toEqual({ valid: true })

    expect(await syncs(server, 'ok')).toBeGreaterThanOrEqual(1)
    expect(
      await metric(server, /^chatwoot_identity_chatwoot_sync_age_seconds (\S+)$/m),
    ).toBeGreaterThanOrEqual(0)
    await logged(server, 'chatwoot inboxes synced', 'acme_website', 'mobile_app')
  })
})

describe('Chatwoot refreshes', () => {
  it('follows a rotated hmac_token on the next refresh and keeps the last good set through every failure', async () => {
    const chatwoot = await chatwootStub()
    const dir = mkdtempSync(join(tmpdir(), 'ci-chatwoot-'))
    const tokenFile = join(dir, 'token')
    writeFileSync(tokenFile, `${API_TOKEN}\n`)
    const server = await start(chatwoot, {
      CHATWOOT_API_TOKEN: '',
      CHATWOOT_API_TOKEN_FILE: tokenFile,
      CHATWOOT_REFRESH_SECONDS: '1',
      CHATWOOT_TIMEOUT_SECONDS: '0.5',
      LOG_LEVEL: 'trace',
    })
    await waitFor(() => ready(server))
    const hash = async () => (await identity(server, 'acme_website')).body.identifier_hash
    expect(await hash()).toBe(referenceHash(ACME.hmac_token as string, 'user-1'))

    // Rotated in Chatwoot: taken at the next periodic refresh, no signal needed.
    chatwoot.rotate(1, ROTATED)
    await waitFor(async () => (await hash()) === referenceHash(ROTATED, 'user-1'))

    const failures: [string, () => void, string][] = [
      ['a 500', () => (chatwoot.mode = 'error'), 'http_error'],
      ['an HTML page', () => (chatwoot.mode = 'html'), 'invalid'],
      ['malformed JSON', () => (chatwoot.mode = 'malformed'), 'invalid'],
      ['no answer', () => (chatwoot.mode = 'hang'), 'timeout'],
      ["an agent's answer without hmac_token", () => (chatwoot.mode = 'not_admin'), 'forbidden'],
      [
        'a refused token (401)',
        () => ((chatwoot.mode = 'ok'), (chatwoot.token = NEW_API_TOKEN)),
        'unauthorized',
      ],
    ]
    // Whatever a bad answer might carry, it must not replace the set.
    chatwoot.rotate(1, ROTATED_AGAIN)
    for (const [name, breakIt, outcome] of failures) {
      breakIt()
      const before = await syncs(server, outcome)
      await waitFor(async () => (await syncs(server, outcome)) > before)
      expect(await hash(), name).toBe(referenceHash(ROTATED, 'user-1'))
      expect(await ready(server), name).toBe(true)
      await logged(server, 'chatwoot sync failed; keeping the last good set', `"outcome":"${outcome}"`)
    }

    // The administrator rotates the access token: the new one is read from the file at the next refresh.
    writeFileSync(tokenFile, `${NEW_API_TOKEN}\n`)
    await waitFor(async () => (await hash()) === referenceHash(ROTATED_AGAIN, 'user-1'))
  })
})

describe('Chatwoot with other sources', () => {
  it('logs collisions and unknown channel types, and lets environment and file inboxes take precedence', async () => {
    const chatwoot = await chatwootStub()
    const widget = (id: number, name: string, hmacToken: string) => ({
      id,
      name,
      channel_type: 'Channel::WebWidget',
      hmac_token: hmacToken,
      website_token: `website-token-${id}`,
    })
    chatwoot.inboxes = [
      ...fixtureInboxes(),
      widget(4, 'acme-website', 'colliding-hmac-token'),
      widget(5, 'Website', 'chatwoot-website-hmac'),
      { id: 6, name: 'Pager', channel_type: 'Channel::Carrier', hmac_token: 'pager-hmac' },
      widget(8, '2', 'inbox-named-two-hmac'),
    ]
    const dir = mkdtempSync(join(tmpdir(), 'ci-chatwoot-'))
    const secretsFile = join(dir, 'secrets.json')
    writeFileSync(secretsFile, JSON.stringify({ inboxes: { 'Mobile App': { secret: FILE_SECRET } } }))
    const server = await start(chatwoot, {
      CHATWOOT_INBOX_WEBSITE_SECRET: ENV_SECRET,
      SECRETS_FILE: secretsFile,
    })
    await waitFor(() => ready(server))

    const hashOf = (secret: string) => referenceHash(secret, 'user-1')
    // Two Chatwoot inboxes, one canonical name: the older keeps it.
    expect((await identity(server, 'acme_website')).body).toMatchObject({
      inbox: 'acme_website',
      identifier_hash: hashOf(ACME.hmac_token as string),
    })
    expect((await identity(server, 'website-token-4')).status).toBe(404)
    await logged(server, 'Chatwoot inbox 4', 'same canonical name', 'acme_website')
    // Unknown channel type: logged and left out.
    await logged(server, 'Chatwoot inbox 6', 'unknown channel type Channel::Carrier')
    expect((await identity(server, 'pager')).status).toBe(404)
    // Environment over Chatwoot, the Chatwoot aliases following the name.
    for (const param of ['website', '5', 'website-token-5'])
      expect((await identity(server, param)).body, param).toMatchObject({
        inbox: 'website',
        identifier_hash: hashOf(ENV_SECRET),
      })
    await logged(
      server,
      'inbox \\"website\\": CHATWOOT_INBOX_WEBSITE_SECRET takes precedence over Chatwoot inbox 5',
    )
    // The secrets file over Chatwoot.
    expect((await identity(server, MOBILE.inbox_identifier)).body).toMatchObject({
      inbox: 'mobile_app',
      identifier_hash: hashOf(FILE_SECRET),
    })
    await logged(server, 'inbox \\"mobile_app\\"', secretsFile, 'takes precedence over Chatwoot inbox 2')
    // An inbox named "2" wins over inbox 2's id alias (names are looked up first), and that is logged.
    expect((await identity(server, '2')).body).toMatchObject({
      inbox: '2',
      identifier_hash: hashOf('inbox-named-two-hmac'),
    })
    await logged(server, 'alias \\"2\\" is the name of inbox \\"2\\"')

    // SIGHUP reads Chatwoot at once (the next periodic read is 300 s away).
    chatwoot.rotate(1, ROTATED_ON_SIGHUP)
    server.child.kill('SIGHUP')
    await waitFor(
      async () => (await identity(server, '1')).body.identifier_hash === hashOf(ROTATED_ON_SIGHUP),
      'the rotated token after SIGHUP',
    )
  })
})
