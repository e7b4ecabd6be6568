import { describe, expect, it } from 'vitest';
import { formatDuration, parseDuration } from '../src/duration.js';

describe('parseDuration', () => {
  it.each([
    ['1500ms', 1_500],
    ['30s', 30_000],
    ['2m', 120_000],
    ['15m', 900_000],
    ['1h', 3_600_000],
    ['24h', 86_400_000],
    ['1d', 86_400_000],
    ['1.5s', 1_500],
    ['1.1s', 1_100],
    ['0.25m', 15_000],
    [' 5s ', 5_000],
  ])('reads %s as %d ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each(['', '120', '2 m', '2min', '-5s', '5S', 's', '1e3ms', '0s', '0ms', '1.5ms', '1.0001s', '99999999999999999h'])(
    'refuses %j',
    (text) => {
      expect(() => parseDuration(text)).toThrow(RangeError);
    },
  );

  it('says which forms it accepts', () => {
    expect(() => parseDuration('120')).toThrow(/1500ms, 30s, 2m, 1h/);
  });
});

describe('formatDuration', () => {
  it.each([
    [120_000, '2m'],
    [1_500, '1500ms'],
    [5_000, '5s'],
    [86_400_000, '1d'],
    [90_000, '90s'],
  ])('writes %d ms as %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });

  it('round-trips through parseDuration', () => {
    for (const ms of [1, 999, 1_000, 61_000, 3_600_000, 7_200_000, 86_400_000 * 3]) expect(parseDuration(formatDuration(ms))).toBe(ms);
  });
});
