import { describe, expect, it } from 'vitest';
import type { FlashSale } from '../../api.js';
import { createFlashSale } from '../../engine.js';
import type { MerchantEvent } from '../../merchant-events.js';
import type { FlashSaleStore } from '../../store.js';
import { settle } from '../harness.js';
import { newKey, pendingOrder } from './flow.js';
import type { Setup } from './setup.js';

const TTL = 60_000;
const PAYMENT_TTL = 120_000;

/** Every event kept, read page by page from the start. */
async function allEvents(sale: FlashSale, limit = 1000): Promise<MerchantEvent[]> {
  const events: MerchantEvent[] = [];
  for (let after = 0; ; ) {
    const page = await sale.readEvents({ after, limit });
    events.push(...page.events);
    if (page.events.length < limit) return events;
    after = page.next;
  }
}

/** What a case asserts on: the type and data, in position order. */
const shapes = (events: MerchantEvent[]) => events.map(({ type, data }) => ({ type, data }));

/** The events after `after`, as shapes. */
async function eventsSince(sale: FlashSale, after: number) {
  return shapes((await sale.readEvents({ after, limit: 1000 })).events);
}

/** The position of the last event kept (0 when there is none). */
async function lastPosition(sale: FlashSale): Promise<number> {
  return (await allEvents(sale)).at(-1)?.position ?? 0;
}

/**
 * Events for the merchant: each use case appends exactly its events in its own unit, a refusal
 * appends none, positions only grow in commit order, and a release pass purges old ones.
 */
export function merchantEventCases(setup: Setup, connectAgain?: (store: FlashSaleStore) => Promise<FlashSaleStore>): void {
  describe('merchant events: what each use case appends', () => {
    it('an order and its payment: order.created then order.completed, stamped by the engine clock, never carrying the token', async () => {
      const { sale, product, clock } = await setup({ paymentTtlMs: PAYMENT_TTL });
      const id = await product(10, '12.34');
      const hold = await sale.createHold({ productId: id, qty: 2 });
      const createdAt = clock();
      const order = await sale.createOrder({ holdId: hold.holdId, token: hold.token });
      clock.advance(5_000);
      await sale.applyPayment({ orderId: order.orderId, status: 'success', txnId: 'txn-1', idempotencyKey: newKey() });

      const events = await allEvents(sale);
      const data = { orderId: order.orderId, holdId: hold.holdId, productId: id, qty: 2, amountCents: 2468, amount: '24.68' };
      expect(events.map(({ type, createdAt, data }) => ({ type, createdAt, data }))).toEqual([
        { type: 'order.created', createdAt, data: { ...data, status: 'pending' } },
        { type: 'order.completed', createdAt: createdAt + 5_000, data: { ...data, status: 'completed' } },
      ]);
      expect(events[0]!.position).toBeGreaterThan(0);
      expect(events[1]!.position).toBeGreaterThan(events[0]!.position);
      expect(new Set(events.map((e) => e.id)).size).toBe(2);
      for (const event of events) expect(event.id).toMatch(/^[\w-]{8,}$/);
      const text = JSON.stringify(events);
      expect(text).not.toContain(hold.token);
      expect(text.toLowerCase()).not.toContain('token');
    });

    it('a failed payment: order.failed; a repeat with the same key and a conflicting outcome append nothing', async () => {
      const { sale, product } = await setup();
      const id = await product(5);
      const order = await pendingOrder(sale, id, 1);
      const key = newKey();
      await sale.applyPayment({ orderId: order.orderId, status: 'failed', idempotencyKey: key });
      const after = await lastPosition(sale);
      await sale.applyPayment({ orderId: order.orderId, status: 'failed', idempotencyKey: key });
      await sale.applyPayment({ orderId: order.orderId, status: 'failed', idempotencyKey: newKey() });
      await expect(sale.applyPayment({ orderId: order.orderId, status: 'success', idempotencyKey: newKey() })).rejects.toMatchObject({ code: 'payment_conflict' });
      expect(await eventsSince(sale, 0)).toEqual([
        { type: 'order.created', data: expect.objectContaining({ orderId: order.orderId, status: 'pending' }) },
        { type: 'order.failed', data: expect.objectContaining({ orderId: order.orderId, status: 'failed' }) },
      ]);
      expect(await eventsSince(sale, after)).toEqual([]);
    });

    it('an order past its deadline: order.expired from the pass; paid late, order.completed when the stock is back, order.refund_due when it is gone', async () => {
      const { sale, product, clock } = await setup({ paymentTtlMs: PAYMENT_TTL });
      const id = await product(2);
      const retaken = await pendingOrder(sale, id, 1);
      const refunded = await pendingOrder(sale, id, 1);
      clock.advance(PAYMENT_TTL);
      const passAt = clock();
      const start = await lastPosition(sale);
      await sale.releaseExpired();
      const expired = (await sale.readEvents({ after: start })).events;
      expect(expired.map(({ type, createdAt, data }) => ({ type, createdAt, orderId: (data as { orderId: number }).orderId }))).toEqual(
        expect.arrayContaining([
          { type: 'order.expired', createdAt: passAt, orderId: retaken.orderId },
          { type: 'order.expired', createdAt: passAt, orderId: refunded.orderId },
        ]),
      );
      expect(expired).toHaveLength(2);

      // One unit goes to another buyer: the first late payment retakes the last unit, the second finds none.
      await sale.createHold({ productId: id, qty: 1 });
      const beforePayments = await lastPosition(sale);
      await sale.applyPayment({ orderId: retaken.orderId, status: 'success', idempotencyKey: newKey() });
      const retakenAt = await lastPosition(sale);
      await sale.applyPayment({ orderId: refunded.orderId, status: 'success', idempotencyKey: newKey() });
      // The retake took the last unit: the product sold out in the same unit as the order completed.
      const retakeEvents = (await sale.readEvents({ after: beforePayments })).events.filter((e) => e.position <= retakenAt);
      expect(shapes(retakeEvents).sort((a, b) => a.type.localeCompare(b.type))).toEqual([
        { type: 'order.completed', data: expect.objectContaining({ orderId: retaken.orderId, status: 'completed' }) },
        { type: 'product.sold_out', data: { productId: id } },
      ]);
      expect(await eventsSince(sale, retakenAt)).toEqual([
        { type: 'order.refund_due', data: expect.objectContaining({ orderId: refunded.orderId, status: 'refund_due' }) },
      ]);
    });

    it('a hold released by its buyer: hold.released once; a hold that expires appends nothing', async () => {
      const { sale, product, clock } = await setup({ holdTtlMs: TTL });
      const id = await product(10);
      const released = await sale.createHold({ productId: id, qty: 3 });
      await sale.createHold({ productId: id, qty: 2 });
      const releasedAt = clock();
      await sale.releaseHold({ holdId: released.holdId, token: released.token });
      await sale.releaseHold({ holdId: released.holdId, token: released.token });
      clock.advance(TTL);
      expect(await sale.releaseExpired()).toMatchObject({ holds: 1 });
      const events = await allEvents(sale);
      expect(events.map(({ type, createdAt, data }) => ({ type, createdAt, data }))).toEqual([
        { type: 'hold.released', createdAt: releasedAt, data: { holdId: released.holdId, productId: id, qty: 3 } },
      ]);
    });

    it('the last units taken: product.sold_out; a restock: product.restocked with the units and the stock after it', async () => {
      const { sale, product, clock } = await setup();
      const id = await product(3);
      await sale.createHold({ productId: id, qty: 1 });
      clock.advance(1_000);
      const soldOutAt = clock();
      await sale.createHold({ productId: id, qty: 2 });
      await expect(sale.createHold({ productId: id, qty: 1 })).rejects.toMatchObject({ code: 'insufficient_stock' });
      clock.advance(1_000);
      await sale.restock({ productId: id, qty: 5 });
      const events = await allEvents(sale);
      expect(events.map(({ type, createdAt, data }) => ({ type, createdAt, data }))).toEqual([
        { type: 'product.sold_out', createdAt: soldOutAt, data: { productId: id } },
        { type: 'product.restocked', createdAt: soldOutAt + 1_000, data: { productId: id, qty: 5, availableStock: 5 } },
      ]);
    });

    it('a refused request appends nothing', async () => {
      const { sale, product, clock } = await setup({ holdTtlMs: TTL });
      const id = await product(1);
      const hold = await sale.createHold({ productId: id, qty: 1 });
      const start = await lastPosition(sale);
      const wrongToken = hold.token.replace(/.$/, (c) => (c === '0' ? '1' : '0'));
      const refusals = await settle<unknown>([
        sale.createHold({ productId: id, qty: 1 }),
        sale.createHold({ productId: 9_999, qty: 1 }),
        sale.createOrder({ holdId: hold.holdId, token: wrongToken }),
        sale.releaseHold({ holdId: hold.holdId, token: wrongToken }),
        sale.applyPayment({ orderId: 9_999, status: 'success', idempotencyKey: newKey() }),
        sale.restock({ productId: 9_999, qty: 1 }),
      ]);
      expect(refusals.ok).toEqual([]);
      clock.advance(TTL);
      await expect(sale.createOrder({ holdId: hold.holdId, token: hold.token })).rejects.toMatchObject({ code: 'hold_expired' });
      await expect(sale.releaseHold({ holdId: hold.holdId, token: hold.token })).rejects.toMatchObject({ code: 'hold_expired' });
      expect(await eventsSince(sale, start)).toEqual([]);
    });
  });

  describe('merchant events: batches, positions, reads and purge', () => {
    it('a coalesced stampede appends one product.sold_out, and concurrent orders one order.created each', async () => {
      const { sale, product } = await setup();
      const id = await product(20);
      const attempts = await Promise.all(Array.from({ length: 60 }, () => sale.tryCreateHold({ productId: id, qty: 1 })));
      const holds = attempts.flatMap((a) => (a.ok ? [a.hold] : []));
      expect(holds).toHaveLength(20);
      const orders = await Promise.all(holds.map((h) => sale.createOrder({ holdId: h.holdId, token: h.token })));
      const events = await allEvents(sale);
      expect(events.filter((e) => e.type === 'product.sold_out')).toHaveLength(1);
      const created = events.filter((e) => e.type === 'order.created').map((e) => (e.data as { orderId: number }).orderId);
      expect(created.sort((a, b) => a - b)).toEqual(orders.map((o) => o.orderId).sort((a, b) => a - b));
      expect(events).toHaveLength(21);
    });

    it('positions strictly increase, and pages of `limit` after `next` read every event once, in order', async () => {
      const { sale, product } = await setup();
      const id = await product(50);
      for (let i = 0; i < 7; i++) await pendingOrder(sale, id, 1);
      const all = await allEvents(sale);
      expect(all).toHaveLength(7);
      for (let i = 1; i < all.length; i++) expect(all[i]!.position).toBeGreaterThan(all[i - 1]!.position);
      const paged: MerchantEvent[] = [];
      let after = 0;
      for (;;) {
        const page = await sale.readEvents({ after, limit: 3 });
        expect(page.events.length).toBeLessThanOrEqual(3);
        if (page.events.length === 0) {
          expect(page.next).toBe(after);
          break;
        }
        paged.push(...page.events);
        after = page.next;
        expect(after).toBe(page.events.at(-1)!.position);
      }
      expect(paged).toEqual(all);
      expect((await sale.readEvents({ after: all[3]!.position })).events).toEqual(all.slice(4));
      expect((await sale.readEvents()).events).toEqual(all);
    });

    it('refuses a bad position or limit with invalid_input', async () => {
      const { sale } = await setup();
      for (const input of [{ after: -1 }, { after: 1.5 }, { limit: 0 }, { limit: 1001 }, { after: Number.NaN }]) {
        await expect(sale.readEvents(input)).rejects.toMatchObject({ code: 'invalid_input' });
      }
    });

    it('a reader polling while writers commit never skips an event', async () => {
      const { sale, store, product } = await setup();
      const second = connectAgain ? await connectAgain(store) : undefined;
      const other = second ? createFlashSale({ store: second }) : sale;
      try {
        const id = await product(200);
        const seen: MerchantEvent[] = [];
        let after = 0;
        let writing = true;
        const reader = (async () => {
          for (;;) {
            const done = !writing;
            const page = await sale.readEvents({ after, limit: 7 });
            seen.push(...page.events);
            after = page.next;
            if (done && page.events.length === 0) return;
            await new Promise((resolve) => setTimeout(resolve, 1));
          }
        })();
        const writers = [sale, other].map(async (engine) => {
          for (let i = 0; i < 30; i++) {
            const hold = await engine.createHold({ productId: id, qty: 1 });
            await engine.createOrder({ holdId: hold.holdId, token: hold.token });
          }
        });
        await Promise.all(writers);
        writing = false;
        await reader;
        const all = await allEvents(sale);
        expect(all).toHaveLength(60);
        expect(seen.map((e) => e.id)).toEqual(all.map((e) => e.id));
      } finally {
        if (second) await other.close();
      }
    });

    it('readers on two connections numbering at once while writers commit hand out every position once, with no gap', async () => {
      const { sale, store, product } = await setup();
      const second = connectAgain ? await connectAgain(store) : store;
      try {
        const id = await product(100);
        const writes = Array.from({ length: 30 }, () => pendingOrder(sale, id, 1));
        const reads = Array.from({ length: 10 }, (_, i) => (i % 2 ? store : second).readMerchantEvents({ after: 0, limit: 1000 }));
        await Promise.all([...writes, ...reads]);
        const all = await store.readMerchantEvents({ after: 0, limit: 1000 });
        expect(all.map((e) => e.position)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
      } finally {
        if (second !== store) await second.close();
      }
    });

    it('a release pass purges events older than the retention, and reports how many', async () => {
      const retention = 3_600_000;
      const { sale, product, clock } = await setup({ eventRetentionMs: retention });
      const id = await product(10);
      await pendingOrder(sale, id, 1);
      await pendingOrder(sale, id, 1);
      clock.advance(retention);
      const kept = await pendingOrder(sale, id, 1);
      expect(await sale.releaseExpired()).toMatchObject({ purgedEvents: 0 });
      clock.advance(1);
      const summary = await sale.releaseExpired();
      // The two first orders also expired in this pass (their deadline passed): their new events stay.
      expect(summary.purgedEvents).toBe(2);
      const left = await allEvents(sale);
      expect(left.map((e) => e.type)).toEqual(['order.created', 'order.expired', 'order.expired']);
      expect(left[0]).toMatchObject({ type: 'order.created', data: { orderId: kept.orderId } });
      const next = await pendingOrder(sale, id, 1);
      const newest = (await sale.readEvents({ after: left.at(-1)!.position })).events;
      expect(newest).toEqual([expect.objectContaining({ type: 'order.created', data: expect.objectContaining({ orderId: next.orderId }) })]);
    });
  });
}
