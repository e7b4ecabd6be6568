import { describe, expect, it } from 'vitest';
import { newKey, pendingOrder } from './flow.js';
import type { Setup } from './setup.js';

export function paymentCases(setup: Setup): void {
  describe('payments and the order state machine', () => {
    it('completes a pending order on success; the stock stays sold', async () => {
      const { sale, product } = await setup();
      const id = await product(5);
      const order = await pendingOrder(sale, id, 2);
      const paid = await sale.applyPayment({ orderId: order.orderId, status: 'success', txnId: 'TXN-1', idempotencyKey: newKey() });
      expect(paid).toEqual({ orderId: order.orderId, orderStatus: 'completed', effect: 'completed', replayed: false });
      expect((await sale.getProduct(id)).availableStock).toBe(3);
    });

    it('fails a pending order on failure and returns its stock at once', async () => {
      const { sale, product } = await setup();
      const id = await product(5);
      const order = await pendingOrder(sale, id, 2);
      const failed = await sale.applyPayment({ orderId: order.orderId, status: 'failed', idempotencyKey: newKey() });
      expect(failed).toMatchObject({ orderStatus: 'failed', effect: 'failed' });
      expect((await sale.getProduct(id)).availableStock).toBe(5);
    });

    it('answers a repeated outcome with a new key without a second effect', async () => {
      const { sale, product } = await setup();
      const id = await product(5);
      const failedOrder = await pendingOrder(sale, id, 2);
      const paidOrder = await pendingOrder(sale, id, 1);
      await sale.applyPayment({ orderId: failedOrder.orderId, status: 'failed', idempotencyKey: newKey() });
      await sale.applyPayment({ orderId: paidOrder.orderId, status: 'success', idempotencyKey: newKey() });
      await expect(sale.applyPayment({ orderId: failedOrder.orderId, status: 'failed', idempotencyKey: newKey() })).resolves.toMatchObject({ orderStatus: 'failed', effect: 'none' });
      await expect(sale.applyPayment({ orderId: paidOrder.orderId, status: 'success', idempotencyKey: newKey() })).resolves.toMatchObject({ orderStatus: 'completed', effect: 'none' });
      expect((await sale.getProduct(id)).availableStock).toBe(4);
    });

    it('refuses the opposite outcome with payment_conflict and changes nothing', async () => {
      const { sale, product } = await setup();
      const id = await product(5);
      const paid = await pendingOrder(sale, id, 1);
      const failed = await pendingOrder(sale, id, 1);
      await sale.applyPayment({ orderId: paid.orderId, status: 'success', idempotencyKey: newKey() });
      await sale.applyPayment({ orderId: failed.orderId, status: 'failed', idempotencyKey: newKey() });
      await expect(sale.applyPayment({ orderId: paid.orderId, status: 'failed', idempotencyKey: newKey() })).rejects.toMatchObject({ code: 'payment_conflict' });
      await expect(sale.applyPayment({ orderId: failed.orderId, status: 'success', idempotencyKey: newKey() })).rejects.toMatchObject({ code: 'payment_conflict' });
      expect((await sale.getProduct(id)).availableStock).toBe(4);
      await expect(sale.applyPayment({ orderId: paid.orderId, status: 'success', idempotencyKey: newKey() })).resolves.toMatchObject({ orderStatus: 'completed' });
    });

    it('refuses an unknown order with order_not_found and does not remember the key', async () => {
      const { sale, product } = await setup();
      const key = newKey();
      await expect(sale.applyPayment({ orderId: 999, status: 'success', idempotencyKey: key })).rejects.toMatchObject({ code: 'order_not_found' });
      // Had the 404 been stored, this would be 422 (same key, other request).
      const order = await pendingOrder(sale, await product(1));
      const paid = await sale.applyPayment({ orderId: order.orderId, status: 'success', idempotencyKey: key });
      expect(paid).toMatchObject({ orderStatus: 'completed', replayed: false });
    });

    it('takes the stock again for a success that arrives after the order expired', async () => {
      const { sale, product, clock } = await setup({ paymentTtlMs: 10_000 });
      const id = await product(5);
      const order = await pendingOrder(sale, id, 2);
      clock.advance(10_000);
      expect(await sale.releaseExpired()).toMatchObject({ orders: 1, units: 2 });
      expect((await sale.getProduct(id)).availableStock).toBe(5);
      const late = await sale.applyPayment({ orderId: order.orderId, status: 'success', idempotencyKey: newKey() });
      expect(late).toMatchObject({ orderStatus: 'completed', effect: 'retaken' });
      expect((await sale.getProduct(id)).availableStock).toBe(3);
    });

    it('marks a late success refund_due when the stock is gone, and never drops it', async () => {
      const { sale, product, clock } = await setup({ paymentTtlMs: 10_000 });
      const id = await product(2);
      const order = await pendingOrder(sale, id, 2);
      clock.advance(10_000);
      await sale.releaseExpired();
      await sale.createHold({ productId: id, qty: 1 });
      const late = await sale.applyPayment({ orderId: order.orderId, status: 'success', idempotencyKey: newKey() });
      expect(late).toMatchObject({ orderStatus: 'refund_due', effect: 'refund_due' });
      expect((await sale.getProduct(id)).availableStock).toBe(1);
      await expect(sale.applyPayment({ orderId: order.orderId, status: 'success', idempotencyKey: newKey() })).resolves.toMatchObject({ orderStatus: 'refund_due', effect: 'none' });
      await expect(sale.applyPayment({ orderId: order.orderId, status: 'failed', idempotencyKey: newKey() })).rejects.toMatchObject({ code: 'payment_conflict' });
    });

    it('accepts a failure for an expired order without returning its stock twice', async () => {
      const { sale, product, clock } = await setup({ paymentTtlMs: 10_000 });
      const id = await product(3);
      const order = await pendingOrder(sale, id, 2);
      clock.advance(10_000);
      await sale.releaseExpired();
      await expect(sale.applyPayment({ orderId: order.orderId, status: 'failed', idempotencyKey: newKey() })).resolves.toMatchObject({ orderStatus: 'expired', effect: 'none' });
      expect((await sale.getProduct(id)).availableStock).toBe(3);
    });

    it('refuses a malformed payment with invalid_input', async () => {
      const { sale } = await setup();
      for (const bad of [
        { orderId: 1, status: 'paid', idempotencyKey: 'k' },
        { orderId: 0, status: 'success', idempotencyKey: 'k' },
        { orderId: 1, status: 'success', idempotencyKey: '' },
        { orderId: 1, status: 'success', idempotencyKey: 'x'.repeat(256) },
        { orderId: 1, status: 'success', idempotencyKey: 'has space' },
      ]) {
        await expect(sale.applyPayment(bad as never)).rejects.toMatchObject({ code: 'invalid_input' });
      }
    });
  });
}
