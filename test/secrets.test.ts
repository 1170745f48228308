import { describe, expect, it } from 'vitest'
import { identifierHash } from '../src/identity.js'
import { Problem } from '../src/problems.js'
import { canonicalInboxName, type InboxSecret, InboxStore, overlayInboxSecrets } from '../src/secrets.js'
import { referenceHash } from './helpers/reference.js'

const secrets = (...entries: [string, string][]) =>
  new Map<string, InboxSecret>(entries.map(([name, secret]) => [name, { name, secret, origin: 'test' }]))

const problemCode = (fn: () => unknown) => {
  try {
    fn()
  } catch (error) {
    expect(error).toBeInstanceOf(Problem)
    return (error as Problem).code
  }
  throw new Error('expected a Problem')
}

describe('canonicalInboxName', () => {
  it.each([
    ['MOBILE_APP', 'mobile_app'],
    ['Acme Website', 'acme_website'],
    ['Acme  --  Website', 'acme_website'],
    ['support-2', 'support_2'],
    ['Ünïcode Shop', '_n_code_shop'],
    ['website', 'website'],
  ])('%j -> %j', (name, canonical) => {
    expect(canonicalInboxName(name)).toBe(canonical)
  })
})

describe('InboxStore.resolve', () => {
  const one = new InboxStore(secrets(['website', 'a']))
  const two = new InboxStore(secrets(['website', 'a'], ['mobile_app', 'b']))

  it('takes the only inbox when none is named', () => {
    expect(one.resolve(undefined).name).toBe('website')
  })

  it('looks a name up canonically and answers the canonical name', () => {
    expect(two.resolve('Mobile-App').name).toBe('mobile_app')
    expect(two.resolve('MOBILE_APP').name).toBe('mobile_app')
  })

  it('signs with the named inbox secret as key object', () => {
    expect(identifierHash(two.resolve('mobile_app').key, 'u')).toBe(referenceHash('b', 'u'))
  })

  it('refuses a missing name with several inboxes, a malformed name and an unknown one', () => {
    expect(problemCode(() => two.resolve(undefined))).toBe('inbox_required')
    expect(problemCode(() => two.resolve('web site'))).toBe('invalid_inbox')
    expect(problemCode(() => two.resolve('x'.repeat(65)))).toBe('invalid_inbox')
    expect(problemCode(() => two.resolve(''))).toBe('invalid_inbox')
    expect(problemCode(() => two.resolve('nope'))).toBe('inbox_not_found')
  })

  it('is not ready with no inbox at all', () => {
    expect(problemCode(() => new InboxStore().resolve('website'))).toBe('not_ready')
  })

  it('swaps the whole set at once on replace', () => {
    const store = new InboxStore(secrets(['website', 'a']))
    store.replace(secrets(['shop', 'c']))
    expect(store.names()).toEqual(['shop'])
    expect(problemCode(() => store.resolve('website'))).toBe('inbox_not_found')
  })
})

const chatwootInbox = (name: string, secret: string, ...aliases: string[]): [string, InboxSecret] => [
  name,
  { name, secret, origin: `Chatwoot "${name}"`, aliases },
]

describe('InboxStore aliases', () => {
  const store = new InboxStore(
    new Map([
      chatwootInbox('website', 'a', '17', 'TokenAbc'),
      ['shop', { name: 'shop', secret: 'b', origin: 'env' }],
    ]),
  )

  it('finds an inbox by an exact alias and answers its canonical name', () => {
    expect(store.resolve('17').name).toBe('website')
    expect(store.resolve('TokenAbc').name).toBe('website')
    expect(identifierHash(store.resolve('TokenAbc').key, 'u')).toBe(referenceHash('a', 'u'))
  })

  it('matches aliases case-sensitively', () => {
    expect(problemCode(() => store.resolve('tokenabc'))).toBe('inbox_not_found')
  })
})

describe('InboxStore while a source has not loaded', () => {
  const pending = new InboxStore(secrets(['website', 'a']), false)

  it('serves the inboxes it has', () => {
    expect(pending.resolve('website').name).toBe('website')
  })

  it('answers not_ready, not a 404 or "the only inbox", for what may still come', () => {
    expect(problemCode(() => pending.resolve('shop'))).toBe('not_ready')
    expect(problemCode(() => pending.resolve(undefined))).toBe('not_ready')
    pending.replace(secrets(['website', 'a']), true)
    expect(problemCode(() => pending.resolve('shop'))).toBe('inbox_not_found')
    expect(pending.resolve(undefined).name).toBe('website')
  })
})

describe('overlayInboxSecrets', () => {
  it("lets a local inbox take the place of Chatwoot's, keeping its aliases, and notes it", () => {
    const local = secrets(['website', 'env-secret'])
    const { merged, notes } = overlayInboxSecrets(
      local,
      new Map([chatwootInbox('website', 'cw', '4', 'Tok4'), chatwootInbox('shop', 'cw2', '5')]),
    )
    expect(merged.get('website')).toEqual({
      name: 'website',
      secret: 'env-secret',
      origin: 'test',
      aliases: ['4', 'Tok4'],
    })
    expect(merged.get('shop')?.secret).toBe('cw2')
    expect(notes).toEqual(['inbox "website": test takes precedence over Chatwoot "website"'])
  })

  it('counts "exactly one inbox" after merging', () => {
    const { merged } = overlayInboxSecrets(
      secrets(['website', 'env']),
      new Map([chatwootInbox('website', 'cw', '4')]),
    )
    expect(new InboxStore(merged).resolve(undefined).name).toBe('website')
  })

  it("leaves out an alias that is another inbox's name or belongs to several inboxes", () => {
    const { merged, notes } = overlayInboxSecrets(
      secrets(['7', 'env']),
      new Map([chatwootInbox('web', 'a', '7', 'Same', 'Web'), chatwootInbox('shop', 'b', '8', 'Same')]),
    )
    expect(merged.get('web')?.aliases).toEqual(['Web'])
    expect(merged.get('shop')?.aliases).toEqual(['8'])
    expect(notes).toEqual([
      'inbox "web": alias "7" is the name of inbox "7", left out',
      'inbox "web": alias "Same" belongs to several inboxes, left out',
      'inbox "shop": alias "Same" belongs to several inboxes, left out',
    ])
  })
})
