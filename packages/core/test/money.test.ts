import { describe, expect, it } from 'vitest';
import { formatCents, parseCents } from '../src/index.js';

describe('money', () => {
  it.each([
    [9999, '99.99'],
    [0, '0.00'],
    [5, '0.05'],
    [19998, '199.98'],
    [100, '1.00'],
  ])('formats %i cents as %s', (cents, text) => expect(formatCents(cents)).toBe(text));

  it.each([
    ['99.99', 9999],
    ['5', 500],
    ['0.5', 50],
    ['0', 0],
    ['9999999.99', 999_999_999],
  ])('parses %s as %i cents, exactly', (text, cents) => expect(parseCents(text)).toBe(cents));

  it.each(['', '1.001', '-1', '1e3', '0x10', '01.00', '.5', '10000000.00', 'NaN', '1,00'])('refuses %j as a price', (text) => {
    expect(() => parseCents(text)).toThrow(expect.objectContaining({ code: 'invalid_input' }));
  });

  it('never goes through floating point: 0.1 + 0.2 style sums stay exact', () => {
    expect(formatCents(parseCents('0.10') + parseCents('0.20'))).toBe('0.30');
  });
});
