import { describe, expect, it } from 'vitest';
import { SoldOutCache } from '../src/sold-out-cache.js';
import { manualClock } from '../src/testing/manual-clock.js';

describe('SoldOutCache', () => {
  it('remembers a sell-out for its time to live only', () => {
    const clock = manualClock();
    const cache = new SoldOutCache(1_000, clock);
    cache.markSoldOut(1, cache.generation);
    expect(cache.isSoldOut(1)).toBe(true);
    expect(cache.isSoldOut(2)).toBe(false);
    clock.advance(999);
    expect(cache.isSoldOut(1)).toBe(true);
    clock.advance(1);
    expect(cache.isSoldOut(1)).toBe(false);
  });

  it('ignores a sell-out read before stock came back', () => {
    const cache = new SoldOutCache(1_000, manualClock());
    const seenAt = cache.generation;
    // A failed payment returns stock while a reservation that saw "0 left" is still on its way back.
    cache.forget(1);
    cache.markSoldOut(1, seenAt);
    expect(cache.isSoldOut(1)).toBe(false);
    cache.markSoldOut(1, cache.generation);
    expect(cache.isSoldOut(1)).toBe(true);
  });

  it('is off with a time to live of 0', () => {
    const cache = new SoldOutCache(0, manualClock());
    cache.markSoldOut(1, cache.generation);
    expect(cache.isSoldOut(1)).toBe(false);
  });
});
