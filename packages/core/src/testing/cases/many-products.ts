import { describe, expect, it } from 'vitest';
import type { HoldAttempt } from '../../api.js';
import type { FlashSaleEvent } from '../../events.js';
import { randomInt, seededRandom } from './random.js';
import type { Setup } from './setup.js';

/** One product of a mixed wave, as the serial model sees it. */
interface ModelProduct {
  id: number;
  left: number;
  /** The per-buyer limit, or null. */
  limit: number | null;
  /** Units each buyer holds of this product so far. */
  units: Map<string, number>;
  /** Its sale opens later than the wave: every request is refused as early. */
  opensLater: boolean;
}

interface Ask {
  product: number;
  qty: number;
  buyerId: string | undefined;
}

/** The answer serving the asks one at a time, in order, would give: written without the engine. */
function serialAnswers(products: ModelProduct[], asks: Ask[]): string[] {
  return asks.map(({ product, qty, buyerId }) => {
    const p = products[product];
    if (!p) return 'product_not_found';
    if (p.opensLater) return 'sale_not_started';
    if (p.limit !== null) {
      if (buyerId === undefined) return 'buyer_required';
      if ((p.units.get(buyerId) ?? 0) + qty > p.limit) return 'buyer_limit_exceeded';
    }
    if (p.left < qty) return 'insufficient_stock';
    p.left -= qty;
    if (buyerId !== undefined) p.units.set(buyerId, (p.units.get(buyerId) ?? 0) + qty);
    return 'held';
  });
}

const answerOf = (attempt: HoldAttempt) => (attempt.ok ? 'held' : attempt.code);

/**
 * A drop of many products (sizes, seats): hold requests for different products that arrive
 * together share ONE store call, as those for one product do, and every answer, hold and stock
 * figure equals serving the requests one at a time in arrival order.
 */
export function manyProductCases(setup: Setup): void {
  describe('many products at once', () => {
    it.each([1, 2, 3])('takes a mixed-product wave in one store call, answering exactly as the serial order (seed %i)', async (seed) => {
      const events: FlashSaleEvent[] = [];
      const { sale, clock } = await setup({ onEvent: (e) => events.push(e) });
      const random = seededRandom(seed);
      // Six products: small stocks (so some sell out inside the wave), one limited to 3 units a
      // buyer, one whose sale opens after the wave; plus ids that name no product.
      const products: ModelProduct[] = [];
      for (let i = 0; i < 6; i++) {
        const limit = i === 4 ? 3 : null;
        const opensLater = i === 5;
        const stock = randomInt(random, 0, 25);
        const created = await sale.createProduct({ name: `size ${i}`, price: '10.00', stock, maxPerBuyer: limit, ...(opensLater ? { saleStartsAt: clock() + 60_000 } : {}) });
        products.push({ id: created.id, left: stock, limit, units: new Map(), opensLater });
      }
      const missing = products.at(-1)!.id + 1_000_000;
      const asks: Ask[] = Array.from({ length: 120 }, () => ({
        product: randomInt(random, 0, products.length), // products.length: a product that does not exist
        qty: randomInt(random, 1, 4),
        buyerId: random() < 0.8 ? `buyer-${randomInt(random, 1, 6)}` : undefined,
      }));
      events.length = 0;
      // All in the same turn, as a stampede's requests parsed together arrive.
      const attempts = await Promise.all(asks.map((a) => sale.tryCreateHold({ productId: products[a.product]?.id ?? missing, qty: a.qty, ...(a.buyerId ? { buyerId: a.buyerId } : {}) })));

      const calls = events.filter((e): e is Extract<FlashSaleEvent, { type: 'reserve_batch' }> => e.type === 'reserve_batch');
      expect(calls.map((c) => c.size)).toEqual([asks.length]);
      const asked = [...new Set(asks.map((a) => products[a.product]?.id ?? missing))];
      expect(calls[0]!.productIds).toEqual(asked);

      expect(attempts.map(answerOf)).toEqual(serialAnswers(products, asks));
      for (const [i, attempt] of attempts.entries()) {
        if (!attempt.ok) continue;
        expect(attempt.hold).toMatchObject({ productId: products[asks[i]!.product]!.id, qty: asks[i]!.qty });
        expect(await sale.getHold({ holdId: attempt.hold.holdId, token: attempt.hold.token })).toMatchObject({ productId: attempt.hold.productId, qty: attempt.hold.qty, status: 'active' });
      }
      for (const p of products) expect((await sale.getProduct(p.id)).availableStock, `product ${p.id}`).toBe(p.left);
      expect(new Set(attempts.flatMap((a) => (a.ok ? [a.hold.holdId] : []))).size).toBe(attempts.filter((a) => a.ok).length);
    });

    it('queues other products behind a call in flight and takes them all in the next one', async () => {
      const events: FlashSaleEvent[] = [];
      const { sale, product } = await setup({ onEvent: (e) => events.push(e) });
      const ids = [await product(50), await product(50), await product(50)];
      events.length = 0;
      const first = sale.createHold({ productId: ids[0]!, qty: 1 });
      // The next turn: the first call has gone; these arrive while it is in flight.
      await new Promise((resolve) => setImmediate(resolve));
      const wave = ids.flatMap((productId) => Array.from({ length: 10 }, () => sale.createHold({ productId, qty: 2 })));
      await Promise.all([first, ...wave]);
      const sizes = events.flatMap((e) => (e.type === 'reserve_batch' ? [e.size] : []));
      // However fast the store, the 30 share one call, not one per product.
      expect(sizes).toEqual([1, 30]);
      expect(events.flatMap((e) => (e.type === 'reserve_batch' ? [e.productIds] : []))).toEqual([[ids[0]], ids]);
      expect((await Promise.all(ids.map((id) => sale.getProduct(id)))).map((p) => p.availableStock)).toEqual([29, 30, 30]);
    });
  });
}
