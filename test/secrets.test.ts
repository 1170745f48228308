import { describe, expect, it } from 'vitest'
import { identifierHash } from '../src/identity.js'
import { Problem } from '../src/problems.js'
import { canonicalInboxName, type InboxSecret, InboxStore } from '../src/secrets.js'
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
