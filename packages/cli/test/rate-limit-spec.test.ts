import { describe, expect, it } from 'vitest';
import { parseRateLimitSpec } from '../src/rate-limit-spec.js';

describe('parseRateLimitSpec', () => {
  it('reads route=n pairs and off', () => {
    expect(parseRateLimitSpec('holds=5,orders=10,webhook=off')).toEqual({ holds: 5, orders: 10, webhook: false });
    expect(parseRateLimitSpec(' products = 1000 ')).toEqual({ products: 1000 });
  });

  it.each(['holds', 'holds=', 'holds=0', 'holds=-1', 'holds=1.5', 'carts=5', 'holds=5,holds=6', '', 'holds=5,'])('refuses %j', (text) => {
    expect(() => parseRateLimitSpec(text)).toThrow(RangeError);
  });
});
