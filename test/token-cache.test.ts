import { describe, expect, it } from 'vitest'
import { VerifiedTokenCache } from '../src/token-cache.js'

describe('VerifiedTokenCache', () => {
  const now = 1_800_000_000_000
  const claims = (expSeconds: number) => ({ sub: 'u', exp: expSeconds })

  it('answers a token it verified, by the whole token string', () => {
    const cache = new VerifiedTokenCache(10, 30_000)
    cache.set('a.b.c', claims(now / 1000 + 60), now, 0)
    expect(cache.get('a.b.c', now + 1000, 0)).toEqual(claims(now / 1000 + 60))
    expect(cache.get('a.b.d', now + 1000, 0)).toBeUndefined()
    expect(cache.get('a.b.c ', now + 1000, 0)).toBeUndefined()
  })

  it('stops at exp plus the clock tolerance', () => {
    const cache = new VerifiedTokenCache(10, 30_000)
    cache.set('t', claims(now / 1000 + 10), now, 0)
    expect(cache.get('t', now + 10_000 + 30_000, 0)).toBeDefined()
    expect(cache.get('t', now + 10_000 + 30_001, 0)).toBeUndefined()
    expect(cache.size).toBe(0)
  })

  it('stops after its maximum age even for a long-lived token', () => {
    const cache = new VerifiedTokenCache(10, 0, 60_000)
    cache.set('t', claims(now / 1000 + 86_400), now, 0)
    expect(cache.get('t', now + 60_001, 0)).toBeUndefined()
  })

  it('never answers across key-set generations', () => {
    const cache = new VerifiedTokenCache(10, 0)
    cache.set('t', claims(now / 1000 + 60), now, 1)
    expect(cache.get('t', now, 2)).toBeUndefined()
    expect(cache.get('t', now, 1)).toBeUndefined() // dropped on the mismatch
  })

  it('is bounded, dropping the oldest entry first', () => {
    const cache = new VerifiedTokenCache(3, 0)
    for (const token of ['t1', 't2', 't3', 't4']) cache.set(token, claims(now / 1000 + 60), now, 0)
    expect(cache.size).toBe(3)
    expect(cache.get('t1', now, 0)).toBeUndefined()
    expect(cache.get('t4', now, 0)).toBeDefined()
  })
})
