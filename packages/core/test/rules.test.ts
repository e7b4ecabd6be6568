import { describe, expect, it } from 'vitest';
import { createFlashSale, decideExtend, decideOrder, decidePayment, decideRelease, hashToken, holdAsSeen, orderAsSeen, type HoldRecord, type OrderRecord, type OrderStatus } from '../src/index.js';
import { openMemoryStore } from '../src/testing/index.js';

const hold = (overrides: Partial<HoldRecord> = {}): HoldRecord => ({
  id: 1,
  productId: 1,
  qty: 1,
  status: 'active',
  tokenHash: hashToken('secret'),
  createdAt: 0,
  expiresAt: 1_000,
  ...overrides,
});

describe('decideOrder', () => {
  it('creates an order for an active, unexpired hold with its token', () => {
    expect(decideOrder(hold(), hashToken('secret'), 999)).toBe('create');
  });
  it('treats an unknown hold and a wrong token alike, before any other check', () => {
    expect(decideOrder(undefined, hashToken('secret'), 0)).toBe('invalid_hold');
    expect(decideOrder(hold({ status: 'converted' }), hashToken('other'), 0)).toBe('invalid_hold');
    expect(decideOrder(hold(), hashToken('other'), 5_000)).toBe('invalid_hold');
  });
  it('refuses a hold at its expiry instant even before it is swept', () => {
    expect(decideOrder(hold(), hashToken('secret'), 1_000)).toBe('hold_expired');
    expect(decideOrder(hold({ status: 'expired' }), hashToken('secret'), 0)).toBe('hold_expired');
  });
  it('refuses a converted hold as used', () => {
    expect(decideOrder(hold({ status: 'converted' }), hashToken('secret'), 0)).toBe('hold_used');
  });
  it('refuses a released hold as released, even past its expiry', () => {
    expect(decideOrder(hold({ status: 'released' }), hashToken('secret'), 0)).toBe('hold_released');
    expect(decideOrder(hold({ status: 'released' }), hashToken('secret'), 5_000)).toBe('hold_released');
  });
});

describe('decideRelease', () => {
  const secret = hashToken('secret');
  it('releases an active hold before its expiry instant, and refuses it at that instant', () => {
    expect(decideRelease(hold(), secret, 999)).toBe('release');
    expect(decideRelease(hold(), secret, 1_000)).toBe('hold_expired');
    expect(decideRelease(hold({ status: 'expired' }), secret, 0)).toBe('hold_expired');
  });
  it('answers a repeat as released, whenever it comes', () => {
    expect(decideRelease(hold({ status: 'released' }), secret, 0)).toBe('already_released');
    expect(decideRelease(hold({ status: 'released' }), secret, 5_000)).toBe('already_released');
  });
  it('checks the token first: an unknown hold and a wrong token read the same', () => {
    expect(decideRelease(undefined, secret, 0)).toBe('invalid_hold');
    for (const status of ['active', 'converted', 'expired', 'released'] as const) {
      expect(decideRelease(hold({ status }), hashToken('other'), 5_000)).toBe('invalid_hold');
    }
  });
  it('refuses a converted hold as used', () => {
    expect(decideRelease(hold({ status: 'converted' }), secret, 0)).toBe('hold_used');
  });
});

describe('decideExtend', () => {
  const secret = hashToken('secret');
  const lifetime = { ttlMs: 1_000, maxLifetimeMs: 2_500 };
  it('moves the expiry to now + the lifetime, never past creation + the maximum', () => {
    expect(decideExtend(hold(), secret, 400, lifetime)).toEqual({ kind: 'extend', expiresAt: 1_400 });
    expect(decideExtend(hold({ expiresAt: 2_000 }), secret, 1_900, lifetime)).toEqual({ kind: 'extend', expiresAt: 2_500 });
  });
  it('never moves the expiry earlier, whatever the caller\'s clock says', () => {
    expect(decideExtend(hold({ expiresAt: 2_000 }), secret, 100, lifetime)).toEqual({ kind: 'extend', expiresAt: 2_000 });
  });
  it('refuses once the expiry is at the cap', () => {
    expect(decideExtend(hold({ expiresAt: 2_500 }), secret, 2_000, lifetime)).toEqual({ kind: 'refused', code: 'hold_extension_limit' });
    expect(decideExtend(hold({ expiresAt: 1_000 }), secret, 0, { ttlMs: 1_000, maxLifetimeMs: 1_000 })).toEqual({ kind: 'refused', code: 'hold_extension_limit' });
  });
  it('refuses what a release refuses, and a released hold as released; the token first', () => {
    const refused = (code: string) => ({ kind: 'refused', code });
    expect(decideExtend(undefined, secret, 0, lifetime)).toEqual(refused('invalid_hold'));
    expect(decideExtend(hold({ status: 'released' }), hashToken('other'), 0, lifetime)).toEqual(refused('invalid_hold'));
    expect(decideExtend(hold({ status: 'converted' }), secret, 0, lifetime)).toEqual(refused('hold_used'));
    expect(decideExtend(hold({ status: 'released' }), secret, 0, lifetime)).toEqual(refused('hold_released'));
    expect(decideExtend(hold({ status: 'expired' }), secret, 0, lifetime)).toEqual(refused('hold_expired'));
    expect(decideExtend(hold(), secret, 1_000, lifetime)).toEqual(refused('hold_expired'));
  });
});

describe('holdAsSeen and orderAsSeen', () => {
  const secret = hashToken('secret');
  it('shows an active hold past its expiry as expired, and hides any hold from a wrong token', () => {
    expect(holdAsSeen(hold(), secret, 999)?.status).toBe('active');
    expect(holdAsSeen(hold(), secret, 1_000)?.status).toBe('expired');
    expect(holdAsSeen(hold({ status: 'converted' }), secret, 5_000)?.status).toBe('converted');
    expect(holdAsSeen(hold(), hashToken('other'), 0)).toBeUndefined();
    expect(holdAsSeen(undefined, secret, 0)).toBeUndefined();
  });
  it('shows an order only for its hold\'s token', () => {
    const order = { id: 7 } as OrderRecord;
    expect(orderAsSeen(order, secret, secret)).toBe(order);
    expect(orderAsSeen(order, secret, hashToken('other'))).toBeUndefined();
    expect(orderAsSeen(order, undefined, secret)).toBeUndefined();
    expect(orderAsSeen(undefined, secret, secret)).toBeUndefined();
  });
});

describe('holdMaxLifetimeMs', () => {
  const store = openMemoryStore();
  it('defaults to 10 minutes, or to holdTtlMs when that is longer', () => {
    expect(createFlashSale({ store }).options.holdMaxLifetimeMs).toBe(600_000);
    expect(createFlashSale({ store, holdTtlMs: 1_800_000 }).options.holdMaxLifetimeMs).toBe(1_800_000);
    expect(createFlashSale({ store, holdTtlMs: 60_000, holdMaxLifetimeMs: 60_000 }).options.holdMaxLifetimeMs).toBe(60_000);
  });
  it('refuses a maximum shorter than one lifetime, or not a positive integer', () => {
    expect(() => createFlashSale({ store, holdTtlMs: 60_000, holdMaxLifetimeMs: 59_999 })).toThrow(/holdMaxLifetimeMs must be at least holdTtlMs/);
    expect(() => createFlashSale({ store, holdMaxLifetimeMs: 0 })).toThrow(RangeError);
    expect(() => createFlashSale({ store, holdMaxLifetimeMs: 1.5 })).toThrow(RangeError);
  });
});

describe('decidePayment', () => {
  const table: [OrderStatus, 'success' | 'failed', string][] = [
    ['pending', 'success', 'complete'],
    ['pending', 'failed', 'fail'],
    ['completed', 'success', 'none'],
    ['completed', 'failed', 'conflict'],
    ['failed', 'failed', 'none'],
    ['failed', 'success', 'conflict'],
    ['expired', 'success', 'retake'],
    ['expired', 'failed', 'none'],
    ['refund_due', 'success', 'none'],
    ['refund_due', 'failed', 'conflict'],
  ];
  it.each(table)('an order %s receiving %s → %s', (order, payment, action) => {
    expect(decidePayment(order, payment)).toBe(action);
  });
});
