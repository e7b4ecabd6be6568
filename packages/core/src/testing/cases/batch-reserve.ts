import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Replayable } from '../../idempotency.js';
import type { ReserveOutcome, ReserveRequest } from '../../store.js';
import { storedAnswer } from '../../stored-answer.js';
import type { Setup } from './setup.js';

/** What a request may ask for: a product (index into the run's products, or one that does not exist), a qty, maybe a key. */
interface Ask {
  product: number;
  qty: number;
  key: string | undefined;
}

/** The answer serving the asks one at a time would give, written without looking at the adapter. */
type Expected =
  | { kind: 'held'; stockLeft: number }
  | { kind: 'insufficient_stock'; stockLeft: number }
  | { kind: 'product_not_found' }
  | { kind: 'replay-of'; index: number }
  | { kind: 'replay-stored'; key: string };

function serialModel(stock: number[], asks: Ask[], storedKeys: Set<string>): { expected: Expected[]; left: number[] } {
  const left = [...stock];
  const recorded = new Map<string, number>();
  const expected = asks.map((ask, i): Expected => {
    if (ask.key !== undefined && storedKeys.has(ask.key)) return { kind: 'replay-stored', key: ask.key };
    if (ask.key !== undefined && recorded.has(ask.key)) return { kind: 'replay-of', index: recorded.get(ask.key)! };
    if (ask.product >= left.length) return { kind: 'product_not_found' };
    if (left[ask.product]! < ask.qty) return { kind: 'insufficient_stock', stockLeft: left[ask.product]! };
    left[ask.product]! -= ask.qty;
    // As in the engine: a hold is remembered under its key, a refusal is not.
    if (ask.key !== undefined) recorded.set(ask.key, i);
    return { kind: 'held', stockLeft: left[ask.product]! };
  });
  return { expected, left };
}

/** The body the store keeps for an answer, as the core's format writes it. */
const encode = (outcome: ReserveOutcome) => storedAnswer({ scope: 'hold', keyHash: '', fingerprint: '' }, outcome);

/**
 * The port itself, without the engine: `reserveHolds` on batches of several products, with keys
 * repeated inside a batch and keys stored by an earlier batch, must answer exactly what serving
 * the requests one at a time, first-fit, would.
 */
export function batchReserveCases(setup: Setup): void {
  describe('reserveHolds batches (the port)', () => {
    it('grants first-fit in array order, with in-batch and stored key replays, exactly as serving one by one', async () => {
      const { store } = await setup();
      let run = 0;
      const ask = fc.record({
        product: fc.integer({ min: 0, max: 3 }), // 3 = a product that does not exist
        qty: fc.integer({ min: 1, max: 8 }),
        key: fc.option(fc.constantFrom('a', 'b', 'c'), { nil: undefined, freq: 3 }),
      });
      await fc.assert(
        fc.asyncProperty(
          fc.array(fc.integer({ min: 0, max: 20 }), { minLength: 3, maxLength: 3 }),
          fc.array(ask, { maxLength: 6 }),
          fc.array(ask, { minLength: 1, maxLength: 40 }),
          async (stock, firstAsks, asks) => {
            run += 1;
            const products = [];
            for (const units of stock) products.push(await store.createProduct({ name: `p${run}`, priceCents: 100, stock: units }));
            const ids = [...products.map((p) => p.id), 2 ** 40 + run];
            // Keys are per run, so earlier runs' records do not leak in.
            const toRequest = (a: Ask, i: number): ReserveRequest => ({
              productId: ids[a.product]!,
              qty: a.qty,
              tokenHash: `${run}-${i}`.padEnd(64, '0'),
              createdAt: 0,
              expiresAt: 1_000,
              ...(a.key === undefined ? {} : { idempotency: { scope: 'hold' as const, keyHash: `${run}:${a.key}`, fingerprint: `fp-${i}` } }),
            });

            // A first batch leaves stored records (and less stock) for the second to meet.
            const first = serialModel(stock, firstAsks, new Set());
            const firstResults = await store.reserveHolds(firstAsks.map(toRequest));
            const storedBodies = new Map<string, string>();
            firstAsks.forEach((a, i) => {
              const r = firstResults[i]!;
              if (a.key !== undefined && !storedBodies.has(a.key) && r.kind === 'done' && r.outcome.kind === 'held') storedBodies.set(a.key, encode(r.outcome)!);
            });
            const stored = new Set(storedBodies.keys());

            const { expected, left } = serialModel(first.left, asks, stored);
            const results = await store.reserveHolds(asks.map((a, i) => toRequest(a, i + 100)));
            expect(results.map((r, i) => describeResult(r, results, i, asks[i]!.key, storedBodies))).toEqual(expected);
            const heldIds = results.flatMap((r) => (r.kind === 'done' && r.outcome.kind === 'held' ? [r.outcome.hold.id] : []));
            expect(new Set(heldIds).size).toBe(heldIds.length);
            for (const [i, product] of products.entries()) {
              expect((await store.getProduct(product.id))!.availableStock).toBe(left[i]);
            }
          },
        ),
        { numRuns: 40 },
      );
      const audit = await store.auditSnapshot();
      for (const p of audit.products) expect(p.initialStock).toBe(p.available + p.activeHoldQty);
    });

    /**
     * Turns an adapter answer into the model's words. A replay must carry the body and fingerprint of
     * the answer it repeats: the stored one of the first batch, or an earlier one of this batch.
     */
    function describeResult(
      result: Replayable<ReserveOutcome>,
      all: Replayable<ReserveOutcome>[],
      i: number,
      key: string | undefined,
      storedBodies: Map<string, string>,
    ): Expected | { kind: 'unexplained replay' } {
      if (result.kind === 'replay') {
        if (key !== undefined && result.body === storedBodies.get(key)) return { kind: 'replay-stored', key };
        const source = all.findIndex((r, j) => j < i && r.kind === 'done' && encode(r.outcome) === result.body);
        if (source >= 0 && result.fingerprint === `fp-${source + 100}`) return { kind: 'replay-of', index: source };
        return { kind: 'unexplained replay' };
      }
      const outcome = result.outcome;
      if (outcome.kind === 'held') return { kind: 'held', stockLeft: outcome.stockLeft! };
      if (outcome.code === 'insufficient_stock') return { kind: 'insufficient_stock', stockLeft: outcome.stockLeft! };
      return { kind: 'product_not_found' };
    }
  });
}
