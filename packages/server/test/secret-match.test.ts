import { timingSafeEqual } from 'node:crypto';
import fc from 'fast-check';
import { beforeEach, describe, expect, test, vi } from 'vitest';
import { secretMatcher } from '../src/secret-match.js';

// Watch the comparison the helper makes, while keeping Node's implementation.
vi.mock('node:crypto', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:crypto')>();
  return { ...actual, timingSafeEqual: vi.fn(actual.timingSafeEqual) };
});
const compare = vi.mocked(timingSafeEqual);
// A block body: a function returned from beforeEach would be run as its teardown.
beforeEach(() => {
  compare.mockClear();
});

const TOKEN = 'correct-horse-battery-staple';

describe('secretMatcher (the admin bearer token check)', () => {
  test.each([
    ['the token itself', TOKEN, true],
    ['the first character changed', `X${TOKEN.slice(1)}`, false],
    ['the last character changed', `${TOKEN.slice(0, -1)}X`, false],
    ['a prefix', TOKEN.slice(0, 10), false],
    ['the token plus one character', `${TOKEN}x`, false],
    ['the token in upper case', TOKEN.toUpperCase(), false],
    ['empty', '', false],
    ['a huge guess (100 000 characters)', 'a'.repeat(100_000), false],
    ['non-ASCII', 'corrèct-horse-battery-staple', false],
  ])('%s', (_name, presented, expected) => {
    expect(secretMatcher(TOKEN)(presented)).toBe(expected);
  });

  test('every check goes through crypto.timingSafeEqual over two 32-byte digests, whatever the lengths', () => {
    const matches = secretMatcher(TOKEN);
    for (const presented of ['', 'x', TOKEN.slice(0, 27), TOKEN, 'y'.repeat(10_000)]) matches(presented);
    expect(compare).toHaveBeenCalledTimes(5);
    for (const [left, right] of compare.mock.calls) {
      expect([(left as Buffer).length, (right as Buffer).length]).toEqual([32, 32]);
      // Neither side is the raw secret or guess.
      expect(Buffer.from(left as Buffer).toString('utf8')).not.toContain(TOKEN);
    }
  });

  test('matches exactly when the strings are equal (property)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), fc.string({ unit: 'binary' }), (expected, presented) => {
        fc.pre(expected.length > 0);
        expect(secretMatcher(expected)(presented)).toBe(expected === presented);
        expect(secretMatcher(expected)(expected)).toBe(true);
      }),
    );
  });
});
