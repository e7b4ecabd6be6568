import { describe, expect, it } from 'vitest';
import { decideOrder, decidePayment, hashToken, type HoldRecord, type OrderStatus } from '../src/index.js';

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
