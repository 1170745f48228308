import type { KeyObject } from 'node:crypto'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  hmacKey,
  identifierHash,
  lookupClaim,
  normaliseIdentifier,
  profileFromClaims,
  verifyIdentifierHash,
  IdentifierHashMemo,
  matchesIdentifierHash,
  MEMO_MAX_IDENTIFIER_LENGTH,
} from '../src/identity.js'
import { referenceHash, SPEC_VECTOR } from './helpers/reference.js'

describe('identifierHash', () => {
  it('matches the SPEC.md vector byte for byte', () => {
    expect(identifierHash(hmacKey(SPEC_VECTOR.secret), SPEC_VECTOR.identifier)).toBe(SPEC_VECTOR.hash)
  })

  it.each([
    ['plain ASCII', 'user-42'],
    ['Unicode, not normalised (NFC é)', 'caf\u00e9'],
    ['Unicode, not normalised (NFD e + combining acute)', 'cafe\u0301'],
    ['leading and trailing whitespace kept', '  user 42 \t\n'],
    ['emoji (astral plane)', '🙂👩🏽‍💻'],
    ['CJK', '用户-四十二'],
    ['a long identifier', 'x'.repeat(10_000)],
    ['numeric string', '42'],
  ])('hashes %s exactly as the RFC 2104 reference does', (_name, identifier) => {
    const secret = 'inbox-secret-ü'
    const hash = identifierHash(hmacKey(secret), identifier)
    expect(hash).toBe(referenceHash(secret, identifier))
    expect(hash).toMatch(/^[0-9a-f]{64}$/)
  })

  it('gives different hashes for strings that only differ by whitespace or normalisation', () => {
    const key = hmacKey('k')
    expect(identifierHash(key, 'user')).not.toBe(identifierHash(key, ' user'))
    expect(identifierHash(key, 'caf\u00e9')).not.toBe(identifierHash(key, 'cafe\u0301'))
  })

  it('agrees with the reference for arbitrary secrets and identifiers', () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 1, maxLength: 100, unit: 'grapheme' }),
        fc.string({ minLength: 1, unit: 'grapheme' }),
        (secret, identifier) => {
          expect(identifierHash(hmacKey(secret), identifier)).toBe(referenceHash(secret, identifier))
        },
      ),
      { numRuns: 300 },
    )
  })

  it('uses the secret as UTF-8 bytes, never base64-decoded', () => {
    const secret = 'c2VjcmV0' // base64 of "secret"
    expect(identifierHash(hmacKey(secret), 'u')).toBe(referenceHash(secret, 'u'))
    expect(identifierHash(hmacKey(secret), 'u')).not.toBe(referenceHash('secret', 'u'))
  })
})

describe('verifyIdentifierHash', () => {
  const key = hmacKey(SPEC_VECTOR.secret)

  it('accepts the right hash and refuses another identifier', () => {
    expect(verifyIdentifierHash(key, SPEC_VECTOR.identifier, SPEC_VECTOR.hash)).toBe(true)
    expect(verifyIdentifierHash(key, `${SPEC_VECTOR.identifier} `, SPEC_VECTOR.hash)).toBe(false)
    expect(verifyIdentifierHash(hmacKey('other'), SPEC_VECTOR.identifier, SPEC_VECTOR.hash)).toBe(false)
  })

  it.each([
    ['uppercase hex', SPEC_VECTOR.hash.toUpperCase()],
    ['one character short', SPEC_VECTOR.hash.slice(1)],
    ['one character long', `${SPEC_VECTOR.hash}0`],
    ['empty', ''],
    ['with whitespace', ` ${SPEC_VECTOR.hash}`],
    ['non-hex of the right length', 'z'.repeat(64)],
    ['base64 of the digest', Buffer.from(SPEC_VECTOR.hash, 'hex').toString('base64')],
  ])('answers false (never throws) for a hash that is %s', (_name, hash) => {
    expect(verifyIdentifierHash(key, SPEC_VECTOR.identifier, hash)).toBe(false)
  })

  it('never throws for arbitrary strings', () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), (identifier, hash) => {
        expect(typeof verifyIdentifierHash(key, identifier, hash)).toBe('boolean')
      }),
    )
  })
})

describe('matchesIdentifierHash', () => {
  const expected = SPEC_VECTOR.hash

  it.each([
    // U+0130 has the low byte of '0', U+0166 that of 'f': a Latin-1 write would take them for digits.
    [
      'a digit swapped for a character whose low byte is that digit',
      (h: string) => String.fromCharCode(0x100 + h.charCodeAt(0)) + h.slice(1),
    ],
    [
      'a two-byte character first, which pushes the last digit out of the buffer',
      (h: string) => `é${h.slice(1)}`,
    ],
    ['a two-byte character last, which leaves the last byte unwritten', (h: string) => `${h.slice(0, 63)}é`],
    ['a lone surrogate', (h: string) => `${h.slice(0, 63)}\ud800`],
    ['uppercase', (h: string) => h.toUpperCase()],
  ])('is false for the hash with %s', (_name, mutate) => {
    const hash = mutate(expected)
    expect(hash).toHaveLength(64)
    expect(hash).not.toBe(expected)
    expect(matchesIdentifierHash(expected, hash)).toBe(false)
  })

  it('is true exactly when the hash is the expected string, for any character at any place', () => {
    fc.assert(
      fc.property(fc.nat(63), fc.string({ unit: 'binary', minLength: 1, maxLength: 2 }), (at, text) => {
        const hash = `${expected.slice(0, at)}${text}${expected.slice(at + 1)}`.slice(0, 64)
        expect(matchesIdentifierHash(expected, expected)).toBe(true)
        expect(matchesIdentifierHash(expected, hash)).toBe(hash === expected)
      }),
    )
  })
})

describe('IdentifierHashMemo', () => {
  const key = hmacKey('memo-secret')

  it('gives the reference hash, remembered or not, for arbitrary identifiers', () => {
    const memo = new IdentifierHashMemo(50)
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), (identifier) => {
        const expected = referenceHash('memo-secret', identifier)
        expect(memo.hash(key, 'caller', 'website', identifier)).toBe(expected)
        expect(memo.hash(key, 'caller', 'website', identifier)).toBe(expected)
      }),
    )
    expect(memo.size).toBeLessThanOrEqual(50)
  })

  it('keeps one bound over every scope, dropping the oldest, and never remembers a long identifier', () => {
    const memo = new IdentifierHashMemo(3)
    memo.hash(key, 'one', 'website', 'a')
    memo.hash(key, 'two', 'website', 'a')
    memo.hash(key, 'one', 'shop', 'b')
    const has = (caller: string, inbox: string, identifier: string) => memo.has(caller, inbox, identifier)
    expect([has('one', 'website', 'a'), has('two', 'website', 'a'), has('one', 'shop', 'b')]).toEqual([
      true,
      true,
      true,
    ])
    // Scopes are apart: the same identifier elsewhere is not remembered.
    expect([has('one', 'shop', 'a'), has('two', 'shop', 'a'), has('three', 'website', 'a')]).toEqual([
      false,
      false,
      false,
    ])
    memo.hash(key, 'two', 'shop', 'c')
    expect(memo.size).toBe(3)
    expect(has('one', 'website', 'a')).toBe(false)
    expect(has('two', 'shop', 'c')).toBe(true)
    memo.hash(key, 'one', 'website', 'd')
    memo.hash(key, 'one', 'website', 'e')
    expect(memo.size).toBe(3)
    expect([has('two', 'website', 'a'), has('one', 'shop', 'b')]).toEqual([false, false])
    expect([has('two', 'shop', 'c'), has('one', 'website', 'd'), has('one', 'website', 'e')]).toEqual([
      true,
      true,
      true,
    ])
    const long = 'x'.repeat(MEMO_MAX_IDENTIFIER_LENGTH + 1)
    expect(memo.hash(key, 'one', 'website', long)).toBe(referenceHash('memo-secret', long))
    expect(memo.has('one', 'website', long)).toBe(false)
  })

  it('hashes exactly when its rule says so, under any mix of scopes, identifiers, keys and bounds', () => {
    const keys = [hmacKey('memo-secret'), hmacKey('memo-secret-2')]
    const secrets = ['memo-secret', 'memo-secret-2']
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 6 }),
        fc.array(
          fc.tuple(
            fc.constantFrom('a', 'b', 'c'),
            fc.constantFrom('website', 'shop'),
            fc.constantFrom('u1', 'u2', 'u3', 'u4'),
            fc.integer({ min: 0, max: 1 }),
          ),
          { maxLength: 60 },
        ),
        (bound, calls) => {
          let computed = 0
          const memo = new IdentifierHashMemo(bound, (key, identifier) => {
            computed++
            return identifierHash(key, identifier)
          })
          // A model of the rule: the last `bound` distinct (scope, identifier) pairs by first sight, each with
          // the key it was last hashed with; a call is answered from memory exactly when its pair is there
          // with the same key.
          const order: string[] = []
          const keyOf = new Map<string, number>()
          for (const [caller, inbox, identifier, k] of calls) {
            const id = `${caller}/${inbox}/${identifier}`
            const hit = order.includes(id) && keyOf.get(id) === k
            const before = computed
            expect(memo.hash(keys[k] as KeyObject, caller, inbox, identifier)).toBe(
              referenceHash(secrets[k] as string, identifier),
            )
            expect(computed - before).toBe(hit ? 0 : 1)
            if (!order.includes(id)) order.push(id)
            keyOf.set(id, k)
            while (order.length > bound) keyOf.delete(order.shift() as string)
            expect(memo.size).toBe(order.length)
          }
          for (const [caller, inbox, identifier] of calls) {
            const remembered = order.includes(`${caller}/${inbox}/${identifier}`)
            expect(memo.has(caller, inbox, identifier)).toBe(remembered)
          }
        },
      ),
    )
  })

  it('refuses a bound that is not a whole number of entries', () => {
    for (const bound of [2.5, -1, Number.NaN, Number.POSITIVE_INFINITY])
      expect(() => new IdentifierHashMemo(bound)).toThrow(RangeError)
    expect(new IdentifierHashMemo(0).hash(key, 'caller', 'website', 'u')).toBe(
      referenceHash('memo-secret', 'u'),
    )
    expect(new IdentifierHashMemo(0).size).toBe(0)
  })

  it('answers for the key object it is given, never for an earlier one of the same scope', () => {
    const memo = new IdentifierHashMemo(10)
    expect(memo.hash(key, 'caller', 'website', 'u')).toBe(referenceHash('memo-secret', 'u'))
    const reloaded = hmacKey('memo-secret-2')
    expect(memo.hash(reloaded, 'caller', 'website', 'u')).toBe(referenceHash('memo-secret-2', 'u'))
    expect(memo.size).toBe(1)
  })

  it('feeds matchesIdentifierHash the same decision as verifyIdentifierHash', () => {
    const spec = hmacKey(SPEC_VECTOR.secret)
    const memo = new IdentifierHashMemo(10)
    const candidates = (identifier: string) =>
      fc.oneof(
        fc.string(),
        fc.constant(referenceHash(SPEC_VECTOR.secret, identifier)),
        fc.constant(referenceHash(SPEC_VECTOR.secret, identifier).toUpperCase()),
      )
    fc.assert(
      fc.property(
        fc.string().chain((identifier) => fc.tuple(fc.constant(identifier), candidates(identifier))),
        ([identifier, hash]) => {
          expect(matchesIdentifierHash(memo.hash(spec, 's', 'website', identifier), hash)).toBe(
            verifyIdentifierHash(spec, identifier, hash),
          )
        },
      ),
    )
    expect(
      matchesIdentifierHash(memo.hash(spec, 's', 'website', SPEC_VECTOR.identifier), SPEC_VECTOR.hash),
    ).toBe(true)
    // An expected hash of another length never reaches the comparison buffers.
    expect(matchesIdentifierHash(SPEC_VECTOR.hash.slice(0, 63), SPEC_VECTOR.hash)).toBe(false)
  })
})

describe('lookupClaim', () => {
  const claims = {
    sub: 'user-1',
    'user.id': 'exact-key-wins',
    user: { id: 'nested', profile: { email: 'a@b.c' } },
    list: ['a'],
    nil: null,
  }

  it('prefers an exact top-level key, then walks a dotted path', () => {
    expect(lookupClaim(claims, 'sub')).toBe('user-1')
    expect(lookupClaim(claims, 'user.id')).toBe('exact-key-wins')
    expect(lookupClaim(claims, 'user.profile.email')).toBe('a@b.c')
  })

  it('returns undefined for missing paths and never walks into arrays or prototypes', () => {
    expect(lookupClaim(claims, 'missing')).toBeUndefined()
    expect(lookupClaim(claims, 'user.missing.deeper')).toBeUndefined()
    expect(lookupClaim(claims, 'list.0')).toBeUndefined()
    expect(lookupClaim(claims, 'nil.x')).toBeUndefined()
    expect(lookupClaim(claims, '__proto__')).toBeUndefined()
    expect(lookupClaim(claims, 'user.constructor')).toBeUndefined()
    expect(lookupClaim(claims, 'sub.length')).toBeUndefined()
    expect(lookupClaim(claims, 'toString')).toBeUndefined()
  })
})

describe('normaliseIdentifier', () => {
  it.each([
    ['user-42', 'user-42'],
    [' padded ', ' padded '],
    [42, '42'],
    [0, '0'],
    [-7, '-7'],
    [Number.MAX_SAFE_INTEGER, '9007199254740991'],
  ])('takes %j as %j', (value, expected) => {
    expect(normaliseIdentifier(value)).toEqual({ ok: true, identifier: expected })
  })

  it.each([
    [undefined, 'missing'],
    [null, 'missing'],
    ['', 'invalid'],
    [1.5, 'invalid'],
    [Number.MAX_SAFE_INTEGER + 1, 'invalid'],
    [Number.NaN, 'invalid'],
    [true, 'invalid'],
    [{ id: 1 }, 'invalid'],
    [['a'], 'invalid'],
    ['\ud800', 'invalid'],
  ])('refuses %j as %s', (value, reason) => {
    expect(normaliseIdentifier(value)).toMatchObject({ ok: false, reason })
  })
})

describe('profileFromClaims', () => {
  const mapping = [
    ['name', 'name'],
    ['email', 'contact.email'],
    ['avatar_url', 'picture'],
    ['phone_number', 'phone_number'],
  ] as const

  it('takes each configured field from its claim, exact key first, then a dotted path', () => {
    const claims = {
      name: 'Ada Lovelace',
      contact: { email: 'ada@example.com' },
      'contact.email': 'exact@example.com',
      picture: 'https://example.com/ada.png',
      phone_number: '+441234567890',
    }
    expect(profileFromClaims(claims, mapping)).toEqual({
      name: 'Ada Lovelace',
      email: 'exact@example.com',
      avatar_url: 'https://example.com/ada.png',
      phone_number: '+441234567890',
    })
  })

  it('leaves out missing claims and anything but a non-empty, well-formed string', () => {
    const claims = {
      name: 42,
      contact: { email: ['a@example.com'] },
      picture: '',
      phone_number: 'bad\ud800',
    }
    expect(profileFromClaims(claims, mapping)).toEqual({})
    expect(profileFromClaims({ name: { first: 'Ada' } }, mapping)).toEqual({})
  })

  it('includes only the fields that are configured', () => {
    const claims = { name: 'Ada', email: 'ada@example.com' }
    expect(profileFromClaims(claims, [['email', 'email']])).toEqual({ email: 'ada@example.com' })
    expect(profileFromClaims(claims, [])).toEqual({})
  })

  it('never reaches inherited properties', () => {
    expect(profileFromClaims({}, [['name', 'constructor.name']])).toEqual({})
    expect(profileFromClaims({}, [['name', '__proto__']])).toEqual({})
  })
})
