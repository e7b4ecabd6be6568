import { describe, expect, it } from 'vitest';
import { createFlashSale } from '../../engine.js';
import type { FlashSaleEvent } from '../../events.js';
import { codes, settle } from '../harness.js';
import { newKey, pendingOrder } from './flow.js';
import type { Setup } from './setup.js';

const nextTurn = () => new Promise((resolve) => setImmediate(resolve));
/** Each promise settled at once, so a refusal that comes before `settle` is awaited is not unhandled. */
const settledNow = <T>(work: Promise<T>): Promise<T> => {
  work.catch(() => {});
  return work;
};
const batches = (events: FlashSaleEvent[]) => events.flatMap((e) => (e.type === 'reserve_batch' ? [e.size] : []));

/**
 * A sold-out product: every refusal is the store's answer to a call made after the request
 * arrived (so stock another process returned is seen at once), and a stampede still costs the
 * store one call per gathering window, not one per request.
 */
export function soldOutCases(setup: Setup): void {
  describe('sold-out products', () => {
    it('keeps its word on reportsStockLeft: every decided reserve outcome says what is left', async () => {
      const { store, product } = await setup();
      const id = await product(3);
      const request = (qty: number, productId = id) => ({ productId, qty, tokenHash: `${qty}`.padEnd(64, '0'), createdAt: 0, expiresAt: 1_000 });
      const results = await store.reserveHolds([request(2), request(5), request(1), request(1, 2 ** 40)]);
      const left = results.map((r) => (r.kind === 'done' && 'stockLeft' in r.outcome ? r.outcome.stockLeft : undefined));
      if (store.capabilities.reportsStockLeft) expect(left).toEqual([1, 1, 0, undefined]);
      else expect(left.slice(0, 3)).not.toEqual([1, 1, 0]);
    });

    it('gathers a sold-out stampede arriving over several turns into one store call (when the store reports stock left)', async () => {
      const events: FlashSaleEvent[] = [];
      const { sale, store, product } = await setup({ soldOutWindowMs: 60_000, onEvent: (e) => events.push(e) });
      const id = await product(3);
      await sale.createHold({ productId: id, qty: 3 });
      events.length = 0;
      const waves: Promise<unknown>[] = [];
      for (let wave = 0; wave < 10; wave++) {
        waves.push(...Array.from({ length: 20 }, () => settledNow(sale.createHold({ productId: id, qty: 1 }))));
        await nextTurn();
      }
      const { ok, errors } = await settle(waves);
      expect(ok).toHaveLength(0);
      expect(codes(errors)).toEqual(Array(200).fill('insufficient_stock'));
      // Without stockLeft the coalescer cannot know the product sold out: each turn goes alone.
      if (store.capabilities.reportsStockLeft) expect(batches(events)).toEqual([200]);
      else expect(batches(events).length).toBeGreaterThan(1);
    });

    it('sends each turn at once when the window is off', async () => {
      const events: FlashSaleEvent[] = [];
      const { sale, product } = await setup({ soldOutWindowMs: 0, onEvent: (e) => events.push(e) });
      const id = await product(1);
      await sale.createHold({ productId: id, qty: 1 });
      events.length = 0;
      const waves: Promise<unknown>[] = [];
      for (let wave = 0; wave < 3; wave++) {
        waves.push(...Array.from({ length: 5 }, () => settledNow(sale.createHold({ productId: id, qty: 1 }))));
        await nextTurn();
      }
      expect((await settle(waves)).ok).toHaveLength(0);
      expect(batches(events).reduce((a, b) => a + b, 0)).toBe(15);
      expect(batches(events).length).toBeGreaterThan(1);
    });

    it('asks the store for the stampede queued behind the request that took the last unit, in one call', async () => {
      const events: FlashSaleEvent[] = [];
      const { sale, product } = await setup({ onEvent: (e) => events.push(e) });
      const id = await product(1);
      const last = sale.createHold({ productId: id, qty: 1 });
      // Its reservation is now on its way to the store; the stampede queues behind it.
      await nextTurn();
      const stampede = settle(Array.from({ length: 100 }, () => sale.createHold({ productId: id, qty: 1 })));
      await expect(last).resolves.toMatchObject({ qty: 1 });
      const { ok, errors } = await stampede;
      expect(ok).toHaveLength(0);
      expect(codes(errors)).toEqual(Array(100).fill('insufficient_stock'));
      expect(batches(events)).toEqual([1, 100]);
    });

    it('still gives a keyed retry queued behind that request its hold back', async () => {
      const { sale, product } = await setup();
      const id = await product(2);
      const granted = await sale.createHold({ productId: id, qty: 1, idempotencyKey: 'queued-retry' });
      const last = sale.createHold({ productId: id, qty: 1 });
      await nextTurn();
      const retry = sale.createHold({ productId: id, qty: 1, idempotencyKey: 'queued-retry' });
      const stampede = settle(Array.from({ length: 20 }, () => sale.createHold({ productId: id, qty: 1 })));
      await expect(last).resolves.toMatchObject({ qty: 1 });
      await expect(retry).resolves.toEqual({ ...granted, replayed: true });
      expect((await stampede).ok).toHaveLength(0);
    });

    it('sells stock that this engine returns at once', async () => {
      const { sale, product, clock } = await setup({ holdTtlMs: 1_000 });
      const id = await product(2);
      const order = await pendingOrder(sale, id, 1);
      await sale.createHold({ productId: id, qty: 1 });
      await expect(sale.createHold({ productId: id, qty: 1 })).rejects.toMatchObject({ code: 'insufficient_stock' });
      await sale.applyPayment({ orderId: order.orderId, status: 'failed', idempotencyKey: newKey() });
      await expect(sale.createHold({ productId: id, qty: 1 })).resolves.toMatchObject({ qty: 1 });
      clock.advance(1_000);
      await sale.releaseExpired();
      await expect(sale.createHold({ productId: id, qty: 1 })).resolves.toMatchObject({ qty: 1 });
      await sale.restock({ productId: id, qty: 1 });
      await expect(sale.createHold({ productId: id, qty: 1 })).resolves.toMatchObject({ qty: 1 });
    });

    it('sells stock that another engine on the same store returned at once: failed payment, expiry, restock', async () => {
      const { sale, store, product, clock } = await setup({ holdTtlMs: 1_000 });
      // A second engine on the same store stands for another server process.
      const otherProcess = createFlashSale({ store, clock, holdTtlMs: 1_000 });
      const id = await product(2);
      const order = await pendingOrder(sale, id, 1);
      await sale.createHold({ productId: id, qty: 1 });
      const refusedNow = () => expect(sale.createHold({ productId: id, qty: 1 })).rejects.toMatchObject({ code: 'insufficient_stock' });

      await refusedNow();
      await otherProcess.applyPayment({ orderId: order.orderId, status: 'failed', idempotencyKey: newKey() });
      await expect(sale.createHold({ productId: id, qty: 1 })).resolves.toMatchObject({ qty: 1 });

      await refusedNow();
      clock.advance(1_000);
      await otherProcess.releaseExpired();
      await expect(sale.createHold({ productId: id, qty: 2 })).resolves.toMatchObject({ qty: 2 });

      await refusedNow();
      await otherProcess.restock({ productId: id, qty: 1 });
      await expect(sale.createHold({ productId: id, qty: 1 })).resolves.toMatchObject({ qty: 1 });
    });

    it('does not treat a too-large request as a sell-out', async () => {
      const { sale, product } = await setup();
      const id = await product(3);
      await expect(sale.createHold({ productId: id, qty: 5 })).rejects.toMatchObject({ code: 'insufficient_stock' });
      await expect(sale.createHold({ productId: id, qty: 3 })).resolves.toMatchObject({ qty: 3 });
    });
  });
}
