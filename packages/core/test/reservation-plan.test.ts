import { describe, expect, it } from 'vitest';
import { idempotencyKeyId, planReservations, type ReserveRequest } from '../src/index.js';

const request = (productId: number, qty: number, key?: string): ReserveRequest => ({
  productId,
  qty,
  tokenHash: 'h',
  createdAt: 0,
  expiresAt: 1,
  ...(key === undefined ? {} : { idempotency: { scope: 'hold', keyHash: key, fingerprint: `fp-${key}` } }),
});

describe('planReservations', () => {
  it('grants first-fit in array order: a request that does not fit is refused and a smaller one after it may still fit', () => {
    const plan = planReservations([request(1, 2), request(1, 5), request(1, 1), request(1, 1)], new Map([[1, 4]]), new Set());
    expect(plan.decisions).toEqual([
      { kind: 'grant', stockLeft: 2 },
      { kind: 'refuse', code: 'insufficient_stock', stockLeft: 2 },
      { kind: 'grant', stockLeft: 1 },
      { kind: 'grant', stockLeft: 0 },
    ]);
    expect(plan.taken).toEqual(new Map([[1, 4]]));
  });

  it('keeps products apart and refuses a product the store did not find', () => {
    const plan = planReservations([request(1, 1), request(2, 3), request(9, 1)], new Map([[1, 1], [2, 2]]), new Set());
    expect(plan.decisions.map((d) => d.kind === 'refuse' ? d.code : d.kind)).toEqual(['grant', 'insufficient_stock', 'product_not_found']);
    expect(plan.taken).toEqual(new Map([[1, 1]]));
  });

  it('replays a stored key, replays an earlier remembered answer of the batch, and lets a key whose answer is not remembered act again', () => {
    const stored = new Set([idempotencyKeyId({ scope: 'hold', keyHash: 'old' })]);
    const plan = planReservations(
      [request(1, 1, 'old'), request(1, 5, 'short'), request(1, 1, 'short'), request(1, 1, 'a'), request(1, 1, 'a')],
      new Map([[1, 2]]),
      stored,
    );
    expect(plan.decisions).toEqual([
      { kind: 'replay-stored' },
      { kind: 'refuse', code: 'insufficient_stock', stockLeft: 2 },
      { kind: 'grant', stockLeft: 1 },
      { kind: 'grant', stockLeft: 0 },
      { kind: 'replay-earlier', of: 3 },
    ]);
    const id = (k: string) => idempotencyKeyId({ scope: 'hold', keyHash: k });
    expect(plan.keyOwners).toEqual(new Map([[id('short'), 2], [id('a'), 3]]));
  });

  it('names no owner for a key whose only answer in the batch is a refusal', () => {
    const plan = planReservations([request(1, 9, 'k')], new Map([[1, 1]]), new Set());
    expect(plan.keyOwners).toEqual(new Map([[idempotencyKeyId({ scope: 'hold', keyHash: 'k' }), undefined]]));
  });
});
