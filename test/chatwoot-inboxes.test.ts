import { describe, expect, it } from 'vitest'
import { chatwootInboxSecrets } from '../src/chatwoot.js'
import { FetchError } from '../src/fetch-json.js'
import { fixtureInboxes } from './helpers/chatwoot-server.js'

// From Chatwoot's inbox list answer to inbox secrets: pure, on the fixture's shape.

const outcome = (document: unknown) => {
  try {
    chatwootInboxSecrets(document)
  } catch (error) {
    expect(error).toBeInstanceOf(FetchError)
    return (error as FetchError).outcome
  }
  throw new Error('expected a FetchError')
}

describe('chatwootInboxSecrets', () => {
  it('takes web-widget and API inboxes with their secret and aliases, and nothing else', () => {
    const { inboxes, notes } = chatwootInboxSecrets({ payload: fixtureInboxes() })
    expect([...inboxes.values()]).toEqual([
      {
        name: 'acme_website',
        secret: 'rRJW1BHu4aFMMey4SE7tWr8A',
        origin: 'Chatwoot inbox 1 "Acme Website"',
        aliases: ['1', 'QsmYWWLdrYYXfVq6nRvD3dPT'],
      },
      {
        name: 'mobile_app',
        secret: '9hKzq3XbXWd5Gm1RtYpLcNvA',
        origin: 'Chatwoot inbox 2 "Mobile App"',
        aliases: ['2', 'HkZ2bJ7sUQx1n8WrT5cV4mPd'],
      },
    ])
    // An email inbox is expected, not worth a note.
    expect(notes).toEqual([])
  })

  it('gives a contested canonical name to the older inbox and notes the other', () => {
    const [acme] = fixtureInboxes()
    const { inboxes, notes } = chatwootInboxSecrets({
      payload: [{ ...acme, id: 9, name: 'ACME - Website', hmac_token: 'newer' }, acme],
    })
    expect(inboxes.get('acme_website')?.secret).toBe('rRJW1BHu4aFMMey4SE7tWr8A')
    expect(inboxes.size).toBe(1)
    expect(notes).toEqual([
      'Chatwoot inbox 9 "ACME - Website": same canonical name "acme_website" as Chatwoot inbox 1 "Acme Website", left out (rename one)',
    ])
  })

  it('notes unknown channel types, unusable names, odd entries and inboxes without hmac_token', () => {
    const [acme, mobile] = fixtureInboxes()
    const { inboxes, notes } = chatwootInboxSecrets({
      payload: [
        acme,
        { ...mobile, hmac_token: null },
        { id: 5, name: 'Pager', channel_type: 'Channel::Carrier', hmac_token: 'x' },
        { ...acme, id: 6, name: '¡¿', hmac_token: 'y' },
        { id: 'seven', name: 'Odd' },
      ],
    })
    expect([...inboxes.keys()]).toEqual(['acme_website'])
    expect(notes).toEqual([
      'an inbox entry of unexpected shape was left out',
      'Chatwoot inbox 2 "Mobile App": no hmac_token, left out',
      'Chatwoot inbox 5 "Pager": unknown channel type Channel::Carrier, left out',
      'Chatwoot inbox 6 "¡¿": inbox name "_" is not usable (1 to 64 characters of [a-z0-9_]), left out (rename it in Chatwoot)',
    ])
  })

  it('keeps only aliases a client can send', () => {
    const [acme] = fixtureInboxes()
    const { inboxes } = chatwootInboxSecrets({ payload: [{ ...acme, website_token: 'has space' }] })
    expect(inboxes.get('acme_website')?.aliases).toEqual(['1'])
  })

  it("refuses an answer without any hmac_token (an agent's token), and one that is not an inbox list", () => {
    const stripped = fixtureInboxes().map(({ hmac_token: _, ...rest }) => rest)
    expect(outcome({ payload: stripped })).toBe('forbidden')
    expect(outcome({ data: [] })).toBe('invalid')
    expect(outcome([])).toBe('invalid')
    expect(outcome(null)).toBe('invalid')
  })

  it('takes an account without web-widget or API inboxes as empty', () => {
    const email = fixtureInboxes()[2]
    expect(chatwootInboxSecrets({ payload: [email] }).inboxes.size).toBe(0)
  })
})
