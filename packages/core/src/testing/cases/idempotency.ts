import { describe, expect, it } from 'vitest';
import { codes, settle } from '../harness.js';
import { newKey, pendingOrder } from './flow.js';
import type { Setup } from './setup.js';

export function idempotencyCases(setup: Setup): void {
  describe('idempotency', () => {
    it('replays a keyed hold with the same hold and token, taking stock once', async () => {
      const { sale, product } = await setup();
      const id = await product(10);
      const key = newKey('hold');
      const first = await sale.createHold({ productId: id, qty: 3, idempotencyKey: key });
      const again = await sale.createHold({ productId: id, qty: 3, idempotencyKey: key });
      expect(again).toEqual({ ...first, replayed: true });
      expect((await sale.getProduct(id)).availableStock).toBe(7);
      // The replayed token is the real one: it converts the hold.
      await expect(sale.createOrder({ holdId: again.holdId, token: again.token })).resolves.toMatchObject({ status: 'pending' });
    });

    it('refuses a hold key reused with another request with idempotency_key_reuse', async () => {
      const { sale, product } = await setup();
      const id = await product(10);
      const key = newKey('hold');
      await sale.createHold({ productId: id, qty: 1, idempotencyKey: key });
      await expect(sale.createHold({ productId: id, qty: 2, idempotencyKey: key })).rejects.toMatchObject({ code: 'idempotency_key_reuse' });
      expect((await sale.getProduct(id)).availableStock).toBe(9);
    });

    it('does not remember a refused hold: the same key may succeed once stock is back', async () => {
      const { sale, product } = await setup();
      const id = await product(1);
      const key = newKey('hold');
      await expect(sale.createHold({ productId: id, qty: 2, idempotencyKey: key })).rejects.toMatchObject({ code: 'insufficient_stock' });
      await sale.restock({ productId: id, qty: 1 });
      await expect(sale.createHold({ productId: id, qty: 2, idempotencyKey: key })).resolves.toMatchObject({ replayed: false });
    });

    it('replays a keyed order and refuses its key with another hold', async () => {
      const { sale, product } = await setup();
      const id = await product(10);
      const hold = await sale.createHold({ productId: id, qty: 1 });
      const other = await sale.createHold({ productId: id, qty: 1 });
      const key = newKey('order');
      const first = await sale.createOrder({ holdId: hold.holdId, token: hold.token, idempotencyKey: key });
      await expect(sale.createOrder({ holdId: hold.holdId, token: hold.token, idempotencyKey: key })).resolves.toEqual({ ...first, replayed: true });
      await expect(sale.createOrder({ holdId: other.holdId, token: other.token, idempotencyKey: key })).rejects.toMatchObject({ code: 'idempotency_key_reuse' });
    });

    it('replays a payment with its first answer, and 422s the key with another body', async () => {
      const { sale, product } = await setup();
      const id = await product(5);
      const order = await pendingOrder(sale, id, 2);
      const key = newKey('pay');
      const first = await sale.applyPayment({ orderId: order.orderId, status: 'failed', idempotencyKey: key });
      const again = await sale.applyPayment({ orderId: order.orderId, status: 'failed', idempotencyKey: key });
      expect(again).toEqual({ ...first, replayed: true });
      expect((await sale.getProduct(id)).availableStock).toBe(5);
      await expect(sale.applyPayment({ orderId: order.orderId, status: 'success', idempotencyKey: key })).rejects.toMatchObject({ code: 'idempotency_key_reuse' });
      await expect(sale.applyPayment({ orderId: order.orderId, status: 'failed', txnId: 'T-2', idempotencyKey: key })).rejects.toMatchObject({ code: 'idempotency_key_reuse' });
    });

    it('replays a stored payment_conflict as a refusal marked replayed', async () => {
      const { sale, product } = await setup();
      const order = await pendingOrder(sale, await product(5));
      await sale.applyPayment({ orderId: order.orderId, status: 'success', idempotencyKey: newKey() });
      const key = newKey('pay');
      await expect(sale.applyPayment({ orderId: order.orderId, status: 'failed', idempotencyKey: key })).rejects.toMatchObject({ code: 'payment_conflict', replayed: false });
      await expect(sale.applyPayment({ orderId: order.orderId, status: 'failed', idempotencyKey: key })).rejects.toMatchObject({ code: 'payment_conflict', replayed: true });
    });

    it('applies 50 concurrent deliveries of one failed-payment key exactly once', async () => {
      const { sale, product } = await setup();
      const id = await product(10);
      const order = await pendingOrder(sale, id, 4);
      const key = newKey('pay');
      const { ok, errors } = await settle(
        Array.from({ length: 50 }, () => sale.applyPayment({ orderId: order.orderId, status: 'failed', idempotencyKey: key })),
      );
      // A duplicate either waits and replays, or is told the first is still in flight: never a second effect.
      expect(codes(errors).every((code) => code === 'idempotency_in_flight')).toBe(true);
      expect(ok.filter((r) => !r.replayed)).toHaveLength(1);
      expect(ok.every((r) => r.orderStatus === 'failed')).toBe(true);
      expect((await sale.getProduct(id)).availableStock).toBe(10);
    });

    it('takes stock once for 50 concurrent holds with one key', async () => {
      const { sale, product } = await setup();
      const id = await product(100);
      const key = newKey('hold');
      const { ok, errors } = await settle(Array.from({ length: 50 }, () => sale.createHold({ productId: id, qty: 2, idempotencyKey: key })));
      expect(codes(errors).every((code) => code === 'idempotency_in_flight')).toBe(true);
      expect(new Set(ok.map((h) => h.holdId)).size).toBe(1);
      expect(new Set(ok.map((h) => h.token)).size).toBe(1);
      expect((await sale.getProduct(id)).availableStock).toBe(98);
    });

    it('settles concurrent opposite outcomes with different keys one way only', async () => {
      const { sale, product } = await setup();
      const id = await product(10);
      const order = await pendingOrder(sale, id, 3);
      const { ok, errors } = await settle(
        Array.from({ length: 20 }, (_, i) =>
          sale.applyPayment({ orderId: order.orderId, status: i % 2 ? 'success' : 'failed', idempotencyKey: newKey('race') }),
        ),
      );
      const outcomes = new Set(ok.map((r) => r.orderStatus));
      expect(outcomes.size).toBe(1);
      expect(ok.filter((r) => r.effect !== 'none')).toHaveLength(1);
      expect(codes(errors).every((code) => code === 'payment_conflict')).toBe(true);
      expect(ok.length + errors.length).toBe(20);
      expect((await sale.getProduct(id)).availableStock).toBe(outcomes.has('failed') ? 10 : 7);
    });
  });
}
