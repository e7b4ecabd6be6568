import { describe, expect, it } from 'vitest';
import { createFlashSale } from '../../engine.js';
import type { FlashSaleEvent } from '../../events.js';
import { settle } from '../harness.js';
import { newKey, pendingOrder } from './flow.js';
import type { Setup } from './setup.js';

export function soldOutCases(setup: Setup): void {
  describe('sold-out fast path', () => {
    it('refuses a sold-out stampede without asking the store again', async () => {
      const events: FlashSaleEvent[] = [];
      const { sale, product } = await setup({ onEvent: (e) => events.push(e) });
      const id = await product(3);
      await sale.createHold({ productId: id, qty: 3 });
      events.length = 0;
      const { ok, errors } = await settle(Array.from({ length: 200 }, () => sale.createHold({ productId: id, qty: 1 })));
      expect(ok).toHaveLength(0);
      expect(errors).toHaveLength(200);
      expect(events.filter((e) => e.type === 'reserve_batch')).toEqual([]);
      expect(events.filter((e) => e.type === 'hold_rejected' && e.soldOutCache)).toHaveLength(200);
    });

    it('refuses the stampede queued behind the request that took the last unit, without another store call', async () => {
      const events: FlashSaleEvent[] = [];
      const { sale, product } = await setup({ onEvent: (e) => events.push(e) });
      const id = await product(1);
      const last = sale.createHold({ productId: id, qty: 1 });
      // Its reservation is now on its way to the store; the stampede queues behind it.
      await new Promise((resolve) => setImmediate(resolve));
      const stampede = settle(Array.from({ length: 100 }, () => sale.createHold({ productId: id, qty: 1 })));
      await expect(last).resolves.toMatchObject({ qty: 1 });
      const { ok, errors } = await stampede;
      expect(ok).toHaveLength(0);
      expect(errors.map((e) => (e as { code: string }).code)).toEqual(Array(100).fill('insufficient_stock'));
      expect(events.filter((e) => e.type === 'reserve_batch')).toEqual([expect.objectContaining({ size: 1 })]);
      expect(events.filter((e) => e.type === 'hold_rejected' && e.soldOutCache)).toHaveLength(100);
    });

    it('still gives a keyed retry queued behind that request its hold back', async () => {
      const { sale, product } = await setup();
      const id = await product(2);
      const granted = await sale.createHold({ productId: id, qty: 1, idempotencyKey: 'queued-retry' });
      const last = sale.createHold({ productId: id, qty: 1 });
      await new Promise((resolve) => setImmediate(resolve));
      const retry = sale.createHold({ productId: id, qty: 1, idempotencyKey: 'queued-retry' });
      const stampede = settle(Array.from({ length: 20 }, () => sale.createHold({ productId: id, qty: 1 })));
      await expect(last).resolves.toMatchObject({ qty: 1 });
      await expect(retry).resolves.toEqual({ ...granted, replayed: true });
      expect((await stampede).ok).toHaveLength(0);
    });

    it('sends one probe to the store per half time to live while the product stays sold out', async () => {
      const events: FlashSaleEvent[] = [];
      const { sale, product, clock } = await setup({ soldOutTtlMs: 1_000, onEvent: (e) => events.push(e) });
      const id = await product(1);
      await sale.createHold({ productId: id, qty: 1 });
      clock.advance(500);
      events.length = 0;
      const { ok } = await settle(Array.from({ length: 100 }, () => sale.createHold({ productId: id, qty: 1 })));
      expect(ok).toHaveLength(0);
      expect(events.filter((e) => e.type === 'reserve_batch')).toEqual([expect.objectContaining({ size: 1 })]);
      // The probe found nothing left, so the next 499 ms are answered from memory again.
      clock.advance(499);
      events.length = 0;
      await settle(Array.from({ length: 10 }, () => sale.createHold({ productId: id, qty: 1 })));
      expect(events.filter((e) => e.type === 'reserve_batch')).toEqual([]);
    });

    it('serves again at once when this engine returns stock', async () => {
      const { sale, product, clock } = await setup({ holdTtlMs: 1_000, soldOutTtlMs: 60_000 });
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

    it('sees stock returned by another process within the cache time to live, never later', async () => {
      const { sale, store, product, clock } = await setup({ soldOutTtlMs: 1_000 });
      const id = await product(1);
      const order = await pendingOrder(sale, id, 1);
      // A second engine on the same store stands for another server process with its own cache.
      const otherProcess = createFlashSale({ store, clock });
      await otherProcess.applyPayment({ orderId: order.orderId, status: 'failed', idempotencyKey: newKey() });
      await expect(sale.createHold({ productId: id, qty: 1 })).rejects.toMatchObject({ code: 'insufficient_stock' });
      clock.advance(1_000);
      await expect(sale.createHold({ productId: id, qty: 1 })).resolves.toMatchObject({ qty: 1 });
    });

    it('asks the store every time when the fast path is off', async () => {
      const { sale, store, product, clock } = await setup({ soldOutTtlMs: 0 });
      const id = await product(1);
      const order = await pendingOrder(sale, id, 1);
      await createFlashSale({ store, clock }).applyPayment({ orderId: order.orderId, status: 'failed', idempotencyKey: newKey() });
      await expect(sale.createHold({ productId: id, qty: 1 })).resolves.toMatchObject({ qty: 1 });
    });

    it('does not treat a too-large request as a sell-out', async () => {
      const { sale, product } = await setup({ soldOutTtlMs: 60_000 });
      const id = await product(3);
      await expect(sale.createHold({ productId: id, qty: 5 })).rejects.toMatchObject({ code: 'insufficient_stock' });
      await expect(sale.createHold({ productId: id, qty: 3 })).resolves.toMatchObject({ qty: 3 });
    });
  });
}
