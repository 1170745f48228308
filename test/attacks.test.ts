import {
  createPublicKey,
  sign as cryptoSign,
  type KeyObject,
  randomBytes,
  X509Certificate,
} from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CountingListener, expectProblem, httpRequest, rawRequest } from './helpers/http.js'
import {
  base64url,
  ecKey,
  edKey,
  hsKey,
  type KeyPair,
  publicJwk,
  rsaKey,
  signBytes,
  signInput,
} from './helpers/keys.js'
import { referenceHash } from './helpers/reference.js'
import {
  AUDIENCE,
  COOKIE,
  INBOX_SECRET,
  ISSUER,
  KINDS,
  type Kind,
  now,
  SERVICE_KEY,
  startTarget,
  type Target,
  type TrustedKey,
} from './helpers/targets.js'
import { selfSignedCertificate } from './helpers/x509.js'

// The JWT attack catalogue (RFC 8725, OWASP ASVS V9) against the built service over real HTTP, in
// each key configuration: every forged or malformed token gets 401 problem+json with a stable code,
// quickly, with no outbound request and nothing echoed. One server per configuration serves every case.

type Code = string
/** The code expected in each configuration: one for all, or per kind with a default. */
type Expected = Code | ({ default: Code } & Partial<Record<Kind, Code>>)
type TokenFor = (t: Target) => string | string[] | Promise<string | string[]>
interface Attack {
  name: string
  token: TokenFor
  code: Expected
  /** Configurations the case means something in; all when left out. */
  only?: readonly Kind[]
}

const codeFor = (expected: Expected, kind: Kind): Code =>
  typeof expected === 'string' ? expected : (expected[kind] ?? expected.default)

const attacker = {
  rsa: rsaKey(),
  ec: ecKey('P-256'),
  ec384: ecKey('P-384'),
  ed: edKey(),
  hs: hsKey(48),
}
/** The attacker's key of the configuration's own family, so that only the key itself differs. */
const attackerFor = (t: Target): KeyPair =>
  t.kind === 'HS256' ? attacker.hs : t.kind === 'EC-PEM' ? attacker.ec : attacker.rsa

const listener = new CountingListener()

/** Raw JSON text or bytes as they are; any other value serialised. */
const segmentText = (value: unknown) =>
  typeof value === 'string' || Buffer.isBuffer(value) ? value : JSON.stringify(value)
const segment = (value: unknown) => base64url(segmentText(value))
/** A hand-made token: these segments, this signature (none by default). */
const forge = (header: unknown, claims: unknown, signature: string | Buffer = '') =>
  `${segment(header)}.${segment(claims)}.${typeof signature === 'string' ? signature : base64url(signature)}`
/** A token signed with HMAC under any key bytes, as an attacker who guessed or found them would. */
const hmacToken = (key: string | Buffer, header: unknown, claims: unknown, alg = 'HS256') => {
  const input = `${segment(header)}.${segment(claims)}`
  return `${input}.${base64url(signInput(Buffer.from(key), input, alg))}`
}
/** A token signed with this key, over the exact JSON of the header and claims. */
const signedBy = (key: KeyPair, header: unknown, claims: unknown, alg = key.alg) =>
  signBytes(key, segmentText(header), segmentText(claims), alg)
/** A token of the legitimate signer over these raw header and payload bytes. */
const legit = (t: Target, header: unknown, claims: unknown) => signedBy(t.signer, header, claims)

const parts = (token: string) => token.split('.') as [string, string, string]
const pemOf = (key: TrustedKey) => createPublicKey(key.privateKey as KeyObject)

// ---------------------------------------------------------------------------------------------------
// alg "none" in every spelling, and stripped signatures

const NONE_SPELLINGS = ['none', 'None', 'NONE', 'nOnE', 'none ', ' none', 'none\u0000', 'NoNe']

const algNone: Attack[] = [
  ...NONE_SPELLINGS.flatMap((alg): Attack[] => [
    {
      name: `alg ${JSON.stringify(alg)} with the signature stripped`,
      token: (t) => forge(t.header({ alg }), t.claims({ sub: 'admin' })),
      code: { default: 'invalid_signature', JWKS: 'algorithm_not_allowed' },
    },
    {
      name: `alg ${JSON.stringify(alg)} keeping a genuine token's signature`,
      token: (t) =>
        `${segment(t.header({ alg }))}.${segment(t.claims({ sub: 'admin' }))}.${parts(t.token())[2]}`,
      code: 'algorithm_not_allowed',
    },
  ]),
  {
    name: 'a genuine token with its signature stripped',
    token: (t) => parts(t.token()).slice(0, 2).join('.') + '.',
    code: 'invalid_signature',
  },
  {
    name: 'no alg at all, unsigned',
    token: (t) => forge({ typ: 'JWT', ...(t.signer.kid ? { kid: t.signer.kid } : {}) }, t.claims()),
    code: { default: 'invalid_signature', JWKS: 'algorithm_not_allowed' },
  },
  ...[null, '', ['none'], { none: true }, 0].map((alg): Attack => ({
    name: `alg ${JSON.stringify(alg)}, with a signature`,
    token: (t) => forge(t.header({ alg }), t.claims(), parts(t.token())[2]),
    code: 'algorithm_not_allowed',
  })),
]

// ---------------------------------------------------------------------------------------------------
// Algorithm confusion: HMAC keyed with the public key, in every form it can be found in

/** A form of a public key as an HMAC key: null when the form does not exist for that key type. */
type Form = [string, (key: TrustedKey) => Buffer | null | Promise<Buffer | null>, (readonly Kind[])?]
const spki = (key: TrustedKey) => pemOf(key).export({ type: 'spki', format: 'pem' }).toString()
const PUBLIC_KEY_FORMS: Form[] = [
  ['SPKI PEM', (key) => Buffer.from(spki(key))],
  ['SPKI PEM without its final newline', (key) => Buffer.from(spki(key).trimEnd())],
  ['SPKI PEM after a newline', (key) => Buffer.from(`\n${spki(key)}`)],
  ['SPKI PEM after spaces', (key) => Buffer.from(`   ${spki(key)}`)],
  ['SPKI PEM after a UTF-8 BOM', (key) => Buffer.from(`\uFEFF${spki(key)}`)],
  ['SPKI PEM with CRLF line ends', (key) => Buffer.from(spki(key).replaceAll('\n', '\r\n'))],
  [
    'PKCS#1 PEM',
    (key) =>
      pemOf(key).asymmetricKeyType === 'rsa'
        ? Buffer.from(pemOf(key).export({ type: 'pkcs1', format: 'pem' }).toString())
        : null,
    ['RSA-PEM', 'JWKS'],
  ],
  ['SPKI DER', (key) => pemOf(key).export({ type: 'spki', format: 'der' })],
  ['the PEM body without armour', (key) => Buffer.from(spki(key).replace(/-----[^-]+-----|\s/g, ''))],
  ['JWK JSON', async (key) => Buffer.from(JSON.stringify(await publicJwk(key)))],
  [
    'JWK JSON as a JWKS publishes it',
    async (key) =>
      Buffer.from(JSON.stringify({ ...(await publicJwk(key)), kid: key.kid, use: 'sig', alg: key.alg })),
  ],
  [
    'EC point, uncompressed',
    async (key) => {
      const jwk = await publicJwk(key)
      if (jwk.kty !== 'EC') return null
      return Buffer.concat([
        Buffer.from([4]),
        Buffer.from(jwk.x as string, 'base64url'),
        Buffer.from(jwk.y as string, 'base64url'),
      ])
    },
    ['EC-PEM', 'JWKS'],
  ],
]

const ASYMMETRIC: Kind[] = ['RSA-PEM', 'EC-PEM', 'JWKS']

/** One token per trusted key for which the form exists, each HMAC-signed with that form of it. */
async function confusionTokens(t: Target, form: Form[1], alg: string): Promise<string[]> {
  const tokens: string[] = []
  for (const key of t.trusted) {
    const bytes = await form(key)
    if (!bytes) continue
    const header = { alg, typ: 'JWT', ...(key.kid ? { kid: key.kid } : {}) }
    tokens.push(hmacToken(bytes, header, t.claims({ sub: 'admin' }), alg))
  }
  return tokens
}

const algConfusion: Attack[] = [
  ...PUBLIC_KEY_FORMS.flatMap(([formName, form, kinds = ASYMMETRIC]) =>
    ['HS256', ...(formName === 'SPKI PEM' ? ['HS384', 'HS512'] : [])].map((alg): Attack => ({
      name: `${alg} keyed with the public key as ${formName}`,
      token: (t) => confusionTokens(t, form, alg),
      code: 'algorithm_not_allowed',
      only: kinds,
    })),
  ),
  {
    name: 'HS256 keyed with an empty key',
    token: (t) => hmacToken('', t.header({ alg: 'HS256' }), t.claims({ sub: 'admin' })),
    code: { default: 'algorithm_not_allowed', HS256: 'invalid_signature' },
  },
]

// ---------------------------------------------------------------------------------------------------
// Keys smuggled in the header: the service trusts only its configured keys, and fetches nothing

const smuggled: Attack[] = [
  {
    name: 'an embedded jwk of the attacker',
    token: async (t) => {
      const key = attackerFor(t)
      const jwk =
        key.alg === 'HS256'
          ? { kty: 'oct', k: base64url((key as KeyPair & { secret: string }).secret) }
          : await publicJwk(key)
      return signedBy(key, t.header({ jwk }), t.claims({ sub: 'admin' }))
    },
    code: 'invalid_signature',
  },
  {
    name: 'jku pointing at a key set of the attacker',
    token: (t) =>
      signedBy(attackerFor(t), t.header({ jku: `${listener.url}/jwks.json` }), t.claims({ sub: 'admin' })),
    code: 'invalid_signature',
  },
  {
    name: "jku pointing at the real provider's key set",
    token: (t) =>
      signedBy(
        attackerFor(t),
        t.header({ jku: t.jwks?.url ?? `${listener.url}/jwks.json` }),
        t.claims({ sub: 'admin' }),
      ),
    code: 'invalid_signature',
  },
  {
    name: 'x5u pointing at a certificate of the attacker',
    token: (t) =>
      signedBy(attackerFor(t), t.header({ x5u: `${listener.url}/cert.pem` }), t.claims({ sub: 'admin' })),
    code: 'invalid_signature',
  },
  {
    name: "x5c holding the attacker's self-signed certificate",
    token: (t) => {
      const key = attackerFor(t).alg === 'HS256' ? attacker.rsa : attackerFor(t)
      const x5c = [selfSignedCertificate(key.privateKey as KeyObject)]
      return signedBy(key, t.header({ alg: key.alg, x5c }), t.claims({ sub: 'admin' }))
    },
    code: { default: 'invalid_signature', HS256: 'algorithm_not_allowed' },
  },
  {
    name: 'jwk, jku, x5u, x5c and x5t all at once',
    token: async (t) => {
      const key = attackerFor(t).alg === 'HS256' ? attacker.rsa : attackerFor(t)
      const certificate = selfSignedCertificate(key.privateKey as KeyObject)
      const header = t.header({
        alg: key.alg,
        jwk: await publicJwk(key),
        jku: `${listener.url}/jwks.json`,
        x5u: `${listener.url}/cert.pem`,
        x5c: [certificate],
        'x5t#S256': base64url(new X509Certificate(Buffer.from(certificate, 'base64')).raw),
      })
      return signedBy(key, header, t.claims({ sub: 'admin' }))
    },
    code: { default: 'invalid_signature', HS256: 'algorithm_not_allowed' },
  },
]

// ---------------------------------------------------------------------------------------------------
// kid abuse: a kid only ever selects one of the configured keys

const STRING_KIDS = [
  '../../../../../../dev/null',
  '/dev/null',
  '..\\..\\..\\windows\\win.ini',
  '../../etc/passwd\u0000',
  '%2e%2e%2f%2e%2e%2fetc%2fpasswd',
  "x' OR '1'='1",
  "' UNION SELECT 'key' -- ",
  '1; DROP TABLE keys',
  '$(curl 127.0.0.1)',
  '`id`',
  '| cat /etc/passwd',
  '&& reboot',
  'rsa-1\u0000',
  'rsa-1 ',
  'RSA-1',
  'rsa\u20101',
  '__proto__',
  'constructor',
  '',
  '*',
  'unknown-kid',
  'k'.repeat(257),
  'k'.repeat(4000),
]
const OTHER_KIDS: unknown[] = [1, 0, true, null, {}, [], ['rsa-1'], { $ne: null }, { toString: 'rsa-1' }]

const kidAbuse: Attack[] = [
  ...STRING_KIDS.map((kid): Attack => ({
    name: `kid ${JSON.stringify(kid.length > 40 ? `${kid.slice(0, 8)}… (${kid.length} characters)` : kid)}, signed by the attacker`,
    token: (t) => signedBy(attackerFor(t), t.header({ kid }), t.claims({ sub: 'admin' })),
    code: { default: 'invalid_signature', JWKS: kid.length > 256 ? 'token_malformed' : 'unknown_key' },
  })),
  // The classic: a kid naming a file or a row whose content the attacker knows, and HMAC under it.
  ...[
    ['../../../../../../dev/null', ''],
    ["' UNION SELECT 'key' -- ", 'key'],
    ['$(echo key)', 'key'],
  ].map(([kid, content]): Attack => ({
    name: `kid ${JSON.stringify(kid)} with HS256 keyed with what it would resolve to`,
    token: (t) => hmacToken(content as string, t.header({ alg: 'HS256', kid }), t.claims({ sub: 'admin' })),
    code: { default: 'algorithm_not_allowed', HS256: 'invalid_signature', JWKS: 'unknown_key' },
  })),
  {
    name: 'kid as a URL of the attacker',
    token: (t) =>
      signedBy(attackerFor(t), t.header({ kid: `${listener.url}/key.pem` }), t.claims({ sub: 'admin' })),
    code: { default: 'invalid_signature', JWKS: 'unknown_key' },
  },
  ...OTHER_KIDS.map((kid): Attack => ({
    name: `kid ${JSON.stringify(kid)} (not a string)`,
    token: (t) => signedBy(attackerFor(t), t.header({ kid }), t.claims({ sub: 'admin' })),
    code: { default: 'invalid_signature', JWKS: 'token_malformed' },
  })),
]

// ---------------------------------------------------------------------------------------------------
// crit, and headers or payloads that are not JSON objects; signed by the legitimate key, so that
// only the shape is wrong

const CRITS: [string, unknown, Record<string, unknown>?][] = [
  ['an unknown extension', ['x-unknown'], { 'x-unknown': true }],
  ['b64 (RFC 7797), not understood', ['b64'], { b64: false }],
  ['a listed extension that is absent', ['x-absent']],
  ['an empty list', []],
  ['an empty name', ['']],
  ['a duplicate name', ['x-unknown', 'x-unknown'], { 'x-unknown': 1 }],
  ['a registered name', ['alg']],
  ['a string', 'x-unknown', { 'x-unknown': 1 }],
  ['an object', {}],
  ['an empty string', ''],
  ['null', null],
  ['false', false],
  ['zero', 0],
]

const critAttacks: Attack[] = CRITS.map(([name, crit, extra]): Attack => ({
  name: `crit: ${name}, signed by the legitimate key`,
  token: (t) => legit(t, t.header({ ...extra, crit }), t.claims()),
  code: 'token_malformed',
}))

const NOT_OBJECTS: [string, string | Buffer][] = [
  ['an array', '[]'],
  ['an array of members', '["alg","HS256"]'],
  ['a string', '"HS256"'],
  ['a number', '42'],
  ['null', 'null'],
  ['true', 'true'],
  ['invalid JSON', '{"alg":"HS256"'],
  ['empty', ''],
  ['non-UTF-8 bytes', Buffer.from([0xff, 0xfe, 0x7b, 0x7d])],
  ['JSON after a BOM', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{}')])],
  ['UTF-16 JSON', Buffer.from('{"alg":"HS256"}', 'utf16le')],
]

const notObjects: Attack[] = [
  ...NOT_OBJECTS.map(([name, bytes]): Attack => ({
    name: `header ${name}`,
    token: (t) => legit(t, bytes, t.claims()),
    code: 'token_malformed',
  })),
  ...NOT_OBJECTS.map(([name, bytes]): Attack => ({
    name: `payload ${name}`,
    token: (t) => legit(t, t.header(), bytes),
    code: 'token_malformed',
  })),
  ...NOT_OBJECTS.map(([name, bytes]): Attack => ({
    name: `payload ${name}, signed by the attacker`,
    token: (t) => signedBy(attackerFor(t), t.header(), bytes),
    code: 'token_malformed',
  })),
  {
    // Lossy decoding would turn "a\xff" and "a\xfe" into the same identifier "a\uFFFD".
    name: 'a claim holding bytes that are not UTF-8',
    token: (t) => {
      const claims = JSON.stringify(t.claims({ sub: 'user-\u0000' }))
      const [before, after] = claims.split('\\u0000') as [string, string]
      return legit(
        t,
        t.header(),
        Buffer.concat([Buffer.from(before), Buffer.from([0xff]), Buffer.from(after)]),
      )
    },
    code: 'token_malformed',
  },
  {
    name: 'a header member holding bytes that are not UTF-8',
    token: (t) => {
      const header = JSON.stringify(t.header({ x: '\u0000' }))
      const [before, after] = header.split('\\u0000') as [string, string]
      return legit(
        t,
        Buffer.concat([Buffer.from(before), Buffer.from([0xc3]), Buffer.from(after)]),
        t.claims(),
      )
    },
    code: 'token_malformed',
  },
]

// ---------------------------------------------------------------------------------------------------
// Duplicate members. JSON.parse keeps the last one (RFC 7519 §4 allows that or rejection); what
// matters is that the signature covers exactly the bytes parsed, so a duplicate can only come from the
// issuer, never be added. Tokens the issuer did sign are checked by the acceptance tests further down.

const duplicates: Attack[] = [
  {
    name: 'header {"alg":"none","alg":<alg>} unsigned',
    token: (t) => forge(`{"alg":"none","alg":"${t.signer.alg}"${kidMember(t)}}`, t.claims()),
    code: 'invalid_signature',
  },
  {
    name: 'header {"alg":<alg>,"alg":"none"} unsigned',
    token: (t) => forge(`{"alg":"${t.signer.alg}","alg":"none"${kidMember(t)}}`, t.claims()),
    code: { default: 'invalid_signature', JWKS: 'algorithm_not_allowed' },
  },
  {
    name: 'header {"alg":<alg>,"alg":"none"} keeping a genuine signature',
    token: (t) => {
      const genuine = parts(t.token())
      return `${segment(`{"alg":"${t.signer.alg}","alg":"none"${kidMember(t)}}`)}.${genuine[1]}.${genuine[2]}`
    },
    code: 'algorithm_not_allowed',
  },
  {
    name: 'a second sub appended to a genuine payload',
    token: (t) => {
      const [header, payload, signature] = parts(t.token())
      const claims = Buffer.from(payload, 'base64url').toString().replace(/}$/, ',"sub":"admin"}')
      return `${header}.${segment(claims)}.${signature}`
    },
    code: 'invalid_signature',
  },
  {
    name: 'a second sub prepended to a genuine payload',
    token: (t) => {
      const [header, payload, signature] = parts(t.token())
      const claims = Buffer.from(payload, 'base64url').toString().replace(/^{/, '{"sub":"admin",')
      return `${header}.${segment(claims)}.${signature}`
    },
    code: 'invalid_signature',
  },
  {
    name: 'JWKS: {"kid":<genuine>,"kid":"nope"} picks the last kid, as the verifier does',
    token: (t) => legit(t, `{"alg":"${t.signer.alg}","kid":"${t.signer.kid}","kid":"nope"}`, t.claims()),
    code: 'unknown_key',
    only: ['JWKS'],
  },
]
const kidMember = (t: Target) => (t.signer.kid ? `,"kid":"${t.signer.kid}"` : '')

// ---------------------------------------------------------------------------------------------------
// Claim type confusion, in tokens the legitimate key signed (JWT_ISSUER and JWT_AUDIENCE are set)

type ClaimCase = [string, Record<string, unknown> | ((t: Target) => string), Code]
const without = (t: Target, claim: string) => {
  const claims = t.claims()
  delete claims[claim]
  return claims
}
const CLAIM_CASES: ClaimCase[] = [
  ['iss as an array holding the issuer', { iss: [ISSUER] }, 'invalid_issuer'],
  [
    'iss as an array holding the issuer and another',
    { iss: [ISSUER, 'https://evil.example'] },
    'invalid_issuer',
  ],
  ['another issuer', { iss: 'https://evil.example' }, 'invalid_issuer'],
  ['the issuer with a trailing slash', { iss: `${ISSUER}/` }, 'invalid_issuer'],
  ['the issuer in capitals', { iss: ISSUER.toUpperCase() }, 'invalid_issuer'],
  ['iss as a number', { iss: 1 }, 'invalid_issuer'],
  ['iss null', { iss: null }, 'invalid_issuer'],
  ['iss as an object', { iss: { $ne: null } }, 'invalid_issuer'],
  ['no iss', (t) => JSON.stringify(without(t, 'iss')), 'claim_missing'],
  ['no aud', (t) => JSON.stringify(without(t, 'aud')), 'claim_missing'],
  ['another audience', { aud: 'other-app' }, 'invalid_audience'],
  ['an array of other audiences', { aud: ['other-app', 'admin'] }, 'invalid_audience'],
  ['an empty audience array', { aud: [] }, 'invalid_audience'],
  ['aud as a number', { aud: 7 }, 'invalid_audience'],
  ['aud null', { aud: null }, 'invalid_audience'],
  ['the audience in capitals', { aud: AUDIENCE.toUpperCase() }, 'invalid_audience'],
  ['no exp', (t) => JSON.stringify(without(t, 'exp')), 'claim_missing'],
  ['exp as a string', (t) => JSON.stringify(t.claims({ exp: String(now() + 300) })), 'claim_invalid'],
  ['exp null', { exp: null }, 'claim_invalid'],
  ['exp true', { exp: true }, 'claim_invalid'],
  ['exp as an array', (t) => JSON.stringify(t.claims({ exp: [now() + 300] })), 'claim_invalid'],
  ['exp as an object', { exp: {} }, 'claim_invalid'],
  ['exp negative', { exp: -1 }, 'token_expired'],
  ['exp zero', { exp: 0 }, 'token_expired'],
  ['exp an hour ago', (t) => JSON.stringify(t.claims({ exp: now() - 3600 })), 'token_expired'],
  ['exp hugely negative', { exp: -1e300 }, 'invalid_token'],
  [
    'exp beyond double range (Infinity)',
    (t) => JSON.stringify(t.claims()).replace(/"exp":\d+/, '"exp":1e400'),
    'claim_invalid',
  ],
  ['nbf as a string', (t) => JSON.stringify(t.claims({ nbf: String(now()) })), 'claim_invalid'],
  ['nbf null', { nbf: null }, 'claim_invalid'],
  ['nbf an hour ahead', (t) => JSON.stringify(t.claims({ nbf: now() + 3600 })), 'token_not_yet_valid'],
  // fast-jwt cannot even format such a date for its message: a plain invalid_token.
  ['nbf huge', { nbf: 1e300 }, 'invalid_token'],
  [
    'nbf beyond double range (Infinity)',
    (t) => JSON.stringify(t.claims()).replace(/}$/, ',"nbf":1e400}'),
    'invalid_token',
  ],
  ['iat as a string', { iat: 'yesterday' }, 'claim_invalid'],
  ['iat an hour ahead', (t) => JSON.stringify(t.claims({ iat: now() + 3600 })), 'token_not_yet_valid'],
  [
    'iat beyond double range (Infinity)',
    (t) => JSON.stringify(t.claims()).replace(/"iat":\d+/, '"iat":1e400'),
    'claim_invalid',
  ],
]

const claimConfusion: Attack[] = CLAIM_CASES.map(([name, claims, code]): Attack => ({
  name: `${name}, signed by the legitimate key`,
  token: (t) => legit(t, t.header(), typeof claims === 'function' ? claims(t) : t.claims(claims)),
  code,
}))

// ---------------------------------------------------------------------------------------------------
// Signatures from other keys and algorithms

/** P-256's group order: (r, s) = (n, n) is as invalid as (0, 0). */
const P256_ORDER = Buffer.from('ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551', 'hex')
const SIGNATURE_LENGTH: Record<string, number> = { HS256: 32, RS256: 256, ES256: 64 }

const otherSignatures: Attack[] = [
  ...(
    [
      ['RS256', attacker.rsa],
      ['PS256', attacker.rsa],
      ['RS512', attacker.rsa],
      ['ES256', attacker.ec],
      ['ES384', attacker.ec384],
      ['EdDSA', attacker.ed],
      ['HS256', attacker.hs],
    ] as const
  ).map(([alg, key]): Attack => ({
    name: `${alg} by an attacker's key`,
    token: (t) => signedBy(key, t.header({ alg }), t.claims({ sub: 'admin' }), alg),
    code: {
      default: 'algorithm_not_allowed',
      ...(alg === 'HS256' ? { HS256: 'invalid_signature' } : {}),
      ...(alg === 'RS256' ? { 'RSA-PEM': 'invalid_signature', JWKS: 'invalid_signature' } : {}),
      ...(alg === 'ES256' ? { 'EC-PEM': 'invalid_signature' } : {}),
    },
  })),
  {
    name: "ES256 by an attacker's key, naming the provider's EC key",
    token: (t) => signedBy(attacker.ec, t.header({ alg: 'ES256', kid: 'ec-1' }), t.claims({ sub: 'admin' })),
    code: 'invalid_signature',
    only: ['JWKS'],
  },
  {
    name: "the provider's RSA key signing for its EC key's kid",
    token: (t) => legit(t, t.header({ kid: 'ec-1' }), t.claims()),
    code: 'algorithm_not_allowed',
    only: ['JWKS'],
  },
  {
    name: 'PS256 by the legitimate RSA key (the key is pinned to RS256)',
    token: (t) => signedBy(t.signer, t.header({ alg: 'PS256' }), t.claims(), 'PS256'),
    code: 'algorithm_not_allowed',
    only: ['RSA-PEM', 'JWKS'],
  },
  {
    name: 'RS512 by the legitimate RSA key',
    token: (t) => signedBy(t.signer, t.header({ alg: 'RS512' }), t.claims(), 'RS512'),
    code: 'algorithm_not_allowed',
    only: ['RSA-PEM', 'JWKS'],
  },
  {
    name: 'HS256 keyed with the inbox secret',
    token: (t) => hmacToken(INBOX_SECRET, t.header({ alg: 'HS256' }), t.claims({ sub: 'admin' })),
    code: { default: 'algorithm_not_allowed', HS256: 'invalid_signature' },
  },
  {
    name: 'HS256 keyed with the service key',
    token: (t) => hmacToken(SERVICE_KEY, t.header({ alg: 'HS256' }), t.claims({ sub: 'admin' })),
    code: { default: 'algorithm_not_allowed', HS256: 'invalid_signature' },
  },
  {
    name: 'HS256 keyed with the JWT secret plus a newline',
    token: (t) => hmacToken(`${t.signer.secret}\n`, t.header(), t.claims({ sub: 'admin' })),
    code: 'invalid_signature',
    only: ['HS256'],
  },
  {
    name: 'ES256 with an all-zero signature (r = s = 0)',
    token: (t) =>
      forge(t.header({ alg: 'ES256', ...ecKid(t) }), t.claims({ sub: 'admin' }), Buffer.alloc(64)),
    code: { default: 'algorithm_not_allowed', 'EC-PEM': 'invalid_signature', JWKS: 'invalid_signature' },
  },
  {
    name: 'ES256 with r = s = the group order',
    token: (t) =>
      forge(
        t.header({ alg: 'ES256', ...ecKid(t) }),
        t.claims({ sub: 'admin' }),
        Buffer.concat([P256_ORDER, P256_ORDER]),
      ),
    code: { default: 'algorithm_not_allowed', 'EC-PEM': 'invalid_signature', JWKS: 'invalid_signature' },
  },
  ...[63, 65, 0x48].map((length): Attack => ({
    name: `ES256 with a signature of ${length} bytes`,
    token: (t) =>
      forge(t.header({ alg: 'ES256', ...ecKid(t) }), t.claims({ sub: 'admin' }), randomBytes(length)),
    code: { default: 'algorithm_not_allowed', 'EC-PEM': 'invalid_signature', JWKS: 'invalid_signature' },
  })),
  {
    name: 'a DER-encoded ES256 signature by the legitimate key (JWS wants r || s)',
    token: (t) => {
      const input = `${segment(t.header())}.${segment(t.claims())}`
      // node:crypto's default ECDSA encoding is DER.
      return `${input}.${base64url(cryptoSign('sha256', Buffer.from(input), t.signer.privateKey as KeyObject))}`
    },
    code: 'invalid_signature',
    only: ['EC-PEM'],
  },
  {
    name: 'RS256 with an all-zero signature',
    token: (t) => forge(t.header({ alg: 'RS256' }), t.claims({ sub: 'admin' }), Buffer.alloc(256)),
    code: { default: 'algorithm_not_allowed', 'RSA-PEM': 'invalid_signature', JWKS: 'invalid_signature' },
  },
  {
    name: 'random bytes of the right signature length',
    token: (t) =>
      forge(t.header(), t.claims({ sub: 'admin' }), randomBytes(SIGNATURE_LENGTH[t.signer.alg] ?? 64)),
    code: 'invalid_signature',
  },
  {
    name: 'a genuine signature with one bit flipped',
    token: (t) => {
      const [header, payload, signature] = parts(t.token())
      const bytes = Buffer.from(signature, 'base64url')
      bytes[0] = (bytes[0] as number) ^ 1
      return `${header}.${payload}.${base64url(bytes)}`
    },
    code: 'invalid_signature',
  },
  {
    name: "a genuine signature moved onto another user's claims",
    token: (t) => {
      const signature = parts(t.token())[2]
      return `${segment(t.header())}.${segment(t.claims({ sub: 'admin' }))}.${signature}`
    },
    code: 'invalid_signature',
  },
]
const ecKid = (t: Target) => (t.kind === 'JWKS' ? { kid: 'ec-1' } : {})

// ---------------------------------------------------------------------------------------------------
// Malformed compact serialisation

const randomSegment = (bytes: number) => base64url(randomBytes(bytes))
const JWE_HEADERS: [string, Record<string, unknown>][] = [
  [
    'PBES2 with p2c of two billion',
    { alg: 'PBES2-HS256+A128KW', enc: 'A128GCM', p2c: 2_000_000_000, p2s: randomSegment(16) },
  ],
  ['RSA-OAEP-256', { alg: 'RSA-OAEP-256', enc: 'A256GCM' }],
  ['dir', { alg: 'dir', enc: 'A128CBC-HS256' }],
  ['ECDH-ES', { alg: 'ECDH-ES', enc: 'A256GCM', epk: { kty: 'EC', crv: 'P-256', x: 'AA', y: 'AA' } }],
]
/** A run of one byte value: at least one aligned triple, so standard base64 shows its + and /. */
const NEEDS_PLUS_AND_SLASH = { note: `${'>'.repeat(6)}${'?'.repeat(6)}` }

const compact: Attack[] = [
  ...JWE_HEADERS.map(([name, header]): Attack => ({
    name: `a JWE (five segments), ${name}`,
    token: (t) =>
      [
        segment({ ...header, ...(t.signer.kid ? { kid: t.signer.kid } : {}) }),
        ...[32, 12, 64, 16].map(randomSegment),
      ].join('.'),
    code: 'token_malformed',
  })),
  {
    name: 'a JWS claiming PBES2 with p2c of two billion',
    token: (t) =>
      forge(
        t.header({ alg: 'PBES2-HS256+A128KW', p2c: 2_000_000_000, p2s: randomSegment(16) }),
        t.claims(),
        randomSegment(32),
      ),
    code: 'algorithm_not_allowed',
  },
  { name: 'one segment', token: (t) => parts(t.token())[0], code: 'token_malformed' },
  { name: 'two segments', token: (t) => parts(t.token()).slice(0, 2).join('.'), code: 'token_malformed' },
  { name: 'four segments', token: (t) => `${t.token()}.${randomSegment(32)}`, code: 'token_malformed' },
  { name: 'a genuine token and a trailing dot', token: (t) => `${t.token()}.`, code: 'token_malformed' },
  { name: 'a dot and a genuine token', token: (t) => `.${t.token()}`, code: 'token_malformed' },
  { name: 'only dots', token: () => '..', code: 'token_malformed' },
  { name: 'four dots', token: () => '....', code: 'token_malformed' },
  {
    name: 'a genuine payload in standard base64 (+ and /)',
    token: (t) => {
      const [header, payload, signature] = parts(t.token(t.claims(NEEDS_PLUS_AND_SLASH)))
      const standard = Buffer.from(payload, 'base64url').toString('base64').replace(/=+$/, '')
      expect(standard).toMatch(/[+/]/)
      return `${header}.${standard}.${signature}`
    },
    code: 'token_malformed',
  },
  {
    name: 'a genuine signature in standard base64, padded',
    token: (t) => {
      const [header, payload, signature] = parts(t.token())
      return `${header}.${payload}.${Buffer.from(signature, 'base64url').toString('base64')}`
    },
    code: 'invalid_signature',
  },
  {
    name: 'a genuine token with base64 padding appended',
    token: (t) => `${t.token()}==`,
    code: 'invalid_signature',
  },
  {
    name: 'a token of 8193 characters',
    token: () => 'a'.repeat(8193),
    code: 'token_too_large',
  },
  {
    name: 'a genuine token padded past 8192 characters',
    token: (t) => t.token(t.claims({ pad: 'x'.repeat(8192) })),
    code: 'token_too_large',
  },
  {
    name: 'a token of 12 KiB',
    token: () => `${'a'.repeat(4096)}.${'b'.repeat(4096)}.${'c'.repeat(4096)}`,
    code: 'token_too_large',
  },
]

const CATALOGUE: [string, Attack[]][] = [
  ['alg none', algNone],
  ['algorithm confusion', algConfusion],
  ['smuggled keys', smuggled],
  ['kid abuse', kidAbuse],
  ['crit', critAttacks],
  ['not a JSON object', notObjects],
  ['duplicate members', duplicates],
  ['claim type confusion', claimConfusion],
  ['other keys and algorithms', otherSignatures],
  ['compact serialisation', compact],
]

// ---------------------------------------------------------------------------------------------------
// The Authorization header itself (and the cookie next to it)

type HeaderCase = [string, (t: Target) => string, Code]
const HEADER_CASES: HeaderCase[] = [
  ['Basic credentials', () => 'Basic dXNlcjpwYXNzd29yZA==', 'invalid_authorization'],
  ['the Token scheme', (t) => `Token ${t.token()}`, 'invalid_authorization'],
  ['the JWT scheme', (t) => `JWT ${t.token()}`, 'invalid_authorization'],
  ['the DPoP scheme', (t) => `DPoP ${t.token()}`, 'invalid_authorization'],
  ['a token without a scheme', (t) => t.token(), 'invalid_authorization'],
  ['Bearer alone', () => 'Bearer', 'invalid_authorization'],
  ['Bearer and spaces', () => 'Bearer    ', 'invalid_authorization'],
  ['an empty header', () => '', 'invalid_authorization'],
  ['two tokens', (t) => `Bearer ${t.token()} ${t.token()}`, 'invalid_authorization'],
  ['two tokens and a comma', (t) => `Bearer ${t.token()},${t.token()}`, 'invalid_authorization'],
  [
    'two Bearer credentials in one header',
    (t) => `Bearer ${t.token()}, Bearer ${t.token()}`,
    'invalid_authorization',
  ],
  ['Bearer= and a token', (t) => `Bearer=${t.token()}`, 'invalid_authorization'],
  ['Bearer: and a token', (t) => `Bearer:${t.token()}`, 'invalid_authorization'],
  ['a tab after the scheme', (t) => `Bearer\t${t.token()}`, 'invalid_authorization'],
  ['a quoted token', (t) => `Bearer "${t.token()}"`, 'invalid_authorization'],
  ['the scheme twice', (t) => `Bearer Bearer ${t.token()}`, 'invalid_authorization'],
  ['a space inside the token', (t) => `Bearer ${t.token().replace('.', '. ')}`, 'invalid_authorization'],
  ['a tab inside the token', (t) => `Bearer ${t.token().replace('.', '\t.')}`, 'invalid_authorization'],
  [
    'a padded header segment',
    (t) => {
      const [header, payload, signature] = parts(t.token())
      return `Bearer ${header}=.${payload}.${signature}`
    },
    'invalid_authorization',
  ],
  ['a header of 12 KiB', () => `Bearer ${'a'.repeat(12 * 1024)}`, 'token_too_large'],
]

// ---------------------------------------------------------------------------------------------------
// The runner

const verifyBody = JSON.stringify({
  identifier: 'user-1',
  identifier_hash: referenceHash(INBOX_SECRET, 'user-1'),
})

interface Answer {
  status: number
  headers: Record<string, string>
  body: string
}
async function answer(response: Promise<Response>): Promise<Answer> {
  const res = await response
  return { status: res.status, headers: Object.fromEntries(res.headers), body: await res.text() }
}
const identity = (t: Target, headers: Record<string, string>) =>
  answer(fetch(`${t.url}/v1/identity`, { headers }))
const verify = (t: Target, headers: Record<string, string>) =>
  answer(
    fetch(`${t.url}/v1/identity/verify`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: verifyBody,
    }),
  )

/** RFC 6265 cookie-octets: what a browser could send as the cookie's value. */
const COOKIE_SAFE = /^[\x21\x23-\x2b\x2d-\x3a\x3c-\x5b\x5d-\x7e]+$/

/** 401 problem+json with this code, quickly, the token and the secrets not echoed. */
function expectRefused(answer: Answer, code: Code, sent: string, t: Target) {
  expectProblem(answer, 401, code)
  expect(answer.headers['www-authenticate']).toBe('Bearer realm="chatwoot-identity", error="invalid_token"')
  expect(answer.headers['cache-control']).toBe('no-store')
  if (sent.length >= 8) expect(answer.body).not.toContain(sent)
  for (const secret of t.secrets) expect(answer.body).not.toContain(secret)
}

beforeAll(async () => {
  await listener.start()
  // The listener has to see a connection for the zero it reports later to mean anything.
  await rawRequest(listener.url, 'GET / HTTP/1.1\r\n\r\n')
  expect(listener.connections).toBe(1)
  listener.connections = 0
})
afterAll(() => listener.stop())

describe.each(KINDS)('%s: forged and malformed tokens', (kind) => {
  let t: Target
  let jwksRequestsAtStart = 0
  const sent = new Set<string>()

  beforeAll(async () => {
    t = await startTarget(kind)
    jwksRequestsAtStart = t.jwks?.requests ?? 0
  })
  afterAll(async () => {
    await t?.stop()
  })

  /** Sends the token as a bearer on both routes, and as the cookie when a browser could. */
  async function expectTokenRefused(token: string, code: Code) {
    sent.add(token)
    const started = Date.now()
    const answers = await Promise.all([
      identity(t, { authorization: `Bearer ${token}` }),
      verify(t, { authorization: `Bearer ${token}` }),
      ...(COOKIE_SAFE.test(token) ? [identity(t, { cookie: `${COOKIE}=${token}` })] : []),
    ])
    expect(Date.now() - started).toBeLessThan(2000)
    for (const answer of answers) expectRefused(answer, code, token, t)
  }

  it('accepts the genuine token (the control for every refusal below)', async () => {
    const token = t.token()
    const expected = {
      inbox: 'website',
      identifier: 'user-1',
      identifier_hash: referenceHash(INBOX_SECRET, 'user-1'),
    }
    const viaHeader = await identity(t, { authorization: `Bearer ${token}` })
    expect(viaHeader.status, viaHeader.body).toBe(200)
    expect(JSON.parse(viaHeader.body)).toEqual(expected)
    expect(JSON.parse((await identity(t, { cookie: `${COOKIE}=${token}` })).body)).toEqual(expected)
    expect(JSON.parse((await verify(t, { authorization: `Bearer ${token}` })).body)).toEqual({ valid: true })
  })

  for (const [family, attacks] of CATALOGUE) {
    const applicable = attacks.filter((attack) => !attack.only || attack.only.includes(kind))
    it.each(applicable.map((attack) => [attack.name, attack] as const))(
      `${family}: %s`,
      async (_name, attack) => {
        const tokens = [await attack.token(t)].flat()
        expect(tokens.length).toBeGreaterThan(0)
        for (const token of tokens) await expectTokenRefused(token, codeFor(attack.code, kind))
      },
    )
  }

  it.each(HEADER_CASES)('Authorization: %s', async (_name, header, code) => {
    const value = header(t)
    sent.add(value)
    const answers = await Promise.all([
      identity(t, { authorization: value }),
      verify(t, { authorization: value }),
    ])
    for (const answer of answers) expectRefused(answer, code, value, t)
  })

  it('the header alone counts when both it and the cookie are sent', async () => {
    const genuine = t.token()
    const forged = signedBy(attackerFor(t), t.header(), t.claims({ sub: 'admin' }))
    sent.add(forged)
    const cases: [Record<string, string>, number, Code?][] = [
      [{ authorization: 'Basic dXNlcjpwYXNz', cookie: `${COOKIE}=${genuine}` }, 401, 'invalid_authorization'],
      [{ authorization: `Bearer ${forged}`, cookie: `${COOKIE}=${genuine}` }, 401, 'invalid_signature'],
      [{ authorization: '', cookie: `${COOKIE}=${genuine}` }, 401, 'invalid_authorization'],
      [{ authorization: `Bearer ${genuine}`, cookie: `${COOKIE}=${forged}` }, 200],
      [{ cookie: `${COOKIE}=${forged}` }, 401, 'invalid_signature'],
      // Two cookies of that name: the first one counts, as the cookie parser returns it.
      [{ cookie: `${COOKIE}=${forged}; ${COOKIE}=${genuine}` }, 401, 'invalid_signature'],
      [{ cookie: `other=${genuine}` }, 401, 'missing_token'],
    ]
    for (const [headers, status, code] of cases) {
      const response = await identity(t, headers)
      if (status === 200) expect(response.status, response.body).toBe(200)
      else expectProblem(response, status, code)
    }
  })

  it('a service key counts only in the Authorization header, on the verify route', async () => {
    expect(JSON.parse((await verify(t, { authorization: `Bearer ${SERVICE_KEY}` })).body)).toEqual({
      valid: true,
    })
    expectRefused(
      await identity(t, { authorization: `Bearer ${SERVICE_KEY}` }),
      'token_malformed',
      SERVICE_KEY,
      t,
    )
    expectRefused(await verify(t, { cookie: `${COOKIE}=${SERVICE_KEY}` }), 'token_malformed', SERVICE_KEY, t)
    expectRefused(
      await verify(t, { authorization: `Bearer ${SERVICE_KEY}x` }),
      'token_malformed',
      SERVICE_KEY,
      t,
    )
  })

  it('two Authorization headers are refused, whichever comes first', async () => {
    const genuine = t.token()
    for (const pair of [
      [genuine, 'garbage'],
      ['garbage', genuine],
      [genuine, genuine],
    ]) {
      const request = httpRequest(
        'GET',
        '/v1/identity',
        pair.map((token) => ['Authorization', `Bearer ${token}`]),
      )
      const response = await rawRequest(t.url, request)
      expectRefused(response, 'invalid_authorization', genuine, t)
    }
  })

  it('a token of 100 KB is refused before the app (431), in the header and in the cookie', async () => {
    const huge = `${'a'.repeat(50_000)}.${'b'.repeat(50_000)}.c`
    for (const header of [`Authorization: Bearer ${huge}`, `Cookie: ${COOKIE}=${huge}`]) {
      const [name, value] = header.split(': ') as [string, string]
      const response = await rawRequest(t.url, httpRequest('GET', '/v1/identity', [[name, value]]))
      expectProblem(response, 431, 'headers_too_large')
      expect(response.body).not.toContain('aaaaaaaa')
    }
  })

  it('accepts what the issuer did sign: duplicates resolve to the last member, as signed', async () => {
    const alg = t.signer.alg
    // The signature covers these exact bytes, and the service parses these bytes: last member wins.
    const duplicateAlg = legit(t, `{"alg":"none","alg":"${alg}"${kidMember(t)}}`, t.claims())
    expect((await identity(t, { authorization: `Bearer ${duplicateAlg}` })).status).toBe(200)
    const claims = JSON.stringify(t.claims()).replace(/^{"sub":"user-1"/, '{"sub":"victim","sub":"user-2"')
    const duplicateSub = await identity(t, { authorization: `Bearer ${legit(t, t.header(), claims)}` })
    expect(JSON.parse(duplicateSub.body)).toEqual({
      inbox: 'website',
      identifier: 'user-2',
      identifier_hash: referenceHash(INBOX_SECRET, 'user-2'),
    })
    if (t.kind === 'JWKS') {
      const duplicateKid = legit(t, `{"alg":"${alg}","kid":"nope","kid":"${t.signer.kid}"}`, t.claims())
      expect((await identity(t, { authorization: `Bearer ${duplicateKid}` })).status).toBe(200)
    }
  })

  it('accepts the boundaries of the rules: a token of exactly 8192 characters, any of several audiences, a far exp, any scheme case', async () => {
    const exact = tokenOfLength(t, 8192)
    expect(exact).toHaveLength(8192)
    expect((await identity(t, { authorization: `Bearer ${exact}` })).status).toBe(200)
    const audiences = t.token(t.claims({ aud: ['other-app', AUDIENCE] }))
    expect((await identity(t, { authorization: `Bearer ${audiences}` })).status).toBe(200)
    // The issuer decides a session's lifetime; the hash outlives it anyway (README, Security model).
    const farFuture = t.token(t.claims({ exp: 95_617_584_000 }))
    expect((await identity(t, { authorization: `Bearer ${farFuture}` })).status).toBe(200)
    for (const scheme of ['bearer', 'BEARER', 'Bearer  ']) {
      expect((await identity(t, { authorization: `${scheme} ${t.token()}` })).status).toBe(200)
    }
  })

  it.each([
    ['an array', ['user-1'], 'identifier_invalid'],
    ['an object', { id: 'user-1' }, 'identifier_invalid'],
    ['a fraction', 1.5, 'identifier_invalid'],
    ['an unsafe integer', 2 ** 53, 'identifier_invalid'],
    ['empty', '', 'identifier_invalid'],
    ['true', true, 'identifier_invalid'],
    ['null', null, 'identifier_missing'],
  ])('a genuine token whose sub is %s: 403 %s, never a hash', async (_name, sub, code) => {
    const response = await identity(t, { authorization: `Bearer ${t.token(t.claims({ sub }))}` })
    expectProblem(response, 403, code)
    expect(response.body).not.toMatch(/[0-9a-f]{64}/)
  })

  it('made no outbound request, stayed healthy, and logged no token, secret or error', async () => {
    expect(listener.connections).toBe(0)
    expect(t.jwks?.requests ?? 0).toBe(jwksRequestsAtStart)
    expect((await fetch(`${t.url}/healthz`)).status).toBe(200)
    expect(t.server.child.exitCode).toBeNull()
    await new Promise((resolve) => setTimeout(resolve, 100)) // let the asynchronous logger flush
    const logs = t.server.lines.join('\n')
    for (const value of [...t.secrets]) expect(logs).not.toContain(value)
    for (const token of sent)
      if (token.length >= 16) expect(logs.includes(token), token.slice(0, 40)).toBe(false)
    const errors = t.server.lines.filter((line) => /"level":"(error|fatal)"|"level":(50|60)/.test(line))
    expect(errors).toEqual([])
  })
})

/** A token of the legitimate signer of exactly `length` characters (a `pad` claim makes up the rest). */
function tokenOfLength(t: Target, length: number): string {
  for (let extra = 0; extra < 4; extra++) {
    const header = t.header({ x: 'x'.repeat(extra) })
    const bare = t.token(t.claims({ pad: '' }), header)
    const [headerSegment, payload, signature] = parts(bare)
    const payloadLength = length - headerSegment.length - signature.length - 2
    // base64url of n bytes has floor((4n + 2) / 3) characters: every length but 1 mod 4.
    if (payloadLength % 4 === 1) continue
    const bytes = Math.floor((payloadLength * 3) / 4)
    const padding = bytes - Buffer.from(payload, 'base64url').length
    return t.token(t.claims({ pad: 'x'.repeat(padding) }), header)
  }
  throw new Error(`no token of ${length} characters`)
}
