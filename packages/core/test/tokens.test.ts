import { describe, expect, it } from 'vitest';
import { digestsEqual, generateHoldToken, hashToken } from '../src/index.js';
import { openWithKey, sealWithKey } from '../src/idempotency.js';

describe('hold tokens', () => {
  it('carry 256 random bits and are stored only as a SHA-256 hash', () => {
    const token = generateHoldToken();
    expect(token).toMatch(/^[0-9a-f]{64}$/);
    expect(generateHoldToken()).not.toBe(token);
    expect(hashToken(token)).toMatch(/^[0-9a-f]{64}$/);
    expect(hashToken(token)).not.toContain(token);
  });

  it('compare equal only when every character matches, whatever the length', () => {
    const digest = hashToken('a');
    expect(digestsEqual(digest, hashToken('a'))).toBe(true);
    expect(digestsEqual(digest, hashToken('b'))).toBe(false);
    expect(digestsEqual(digest, digest.slice(0, -1) + (digest.endsWith('0') ? '1' : '0'))).toBe(false);
    expect(digestsEqual(digest, digest.slice(0, 10))).toBe(false);
    expect(digestsEqual(digest, '')).toBe(false);
  });
});

describe('replay sealing', () => {
  it('gives the secret back only with the same idempotency key', () => {
    const sealed = sealWithKey('key-1', 'the-token');
    expect(sealed).not.toContain('the-token');
    expect(openWithKey('key-1', sealed)).toBe('the-token');
    expect(() => openWithKey('key-2', sealed)).toThrow();
  });
});

describe('hold token supply', () => {
  it('never repeats a token across many draws of the random pool', () => {
    const tokens = new Set(Array.from({ length: 5_000 }, () => generateHoldToken()));
    expect(tokens.size).toBe(5_000);
    for (const token of tokens) expect(token).toMatch(/^[0-9a-f]{64}$/);
  });
});
