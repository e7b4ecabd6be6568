import { describe, expect, it } from 'vitest';
import { isRemembered, readStoredAnswer, storedAnswer, type CreateOrderOutcome, type PaymentOutcome, type ReserveOutcome } from '../src/index.js';

const hold = { id: 7, productId: 1, qty: 2, status: 'active' as const, tokenHash: 'a'.repeat(64), createdAt: 1, expiresAt: 2 };
const order = { id: 9, holdId: 7, productId: 1, qty: 2, amountCents: 200, status: 'completed' as const, createdAt: 1, paymentDeadline: 3, txnId: 'T' };
const key = <S extends 'hold' | 'order' | 'payment'>(scope: S, attachment?: string) => ({ scope, keyHash: 'k', fingerprint: 'f', ...(attachment ? { attachment } : {}) });

describe('what an idempotency record remembers', () => {
  it('remembers answers that changed something and a payment conflict, never a refusal that changed nothing', () => {
    expect(isRemembered({ kind: 'held' })).toBe(true);
    expect(isRemembered({ kind: 'created' })).toBe(true);
    expect(isRemembered({ kind: 'applied' })).toBe(true);
    expect(isRemembered({ kind: 'refused', code: 'payment_conflict' })).toBe(true);
    for (const code of ['insufficient_stock', 'product_not_found', 'invalid_hold', 'hold_expired', 'hold_used', 'order_not_found']) {
      expect(isRemembered({ kind: 'refused', code }), code).toBe(false);
    }
  });

  it('writes nothing for an answer it does not remember', () => {
    const refused: ReserveOutcome = { kind: 'refused', code: 'insufficient_stock', stockLeft: 0 };
    expect(storedAnswer(key('hold'), refused)).toBeUndefined();
  });
});

describe('the stored format', () => {
  it('gives back a hold with its attachment, and keeps no token hash', () => {
    const outcome: ReserveOutcome = { kind: 'held', hold, stockLeft: 3 };
    const body = storedAnswer(key('hold', 'sealed-token'), outcome)!;
    expect(body).not.toContain(hold.tokenHash);
    expect(readStoredAnswer('hold', body)).toEqual({ outcome: { ...outcome, hold: { ...hold, tokenHash: '' } }, attachment: 'sealed-token' });
  });

  it('gives back orders and payments as written', () => {
    const created: CreateOrderOutcome = { kind: 'created', order: { ...order, status: 'pending' } };
    const conflict: PaymentOutcome = { kind: 'refused', code: 'payment_conflict', order };
    expect(readStoredAnswer('order', storedAnswer(key('order'), created)!)).toEqual({ outcome: created });
    expect(readStoredAnswer('payment', storedAnswer(key('payment'), conflict)!)).toEqual({ outcome: conflict });
  });

  it('reads the bodies of the first release: the bare outcome, a hold with its sealed token inside', () => {
    const legacy = JSON.stringify({ kind: 'held', hold: { ...hold, tokenHash: '' }, stockLeft: 3, sealedToken: 'old-seal' });
    expect(readStoredAnswer('hold', legacy)).toEqual({ outcome: { kind: 'held', hold: { ...hold, tokenHash: '' }, stockLeft: 3 }, attachment: 'old-seal' });
    const payment = { kind: 'applied', order, effect: 'completed' };
    expect(readStoredAnswer('payment', JSON.stringify(payment))).toEqual({ outcome: payment });
  });

  it('refuses a body that is not an answer of its scope, rather than replay something else', () => {
    const created = storedAnswer(key('order'), { kind: 'created', order })!;
    expect(() => readStoredAnswer('hold', created)).toThrow(/stored hold idempotency answer cannot be read/);
    expect(() => readStoredAnswer('hold', 'not json')).toThrow(/not JSON/);
    expect(() => readStoredAnswer('payment', JSON.stringify({ v: 2, outcome: {} }))).toThrow(/format version 2/);
    expect(() => readStoredAnswer('payment', '[]')).toThrow(/cannot be read/);
  });
});
