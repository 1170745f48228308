import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { jwtVerify } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ChatwootServer, fixtureInboxes } from './helpers/chatwoot-server.js'
import { rsaKey } from './helpers/keys.js'
import { runCli, startServer } from './helpers/process.js'
import { referenceHash, SPEC_VECTOR } from './helpers/reference.js'

// The built command line as a process: help, exit statuses, hashes that agree with the reference
// and with the service, hints for pairs that do not match, the configuration check, test tokens.

const dir = mkdtempSync(join(tmpdir(), 'ci-cli-'))
const file = (name: string, content: string) => {
  const path = join(dir, name)
  writeFileSync(path, content)
  return path
}
const JWT_SECRET = 'cli-test-jwt-secret-of-32-bytes-or-more'
const WEBSITE = 'cli-website-secret'
const SHOP = 'cli-shop-secret'
const inboxEnv = {
  CHATWOOT_INBOX_WEBSITE_SECRET_FILE: file('website', `${WEBSITE}\n`),
  SECRETS_FILE: file('secrets.json', JSON.stringify({ inboxes: { Shop: { secret: SHOP } } })),
}
const SECRETS = [JWT_SECRET, WEBSITE, SHOP, SPEC_VECTOR.secret]
const noSecret = (...outputs: string[]) => {
  for (const output of outputs) for (const secret of SECRETS) expect(output).not.toContain(secret)
}

describe('help and usage', () => {
  it.each([
    [['--help'], 'Usage: chatwoot-identity <command>'],
    [['help', 'verify'], 'Usage: chatwoot-identity verify'],
    [['hash', '--help'], 'Usage: chatwoot-identity hash'],
    [['verify', '-h'], 'Usage: chatwoot-identity verify'],
    [['check-config', '--help'], 'Usage: chatwoot-identity check-config'],
    [['token', '--help'], 'Usage: chatwoot-identity token'],
  ])('%j prints help on stdout and exits 0', async (args, heading) => {
    const { code, stdout, stderr } = await runCli(args)
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' })
    expect(stdout.startsWith(heading)).toBe(true)
    expect(stdout).toMatch(/Exit status/)
  })

  it.each([
    [[], /Usage: chatwoot-identity <command>/],
    [['sign'], /unknown command "sign"/],
    [['hash', '--identifier', 'u', '--inbox'], /--inbox <value>' argument missing/],
    [['hash', '--inbox', 'website'], /--identifier is required/],
    [['hash', '--identifier', ''], /--identifier is required/],
    [['hash', '--identifier', 'u', '--secret-file', '/dev/null', '--inbox', 'w'], /exclude each other/],
    [['token', '--sub', 'u', '--ttl', '1e3'], /--ttl must be a whole number/],
  ])('%j is a usage error on stderr, exit 2', async (args, message) => {
    const { code, stdout, stderr } = await runCli(args)
    expect({ code, stdout }).toEqual({ code: 2, stdout: '' })
    expect(stderr).toMatch(message)
  })

  it('never echoes a stray argument (it may be a secret typed in the wrong place)', async () => {
    const { code, stderr } = await runCli(['hash', '--identifier', 'u', WEBSITE])
    expect(code).toBe(2)
    expect(stderr).toMatch(/unexpected argument/)
    noSecret(stderr)
  })
})

describe('hash', () => {
  it('gives the SPEC vector from --secret-file, and nothing else on stdout', async () => {
    const secretFile = file('spec-secret', `${SPEC_VECTOR.secret}\n`)
    const { code, stdout, stderr } = await runCli([
      'hash',
      '--identifier',
      SPEC_VECTOR.identifier,
      '--secret-file',
      secretFile,
    ])
    expect({ code, stdout, stderr }).toEqual({ code: 0, stdout: `${SPEC_VECTOR.hash}\n`, stderr: '' })
  })

  it('takes the secret from the configuration, found as the service finds it', async () => {
    const website = await runCli(['hash', '--identifier', '42', '--inbox', 'Website'], inboxEnv)
    expect(website).toEqual({ code: 0, stdout: `${referenceHash(WEBSITE, '42')}\n`, stderr: '' })
    const shop = await runCli(['hash', '--identifier', 'ünïcode user', '--inbox', 'shop'], inboxEnv)
    expect(shop.stdout).toBe(`${referenceHash(SHOP, 'ünïcode user')}\n`)
  })

  it.each([
    [['--identifier', 'u'], /several inboxes are configured \(shop, website\): name one with --inbox/],
    [['--identifier', 'u', '--inbox', 'mobile'], /no inbox "mobile" \(configured: shop, website\)/],
    [
      ['--identifier', 'u', '--secret-file', join(dir, 'missing')],
      /--secret-file: cannot read .*missing \(ENOENT\)/,
    ],
  ])('%j cannot be done: exit 3, one line on stderr', async (args, message) => {
    const { code, stdout, stderr } = await runCli(['hash', ...args], inboxEnv)
    expect({ code, stdout }).toEqual({ code: 3, stdout: '' })
    expect(stderr).toMatch(message)
    expect(stderr.trim().split('\n')).toHaveLength(1)
  })

  it('reports a configuration error by its variable, without the value', async () => {
    const { code, stderr } = await runCli(['hash', '--identifier', 'u'], {
      ...inboxEnv,
      CHATWOOT_INBOX_WEBSITE_SECRET: WEBSITE,
    })
    expect(code).toBe(3)
    expect(stderr).toMatch(/configuration error: CHATWOOT_INBOX_WEBSITE_SECRET: set either/)
    noSecret(stderr)
  })
})

describe('verify', () => {
  const env = { CHATWOOT_INBOX_WEBSITE_SECRET: WEBSITE, CHATWOOT_INBOX_SHOP_SECRET: SHOP }
  const verify = (hash: string, identifier = 'user-7') =>
    runCli(['verify', '--inbox', 'website', '--identifier', identifier, '--hash', hash], env)

  it('exits 0 for the right hash', async () => {
    expect(await verify(referenceHash(WEBSITE, 'user-7'))).toEqual({ code: 0, stdout: 'valid\n', stderr: '' })
  })

  it.each([
    ['uppercase hex', referenceHash(WEBSITE, 'user-7').toUpperCase(), /uppercase hex/],
    ['key and message swapped', referenceHash('user-7', WEBSITE), /key and message are swapped/],
    ["another inbox's secret", referenceHash(SHOP, 'user-7'), /the hash for inbox "shop"/],
    ['a trailing newline', referenceHash(WEBSITE, 'user-7\n'), /trailing newline/],
    ['an empty message', referenceHash(WEBSITE, ''), /never written into the HMAC/],
    ['no hash at all', 'abc', /not 64 hex characters/],
  ])('exits 1 for %s, with a hint saying so', async (_name, hash, hint) => {
    const { code, stdout, stderr } = await verify(hash)
    expect({ code, stderr }).toEqual({ code: 1, stderr: '' })
    expect(stdout.split('\n')[0]).toBe('not valid')
    expect(stdout).toMatch(hint)
    noSecret(stdout)
  })

  it('hints at a number hashed as "42.0"', async () => {
    const { code, stdout } = await verify(referenceHash(WEBSITE, '42.0'), '42')
    expect(code).toBe(1)
    expect(stdout).toMatch(/hash of "42.0": a number must be hashed as its decimal digits/)
  })
})

describe('check-config', () => {
  it('prints a redacted summary and exits 0 for a configuration the service would start with', async () => {
    const { code, stdout, stderr } = await runCli(['check-config'], {
      JWT_SECRET,
      ...inboxEnv,
      JWT_ISSUER: 'https://idp.example',
    })
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' })
    expect(stdout).toMatch(/^jwt key: +HMAC secret from JWT_SECRET \(39 bytes\)$/m)
    expect(stdout).toMatch(
      /^inboxes: +website \(CHATWOOT_INBOX_WEBSITE_SECRET_FILE \(.*website\)\), shop \(.*secrets\.json "Shop"\)$/m,
    )
    expect(stdout).toMatch(/^configuration OK$/m)
    noSecret(stdout)
  })

  it('prints every problem, each naming its variable, and exits 1', async () => {
    const { code, stdout, stderr } = await runCli(['check-config'], {
      PORT: 'eighty',
      JWT_SECRET: 'short-secret-value',
      CHATWOOT_URL: 'https://chat.example',
      CHATWOOT_API_TOKEN: 'chatwoot admin token',
      VERIFY_API_KEYS: WEBSITE,
    })
    expect(code).toBe(1)
    expect(stderr.trim().split('\n')).toEqual([
      'problem: PORT: must be a port number',
      'problem: VERIFY_API_KEYS: key #1 is shorter than 32 characters',
      'problem: JWT_SECRET: must be at least 32 bytes for HS256 (it has 18)',
      'problem: CHATWOOT_API_TOKEN: must be printable ASCII without spaces (an access token from Chatwoot)',
      'problem: CHATWOOT_ACCOUNT_ID: is required with CHATWOOT_URL',
      '5 problems: the service would not start',
    ])
    expect(stdout).toMatch(/^server: +\(not usable, see the problems\)$/m)
    noSecret(stdout, stderr)
    expect(stdout + stderr).not.toContain('short-secret-value')
    expect(stdout + stderr).not.toContain('chatwoot admin token')
  })
})

describe('token', () => {
  it('mints a token the service accepts, labelled for testing, whose hash agrees with `hash`', async () => {
    const env = {
      JWT_SECRET,
      CHATWOOT_INBOX_WEBSITE_SECRET: WEBSITE,
      JWT_ISSUER: 'https://idp.example',
      JWT_AUDIENCE: 'web',
    }
    const { code, stdout, stderr } = await runCli(['token', '--sub', 'user-9', '--ttl', '120'], env)
    expect(code).toBe(0)
    expect(stderr).toMatch(/FOR TESTING ONLY/)
    const jwt = stdout.trim()
    const { payload } = await jwtVerify(jwt, new TextEncoder().encode(JWT_SECRET), {
      issuer: 'https://idp.example',
      audience: 'web',
      algorithms: ['HS256'],
    })
    expect(payload.sub).toBe('user-9')
    expect((payload.exp as number) - (payload.iat as number)).toBe(120)

    const server = await startServer(env)
    try {
      const response = await fetch(`${server.url}/v1/identity`, {
        headers: { authorization: `Bearer ${jwt}` },
      })
      const hashed = await runCli(['hash', '--identifier', 'user-9'], env)
      expect(await response.json()).toEqual({
        inbox: 'website',
        identifier: 'user-9',
        identifier_hash: hashed.stdout.trim(),
      })
    } finally {
      await server.stop()
    }
  })

  it('puts the identifier in IDENTIFIER_CLAIM too', async () => {
    const { stdout } = await runCli(['token', '--sub', 'u-1'], { JWT_SECRET, IDENTIFIER_CLAIM: 'user.id' })
    const { payload } = await jwtVerify(stdout.trim(), new TextEncoder().encode(JWT_SECRET))
    expect(payload['user.id']).toBe('u-1')
  })

  it('cannot sign without JWT_SECRET: exit 3', async () => {
    const { code, stdout, stderr } = await runCli(['token', '--sub', 'u'], {
      JWT_PUBLIC_KEY: rsaKey().publicPem,
    })
    expect({ code, stdout }).toEqual({ code: 3, stdout: '' })
    expect(stderr).toMatch(/token needs JWT_SECRET: this configuration verifies with JWT_PUBLIC_KEY/)
  })
})

describe('hash with Chatwoot configured', () => {
  const API_TOKEN = 'cli-chatwoot-admin-token'
  const [acme] = fixtureInboxes() as unknown as [Record<string, string>]
  let chatwoot: ChatwootServer
  beforeAll(async () => {
    chatwoot = await new ChatwootServer(API_TOKEN).start()
  })
  afterAll(() => chatwoot.stop())
  const env = () => ({
    CHATWOOT_URL: chatwoot.url,
    CHATWOOT_API_TOKEN: API_TOKEN,
    CHATWOOT_ACCOUNT_ID: String(chatwoot.accountId),
    CHATWOOT_INBOX_WEBSITE_SECRET: WEBSITE,
  })

  it('fetches the inboxes once and finds one by its website_token', async () => {
    chatwoot.mode = 'ok'
    const { code, stdout, stderr } = await runCli(
      ['hash', '--identifier', 'u', '--inbox', acme.website_token as string],
      env(),
    )
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' })
    expect(stdout).toBe(`${referenceHash(acme.hmac_token as string, 'u')}\n`)
  })

  it('still hashes for local inboxes when Chatwoot cannot be read, and says so', async () => {
    chatwoot.mode = 'error'
    const local = await runCli(['hash', '--identifier', 'u', '--inbox', 'website'], env())
    expect(local.code).toBe(0)
    expect(local.stdout).toBe(`${referenceHash(WEBSITE, 'u')}\n`)
    expect(local.stderr).toMatch(/note: Chatwoot could not be read \(http_error: HTTP 500\)/)
    const remote = await runCli(['hash', '--identifier', 'u', '--inbox', 'acme_website'], env())
    expect(remote.code).toBe(3)
    expect(remote.stderr).toMatch(
      /no inbox "acme_website" among the local ones \(website\) and Chatwoot could not be read/,
    )
    noSecret(local.stderr, remote.stderr)
    expect(local.stderr + remote.stderr).not.toContain(API_TOKEN)
  })
})
