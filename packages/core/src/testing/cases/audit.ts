import { describe, expect, it } from 'vitest';
import { newKey, pendingOrder } from './flow.js';
import type { Setup } from './setup.js';

export function auditCases(setup: Setup, tamperAvailable: (store: import('../../store.js').FlashSaleStore, productId: number, delta: number) => Promise<void>): void {
  describe('verify', () => {
    it('finds nothing wrong after a full mixed history', async () => {
      const { sale, product, clock } = await setup({ holdTtlMs: 1_000, paymentTtlMs: 5_000 });
      const a = await product(20);
      const b = await product(5);
      const paid = await pendingOrder(sale, a, 2);
      const failed = await pendingOrder(sale, a, 3);
      await pendingOrder(sale, b, 1);
      await sale.createHold({ productId: a, qty: 4 });
      await sale.applyPayment({ orderId: paid.orderId, status: 'success', idempotencyKey: newKey() });
      await sale.applyPayment({ orderId: failed.orderId, status: 'failed', idempotencyKey: newKey() });
      await sale.restock({ productId: b, qty: 7 });
      clock.advance(5_000);
      await sale.releaseExpired();
      const report = await sale.verify();
      expect(report).toEqual({ ok: true, products: 2, violations: [] });
      expect((await sale.getProduct(a)).availableStock).toBe(18);
      expect((await sale.getProduct(b)).availableStock).toBe(12);
    });

    it('reports a product whose stock was changed behind its back', async () => {
      const { sale, store, product } = await setup({ tampered: true });
      const id = await product(10);
      await pendingOrder(sale, id, 2);
      await tamperAvailable(store, id, 1);
      const report = await sale.verify();
      expect(report.ok).toBe(false);
      expect(report.violations).toEqual([
        expect.objectContaining({ rule: 'conservation', productId: id, detail: expect.stringContaining('available 9') }),
      ]);
    });
  });
}
