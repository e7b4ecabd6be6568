import { describe, expect, it } from 'vitest';
import { isPlainHoldInput } from '../src/validation.js';

describe('isPlainHoldInput (the hold path without a schema parse)', () => {
  it('accepts exactly { productId, qty } in range', () => {
    expect(isPlainHoldInput({ productId: 1, qty: 5 }, 5)).toBe(true);
  });
  it.each([
    [{ productId: 1, qty: 6 }],
    [{ productId: 0, qty: 1 }],
    [{ productId: 1, qty: 1.5 }],
    [{ productId: '1', qty: 1 }],
    [{ productId: 1, qty: Number.MAX_SAFE_INTEGER + 2 }],
    [{ productId: 1, qty: 1, extra: true }],
    [{ productId: 1, qty: 1, idempotencyKey: 'k' }],
    [{ productId: 1 }],
    [null],
    ['{"productId":1,"qty":1}'],
  ])('sends %j through the full schema', (input) => {
    expect(isPlainHoldInput(input, 5)).toBe(false);
  });
});
