import { describe, expect, it } from 'vitest';
import { buyersToCount, buyerUnitsKey, idempotencyKeyId, planReservations, type PlannedProduct, type ReserveRequest } from '../src/index.js';

const request = (productId: number, qty: number, key?: string, extra: Partial<ReserveRequest> = {}): ReserveRequest => ({
  productId,
  qty,
  tokenHash: 'h',
  createdAt: 0,
  expiresAt: 1,
  ...(key === undefined ? {} : { idempotency: { scope: 'hold', keyHash: key, fingerprint: `fp-${key}` } }),
  ...extra,
});

/** A product on sale without a window or a limit. */
const open = (available: number): PlannedProduct => ({ available, saleStartsAt: null, saleEndsAt: null, maxPerBuyer: null });
const stock = (entries: [number, number][]) => new Map(entries.map(([id, available]) => [id, open(available)]));
const none = new Map<string, number>();

describe('planReservations', () => {
  it('grants first-fit in array order: a request that does not fit is refused and a smaller one after it may still fit', () => {
    const plan = planReservations([request(1, 2), request(1, 5), request(1, 1), request(1, 1)], stock([[1, 4]]), new Set(), none);
    expect(plan.decisions).toEqual([
      { kind: 'grant', stockLeft: 2 },
      { kind: 'refuse', code: 'insufficient_stock', stockLeft: 2 },
      { kind: 'grant', stockLeft: 1 },
      { kind: 'grant', stockLeft: 0 },
    ]);
    expect(plan.taken).toEqual(new Map([[1, 4]]));
  });

  it('keeps products apart and refuses a product the store did not find', () => {
    const plan = planReservations([request(1, 1), request(2, 3), request(9, 1)], stock([[1, 1], [2, 2]]), new Set(), none);
    expect(plan.decisions.map((d) => d.kind === 'refuse' ? d.code : d.kind)).toEqual(['grant', 'insufficient_stock', 'product_not_found']);
    expect(plan.taken).toEqual(new Map([[1, 1]]));
  });

  it('replays a stored key, replays an earlier remembered answer of the batch, and lets a key whose answer is not remembered act again', () => {
    const stored = new Set([idempotencyKeyId({ scope: 'hold', keyHash: 'old' })]);
    const plan = planReservations(
      [request(1, 1, 'old'), request(1, 5, 'short'), request(1, 1, 'short'), request(1, 1, 'a'), request(1, 1, 'a')],
      stock([[1, 2]]),
      stored,
      none,
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
    const plan = planReservations([request(1, 9, 'k')], stock([[1, 1]]), new Set(), none);
    expect(plan.keyOwners).toEqual(new Map([[idempotencyKeyId({ scope: 'hold', keyHash: 'k' }), undefined]]));
  });

  describe('drops', () => {
    const codeOf = (d: { kind: string; code?: string }) => d.code ?? d.kind;

    it('judges each request at its own arrival: refused before the start, granted from the start instant, refused from the end instant', () => {
      const window: PlannedProduct = { available: 10, saleStartsAt: 1_000, saleEndsAt: 2_000, maxPerBuyer: null };
      const at = (createdAt: number) => request(1, 1, undefined, { createdAt });
      const plan = planReservations([at(999), at(1_000), at(1_999), at(2_000)], new Map([[1, window]]), new Set(), none);
      expect(plan.decisions).toEqual([
        { kind: 'refuse', code: 'sale_not_started', startsAt: 1_000 },
        { kind: 'grant', stockLeft: 9 },
        { kind: 'grant', stockLeft: 8 },
        { kind: 'refuse', code: 'sale_ended' },
      ]);
      expect(plan.taken).toEqual(new Map([[1, 2]]));
    });

    it('refuses in order: window, then a missing buyer, then the limit, then the stock', () => {
      const limited = (extra: Partial<PlannedProduct>): Map<number, PlannedProduct> => new Map([[1, { available: 1, saleStartsAt: null, saleEndsAt: null, maxPerBuyer: 2, ...extra }]]);
      const decide = (product: Map<number, PlannedProduct>, req: ReserveRequest) => codeOf(planReservations([req], product, new Set(), none).decisions[0]!);
      expect(decide(limited({ saleStartsAt: 5 }), request(1, 9))).toBe('sale_not_started');
      expect(decide(limited({ saleEndsAt: 0 }), request(1, 9))).toBe('sale_ended');
      expect(decide(limited({}), request(1, 9))).toBe('buyer_required');
      expect(decide(limited({}), request(1, 3, undefined, { buyerId: 'b' }))).toBe('buyer_limit_exceeded');
      expect(decide(limited({}), request(1, 2, undefined, { buyerId: 'b' }))).toBe('insufficient_stock');
      expect(decide(stock([[1, 1]]), request(1, 1))).toBe('grant');
    });

    it("tracks each buyer's running total in arrival order, from the units the store counted", () => {
      const product = new Map([[1, { available: 10, saleStartsAt: null, saleEndsAt: null, maxPerBuyer: 3 }]]);
      const by = (buyerId: string, qty: number) => request(1, qty, undefined, { buyerId });
      const plan = planReservations([by('a', 2), by('b', 2), by('a', 2), by('a', 1), by('b', 2), by('c', 1)], product, new Set(), new Map([[buyerUnitsKey(1, 'c'), 3]]));
      expect(plan.decisions).toEqual([
        { kind: 'grant', stockLeft: 8 },
        { kind: 'grant', stockLeft: 6 },
        { kind: 'refuse', code: 'buyer_limit_exceeded', limit: 3, remaining: 1 },
        { kind: 'grant', stockLeft: 5 },
        { kind: 'refuse', code: 'buyer_limit_exceeded', limit: 3, remaining: 1 },
        { kind: 'refuse', code: 'buyer_limit_exceeded', limit: 3, remaining: 0 },
      ]);
    });

    it('does not count a buyer refused for the stock: only grants add to the running total', () => {
      const product = new Map([[1, { available: 1, saleStartsAt: null, saleEndsAt: null, maxPerBuyer: 2 }]]);
      const by = (qty: number) => request(1, qty, undefined, { buyerId: 'a' });
      expect(planReservations([by(2), by(1), by(1)], product, new Set(), none).decisions.map(codeOf)).toEqual(['insufficient_stock', 'grant', 'insufficient_stock']);
    });

    it('names each (product, buyer) of a limited product once, for the store to count', () => {
      const products = new Map([
        [1, { available: 5, saleStartsAt: null, saleEndsAt: null, maxPerBuyer: 2 }],
        [2, open(5)],
      ]);
      const requests = [request(1, 1, undefined, { buyerId: 'a' }), request(1, 1, undefined, { buyerId: 'a' }), request(2, 1, undefined, { buyerId: 'a' }), request(1, 1), request(9, 1, undefined, { buyerId: 'z' }), request(1, 1, undefined, { buyerId: 'b' })];
      expect(buyersToCount(requests, products)).toEqual([{ productId: 1, buyerId: 'a' }, { productId: 1, buyerId: 'b' }]);
    });
  });
});
