import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { equalStrings, MAX_SECRET_LENGTH, Secret } from '../src/constant-time.js'

// Any UTF-16 code units (NULs and lone surrogates included), up to the longest lengths compared.
const codeUnit = fc.integer({ min: 0, max: 0xffff }).map((code) => String.fromCharCode(code))
const text = (maxLength: number) => fc.string({ unit: codeUnit, maxLength, size: 'max' })

// Strings close to `value`: what a comparison that stops short or ignores lengths would take for it.
const nearMisses = (value: string) =>
  fc.oneof(
    fc.constant(`${value}\u0000`),
    fc.constant(value.slice(0, -1)),
    fc.constant(value.padEnd(MAX_SECRET_LENGTH, '\u0000')),
    fc.tuple(fc.nat(), codeUnit).map(([at, unit]) => {
      const i = value.length === 0 ? 0 : at % value.length
      return `${value.slice(0, i)}${unit}${value.slice(i + 1)}`
    }),
    text(MAX_SECRET_LENGTH + 20),
  )

describe('equalStrings', () => {
  it('is true exactly when the strings are equal', () => {
    fc.assert(
      fc.property(
        text(80).chain((a) => fc.tuple(fc.constant(a), nearMisses(a))),
        ([a, b]) => {
          expect(equalStrings(a, b)).toBe(a === b)
          expect(equalStrings(b, a)).toBe(a === b)
          expect(equalStrings(a, a)).toBe(true)
        },
      ),
    )
  })

  it('tells a prefix, an extension and a one-character change from the string', () => {
    const digest = 'e'.repeat(64)
    for (const other of [
      digest.slice(0, 63),
      `${digest}e`,
      `${digest.slice(0, 63)}E`,
      `${digest.slice(0, 63)}\u0165`,
    ])
      expect(equalStrings(digest, other)).toBe(false)
  })
})

describe('Secret', () => {
  it('matches exactly its own value, for any presented string', () => {
    fc.assert(
      fc.property(
        text(MAX_SECRET_LENGTH).chain((value) => fc.tuple(fc.constant(value), nearMisses(value))),
        ([value, presented]) => {
          const secret = new Secret(value)
          expect(secret.matches(value)).toBe(true)
          expect(secret.matches(presented)).toBe(presented === value)
        },
      ),
    )
  })

  it('is no match for its value with the padding, or cut short, or longer than any secret', () => {
    const value = 's'.repeat(40)
    const secret = new Secret(value)
    for (const presented of [
      `${value}\u0000`,
      value.padEnd(MAX_SECRET_LENGTH, '\u0000'),
      value.padEnd(MAX_SECRET_LENGTH + 1, '\u0000'),
      value.slice(0, 39),
      '',
    ])
      expect(secret.matches(presented)).toBe(false)
    const longest = 'L'.repeat(MAX_SECRET_LENGTH)
    expect(new Secret(longest).matches(longest)).toBe(true)
    expect(new Secret(longest).matches(`${longest}L`)).toBe(false)
    // The empty secret is the empty string only, not the padding.
    expect(new Secret('').matches('')).toBe(true)
    expect(new Secret('').matches('\u0000')).toBe(false)
  })

  it('refuses a value longer than it can hold', () => {
    expect(() => new Secret('x'.repeat(MAX_SECRET_LENGTH + 1))).toThrow(/at most 256 characters/)
  })
})
