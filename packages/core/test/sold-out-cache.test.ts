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
    clock.advance(499);
    expect(cache.isSoldOut(1)).toBe(true);
    clock.advance(501);
    expect(cache.isSoldOut(1)).toBe(false);
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

describe('SoldOutCache probes', () => {
  it('lets one request through halfway through the time to live, and renews on its answer', () => {
    const clock = manualClock();
    const cache = new SoldOutCache(1_000, clock);
    cache.markSoldOut(1, cache.generation);
    clock.advance(500);
    expect(cache.isSoldOut(1)).toBe(false); // the probe
    expect(cache.isSoldOut(1)).toBe(true);
    expect(cache.isSoldOut(1)).toBe(true);
    cache.markSoldOut(1, cache.generation); // the probe found none left
    clock.advance(499);
    expect(cache.isSoldOut(1)).toBe(true);
  });

  it('lets everyone through once the time to live is over, even if the probe never answered', () => {
    const clock = manualClock();
    const cache = new SoldOutCache(1_000, clock);
    cache.markSoldOut(1, cache.generation);
    clock.advance(500);
    expect(cache.isSoldOut(1)).toBe(false);
    clock.advance(500);
    expect(cache.isSoldOut(1)).toBe(false);
    expect(cache.isSoldOut(1)).toBe(false);
  });
});

describe('SoldOutCache knowledge learned while a request waits', () => {
  it('counts only a sell-out marked after the request was let through, while it lasts', () => {
    const clock = manualClock();
    const cache = new SoldOutCache(1_000, clock);
    const admitted = cache.marks;
    expect(cache.markedSince(1, admitted)).toBe(false);
    cache.markSoldOut(1, cache.generation);
    expect(cache.markedSince(1, admitted)).toBe(true);
    expect(cache.markedSince(2, admitted)).toBe(false);
    clock.advance(1_000);
    expect(cache.markedSince(1, admitted)).toBe(false);
  });

  it('never turns the probe away: it was let through knowing the product sold out', () => {
    const clock = manualClock();
    const cache = new SoldOutCache(1_000, clock);
    cache.markSoldOut(1, cache.generation);
    clock.advance(500);
    expect(cache.isSoldOut(1)).toBe(false); // the probe, let through now
    expect(cache.markedSince(1, cache.marks)).toBe(false);
  });

  it('forgets at once when stock comes back', () => {
    const cache = new SoldOutCache(1_000, manualClock());
    const admitted = cache.marks;
    cache.markSoldOut(1, cache.generation);
    cache.forget(1);
    expect(cache.markedSince(1, admitted)).toBe(false);
  });
});
