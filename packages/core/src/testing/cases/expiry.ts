import { describe, expect, it } from 'vitest';
import { createFlashSale } from '../../engine.js';
import type { FlashSaleStore } from '../../store.js';
import { newKey, pendingOrder } from './flow.js';
import type { Setup } from './setup.js';

export function expiryCases(setup: Setup, connectAgain?: (store: FlashSaleStore) => Promise<FlashSaleStore>): void {
  describe('expiry', () => {
    it('returns the stock of an expired hold, and only once its time is up', async () => {
      const { sale, product, clock } = await setup({ holdTtlMs: 120_000 });
      const id = await product(10);
      await sale.createHold({ productId: id, qty: 4 });
      clock.advance(119_999);
      expect(await sale.releaseExpired()).toMatchObject({ holds: 0, units: 0 });
      expect((await sale.getProduct(id)).availableStock).toBe(6);
      clock.advance(1);
      expect(await sale.releaseExpired()).toMatchObject({ holds: 1, orders: 0, units: 4 });
      expect((await sale.getProduct(id)).availableStock).toBe(10);
      expect(await sale.releaseExpired()).toMatchObject({ holds: 0, units: 0 });
    });

    it('never releases a hold that became an order', async () => {
      const { sale, product, clock } = await setup({ holdTtlMs: 1_000, paymentTtlMs: 60_000 });
      const id = await product(10);
      await pendingOrder(sale, id, 3);
      clock.advance(5_000);
      expect(await sale.releaseExpired()).toMatchObject({ holds: 0, orders: 0 });
      expect((await sale.getProduct(id)).availableStock).toBe(7);
    });

    it('releases each expired hold exactly once when two passes run at the same time', async () => {
      const { sale, product, clock } = await setup({ holdTtlMs: 1_000, releaseBatch: 7 });
      const id = await product(100);
      for (let i = 0; i < 40; i++) await sale.createHold({ productId: id, qty: 2 });
      clock.advance(1_000);
      const passes = await Promise.all([sale.releaseExpired(), sale.releaseExpired(), sale.releaseExpired()]);
      expect(passes.reduce((sum, p) => sum + p.holds, 0)).toBe(40);
      expect(passes.reduce((sum, p) => sum + p.units, 0)).toBe(80);
      expect((await sale.getProduct(id)).availableStock).toBe(100);
    });

    // Registered only where the database can be shared: a skipped test would read as a gap.
    if (connectAgain) it('releases each hold once when passes on separate connections race', async () => {
      const { sale, store, product, clock } = await setup({ holdTtlMs: 1_000, releaseBatch: 5 });
      const id = await product(100);
      for (let i = 0; i < 30; i++) await sale.createHold({ productId: id, qty: 3 });
      clock.advance(1_000);
      const other = await connectAgain!(store);
      try {
        const otherSale = createFlashSale({ store: other, clock, releaseBatch: 5 });
        const passes = await Promise.all([sale.releaseExpired(), otherSale.releaseExpired(), sale.releaseExpired()]);
        expect(passes.reduce((sum, p) => sum + p.holds, 0)).toBe(30);
        expect((await sale.getProduct(id)).availableStock).toBe(100);
      } finally {
        await other.close();
      }
    });

    it('returns the stock of a pending order past its payment deadline', async () => {
      const { sale, product, clock } = await setup({ paymentTtlMs: 900_000 });
      const id = await product(10);
      const order = await pendingOrder(sale, id, 2);
      clock.advance(899_999);
      expect(await sale.releaseExpired()).toMatchObject({ orders: 0 });
      clock.advance(1);
      expect(await sale.releaseExpired()).toMatchObject({ orders: 1, units: 2 });
      expect((await sale.getProduct(id)).availableStock).toBe(10);
      await expect(sale.applyPayment({ orderId: order.orderId, status: 'failed', idempotencyKey: newKey() })).resolves.toMatchObject({ orderStatus: 'expired' });
    });

    it('purges idempotency records older than their time to live', async () => {
      const { sale, product, clock } = await setup({ idempotencyTtlMs: 60_000 });
      const id = await product(10);
      const key = newKey('hold');
      await sale.createHold({ productId: id, qty: 1, idempotencyKey: key });
      clock.advance(59_999);
      expect(await sale.releaseExpired()).toMatchObject({ purgedIdempotency: 0 });
      await expect(sale.createHold({ productId: id, qty: 1, idempotencyKey: key })).resolves.toMatchObject({ replayed: true });
      clock.advance(2);
      expect(await sale.releaseExpired()).toMatchObject({ purgedIdempotency: 1 });
      await expect(sale.createHold({ productId: id, qty: 1, idempotencyKey: key })).resolves.toMatchObject({ replayed: false });
    });
  });
}
