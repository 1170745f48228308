import { normalizeIP } from '@fastify/rate-limit'
import { describe, expect, it } from 'vitest'
import { callerKey } from '../src/rate-limit-key.js'

const caller = (overrides: Partial<Parameters<typeof callerKey>[0]>) =>
  callerKey({ claims: null, serviceKeyId: null, ip: '192.0.2.1', ...overrides }, normalizeIP)

describe('callerKey', () => {
  it('charges a session by issuer and subject, never naming the subject', () => {
    const key = caller({ claims: { sub: 'alice@example.com', iss: 'https://idp' } })
    expect(key).toMatch(/^sub:[A-Za-z0-9_-]{22}$/)
    expect(key).not.toContain('alice')
    expect(caller({ claims: { sub: 'alice@example.com', iss: 'https://idp', jti: 'x' } })).toBe(key)
    expect(caller({ claims: { sub: 'alice@example.com', iss: 'https://other' } })).not.toBe(key)
    expect(caller({ claims: { sub: 'bob', iss: 'https://idp' } })).not.toBe(key)
    // The address does not matter once the subject is known.
    expect(caller({ claims: { sub: 'alice@example.com', iss: 'https://idp' }, ip: '198.51.100.9' })).toBe(key)
  })

  it('takes a numeric subject as its decimal string', () => {
    expect(caller({ claims: { sub: 42 } })).toBe(caller({ claims: { sub: '42' } }))
  })

  it('charges a service key by its id', () => {
    expect(caller({ serviceKeyId: '0123abcd0123abcd' })).toBe('key:0123abcd0123abcd')
  })

  it('falls back to the address without a usable subject', () => {
    expect(caller({})).toBe('ip:192.0.2.1')
    expect(caller({ claims: { sub: '' } })).toBe('ip:192.0.2.1')
    expect(caller({ claims: { sub: { id: 1 } } })).toBe('ip:192.0.2.1')
    expect(caller({ ip: '::ffff:192.0.2.1' })).toBe('ip:192.0.2.1')
  })

  it('groups an IPv6 client by its /64', () => {
    expect(caller({ ip: '2001:db8:1:2::a' })).toBe(caller({ ip: '2001:db8:1:2:ffff::1' }))
    expect(caller({ ip: '2001:db8:1:2::a' })).not.toBe(caller({ ip: '2001:db8:1:3::a' }))
  })
})
