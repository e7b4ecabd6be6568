import { describe, expect, it } from 'vitest';
import type { FlashSale } from '../../api.js';
import type { EventSink } from '../../event-delivery.js';
import type { MerchantEvent } from '../../merchant-events.js';
import type { ClaimedEventDelivery, FlashSaleStore } from '../../store.js';
import { newKey, pendingOrder } from './flow.js';
import type { Setup } from './setup.js';

const LEASE = 30_000;
const SINK = 'test:sink';

/** Claims with the lease the loop would give. */
const claim = (store: FlashSaleStore, now: number, limit = 100, sink = SINK) => store.claimEventDeliveries({ sink, now, leaseUntil: now + LEASE, limit });

const positions = (claimed: ClaimedEventDelivery[]) => claimed.map((c) => c.event.position);

/** Settles every claimed delivery as delivered. */
const deliverAll = (store: FlashSaleStore, now: number, claimed: ClaimedEventDelivery[], sink = SINK) =>
  store.settleEventDeliveries({ sink, now, settlements: claimed.map((c) => ({ position: c.event.position, attempt: c.attempt, outcome: 'delivered' as const })) });

/** An order that is created and then paid: two events of one order, then one of another order. */
async function twoOrders(sale: FlashSale, productId: number) {
  const first = await pendingOrder(sale, productId, 1);
  await sale.applyPayment({ orderId: first.orderId, status: 'success', idempotencyKey: newKey() });
  const second = await pendingOrder(sale, productId, 1);
  return { first, second };
}

/**
 * Events for the merchant, pushed: each sink's queue in the store. A new sink gets what commits
 * after it; a claimed delivery is leased to one claimer; an order's events go one at a time and
 * in order; settlements only apply to the attempt they answer; redelivery and purging; and the
 * core's loop over a failing receiver delivers everything at least once.
 */
export function eventDeliveryCases(setup: Setup, connectAgain?: (store: FlashSaleStore) => Promise<FlashSaleStore>): void {
  describe('merchant events pushed: the delivery queue', () => {
    it('a new sink gets the events committed after it registered, in position order, first attempt 1; an unknown sink gets nothing', async () => {
      const { sale, store, product, clock } = await setup();
      const id = await product(10);
      await pendingOrder(sale, id, 1);
      await store.registerEventSink({ sink: SINK, now: clock() });
      await store.registerEventSink({ sink: SINK, now: clock() });
      await twoOrders(sale, id);
      const after = (await sale.readEvents({ limit: 1000 })).events.slice(1);

      const claimed = await claim(store, clock());
      expect(claimed.map((c) => ({ id: c.event.id, type: c.event.type, position: c.event.position, attempt: c.attempt }))).toEqual(
        // The second order's order.created is not blocked by the first order's pending events.
        [after[0]!, after[2]!].map((e) => ({ id: e.id, type: e.type, position: e.position, attempt: 1 })),
      );
      expect(claimed[0]!.event.data).toMatchObject({ order_id: expect.any(Number), status: 'pending' });
      expect(await claim(store, clock(), 100, 'test:unknown')).toEqual([]);
    });

    it('a claimed delivery is leased: not claimed again before the lease ends, claimed as attempt 2 after it', async () => {
      const { sale, store, product, clock } = await setup();
      const id = await product(10);
      await store.registerEventSink({ sink: SINK, now: clock() });
      await sale.restock({ productId: id, qty: 1 });
      const first = await claim(store, clock());
      expect(first.map((c) => c.attempt)).toEqual([1]);
      clock.advance(LEASE - 1);
      expect(await claim(store, clock())).toEqual([]);
      clock.advance(1);
      const again = await claim(store, clock());
      expect(again.map((c) => [c.event.position, c.attempt])).toEqual([[first[0]!.event.position, 2]]);
    });

    it('settled: delivered and dead are never claimed again; a retry waits until its time; a stale attempt changes nothing', async () => {
      const { sale, store, product, clock } = await setup();
      const id = await product(10);
      await store.registerEventSink({ sink: SINK, now: clock() });
      for (let i = 0; i < 3; i += 1) await sale.restock({ productId: id, qty: 1 });
      const [delivered, retried, dead] = await claim(store, clock());
      const now = clock();
      await store.settleEventDeliveries({
        sink: SINK,
        now,
        settlements: [
          { position: delivered!.event.position, attempt: 1, outcome: 'delivered' },
          { position: retried!.event.position, attempt: 1, outcome: 'retry', retryAt: now + 5_000, error: 'HTTP 500' },
          { position: dead!.event.position, attempt: 1, outcome: 'dead', error: 'HTTP 500' },
        ],
      });
      clock.advance(4_999);
      expect(await claim(store, clock())).toEqual([]);
      clock.advance(1);
      const retry = await claim(store, clock());
      expect(retry.map((c) => [c.event.position, c.attempt])).toEqual([[retried!.event.position, 2]]);
      // An answer for attempt 1 arriving now is stale: attempt 2 is the one in flight.
      await store.settleEventDeliveries({ sink: SINK, now: clock(), settlements: [{ position: retried!.event.position, attempt: 1, outcome: 'delivered' }] });
      clock.advance(LEASE);
      expect((await claim(store, clock())).map((c) => [c.event.position, c.attempt])).toEqual([[retried!.event.position, 3]]);
      clock.advance(LEASE * 10);
      await deliverAll(store, clock(), await claim(store, clock()));
      expect(await claim(store, clock())).toEqual([]);
    });

    it("an order's events go one at a time, in position order, however the earlier one is settled", async () => {
      const { sale, store, product, clock } = await setup();
      const id = await product(10);
      await store.registerEventSink({ sink: SINK, now: clock() });
      const order = await pendingOrder(sale, id, 1);
      await sale.applyPayment({ orderId: order.orderId, status: 'failed', idempotencyKey: newKey() });
      const created = await claim(store, clock());
      expect(created.map((c) => c.event.type)).toEqual(['order.created']);
      // Waiting for a retry still holds the order's later events back.
      await store.settleEventDeliveries({ sink: SINK, now: clock(), settlements: [{ position: created[0]!.event.position, attempt: 1, outcome: 'retry', retryAt: clock() + 1_000, error: 'timeout' }] });
      expect(await claim(store, clock())).toEqual([]);
      clock.advance(1_000);
      const again = await claim(store, clock());
      expect(again.map((c) => [c.event.type, c.attempt])).toEqual([['order.created', 2]]);
      await store.settleEventDeliveries({ sink: SINK, now: clock(), settlements: [{ position: again[0]!.event.position, attempt: 2, outcome: 'dead', error: 'timeout' }] });
      expect((await claim(store, clock())).map((c) => c.event.type)).toEqual(['order.failed']);
    });

    it('at most `limit` per claim; sinks have queues of their own', async () => {
      const { sale, store, product, clock } = await setup();
      const id = await product(10);
      await store.registerEventSink({ sink: SINK, now: clock() });
      await store.registerEventSink({ sink: 'test:other', now: clock() });
      for (let i = 0; i < 5; i += 1) await sale.restock({ productId: id, qty: 1 });
      const firstThree = await claim(store, clock(), 3);
      expect(firstThree).toHaveLength(3);
      expect(positions(await claim(store, clock(), 3))).toEqual(positions(await claim(store, clock() + LEASE * 2, 10)).slice(3));
      expect(await claim(store, clock(), 10, 'test:other')).toHaveLength(5);
    });

    it('redelivery from a position sends delivered and dead events again, to every sink or to one; pending ones stay as they are', async () => {
      const { sale, store, product, clock } = await setup();
      const id = await product(10);
      await store.registerEventSink({ sink: SINK, now: clock() });
      await store.registerEventSink({ sink: 'test:other', now: clock() });
      for (let i = 0; i < 4; i += 1) await sale.restock({ productId: id, qty: 1 });
      const all = await claim(store, clock());
      await deliverAll(store, clock(), all);
      await deliverAll(store, clock(), await claim(store, clock(), 100, 'test:other'), 'test:other');
      const from = all[2]!.event.position;

      expect(await sale.redeliverEvents({ from, sink: SINK })).toBe(1);
      expect(positions(await claim(store, clock()))).toEqual(positions(all).slice(2));
      expect(await claim(store, clock(), 100, 'test:other')).toEqual([]);

      // Every sink, from the first position: the other sink's delivered events go again too.
      expect(await sale.redeliverEvents({ from: 1 })).toBe(2);
      expect(positions(await claim(store, clock(), 100, 'test:other'))).toEqual(positions(all));
      await expect(sale.redeliverEvents({ from: 0 })).rejects.toMatchObject({ code: 'invalid_input' });
    });

    it('the backlog: pending deliveries and the oldest event not yet delivered', async () => {
      const { sale, store, product, clock } = await setup();
      const id = await product(10);
      await store.registerEventSink({ sink: SINK, now: clock() });
      expect(await store.eventDeliveryBacklog({ sink: SINK })).toMatchObject({ pending: 0, oldestUndeliveredAt: undefined });
      const firstAt = clock();
      await sale.restock({ productId: id, qty: 1 });
      clock.advance(1_000);
      await sale.restock({ productId: id, qty: 1 });
      const lastPosition = (await sale.readEvents({ limit: 1000 })).events.at(-1)!.position;
      // Not yet enqueued: counted by its age all the same.
      expect(await store.eventDeliveryBacklog({ sink: SINK })).toEqual({ pending: 0, oldestUndeliveredAt: firstAt, lastPosition });
      const claimed = await claim(store, clock(), 1);
      expect(await store.eventDeliveryBacklog({ sink: SINK })).toEqual({ pending: 2, oldestUndeliveredAt: firstAt, lastPosition });
      await deliverAll(store, clock(), claimed);
      expect(await store.eventDeliveryBacklog({ sink: SINK })).toEqual({ pending: 1, oldestUndeliveredAt: firstAt + 1_000, lastPosition });
      await deliverAll(store, clock(), await claim(store, clock()));
      expect(await store.eventDeliveryBacklog({ sink: SINK })).toEqual({ pending: 0, oldestUndeliveredAt: undefined, lastPosition });
      expect(await store.eventDeliveryBacklog({ sink: 'test:unknown' })).toMatchObject({ pending: 0, oldestUndeliveredAt: undefined, lastPosition });
    });

    it('purging old events removes their deliveries, so a purged event never blocks its order', async () => {
      const { sale, store, product, clock } = await setup({ eventRetentionMs: 60_000 });
      const id = await product(10);
      await store.registerEventSink({ sink: SINK, now: clock() });
      const old = await pendingOrder(sale, id, 1);
      expect((await claim(store, clock())).map((c) => c.event.type)).toEqual(['order.created']);
      clock.advance(60_001);
      await sale.applyPayment({ orderId: old.orderId, status: 'failed', idempotencyKey: newKey() });
      expect(await sale.releaseExpired()).toMatchObject({ purgedEvents: 1 });
      clock.advance(LEASE);
      expect((await claim(store, clock())).map((c) => c.event.type)).toEqual(['order.failed']);
      expect(await store.eventDeliveryBacklog({ sink: SINK })).toMatchObject({ pending: 1 });
    });

    if (connectAgain) it('two connections claiming at once never claim the same delivery, and together claim each once', async () => {
      const { sale, store, product, clock } = await setup();
      const other = await connectAgain!(store);
      try {
        const id = await product(1000);
        await store.registerEventSink({ sink: SINK, now: clock() });
        for (let i = 0; i < 60; i += 1) await sale.restock({ productId: id, qty: 1 });
        const seen: number[] = [];
        const drain = async (s: FlashSaleStore) => {
          for (;;) {
            const claimed = await claim(s, clock(), 7);
            if (claimed.length === 0) return;
            seen.push(...positions(claimed));
            await deliverAll(s, clock(), claimed);
          }
        };
        await Promise.all([drain(store), drain(other), drain(store), drain(other)]);
        expect(seen).toHaveLength(60);
        expect(new Set(seen).size).toBe(60);
      } finally {
        await other.close();
      }
    });
  });

  describe('merchant events pushed: the delivery loop', () => {
    it('a receiver that fails at random still gets every event at least once, each order in order, none it should not', async () => {
      const { sale, product } = await setup({ clock: Date.now });
      const received: MerchantEvent[] = [];
      let calls = 0;
      const flaky: EventSink = {
        id: 'test:flaky',
        label: 'flaky',
        async deliver(event) {
          // Deliveries run concurrently, so each keeps its own number: reading the shared count
          // after the await could skip every failure.
          const call = (calls += 1);
          await new Promise((resolve) => setTimeout(resolve, call % 3));
          if (call % 3 === 0) throw new Error('HTTP 500');
          received.push(event);
        },
      };
      const delivery = await sale.startEventDelivery({ sinks: [flaky], pollIntervalMs: 5, retryDelayMs: 1, maxRetryDelayMs: 4, batchSize: 8 });
      try {
        const id = await product(40);
        const orders = await Promise.all(Array.from({ length: 12 }, () => pendingOrder(sale, id, 1)));
        await Promise.all(orders.map((o, i) => sale.applyPayment({ orderId: o.orderId, status: i % 2 ? 'success' : 'failed', idempotencyKey: newKey() })));
        await sale.restock({ productId: id, qty: 3 });
        const expected = (await sale.readEvents({ limit: 1000 })).events;
        expect(expected).toHaveLength(12 * 2 + 1);
        for (let waited = 0; new Set(received.map((e) => e.id)).size < expected.length; waited += 10) {
          if (waited > 20_000) throw new Error(`only ${new Set(received.map((e) => e.id)).size} of ${expected.length} events delivered`);
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
        expect(calls).toBeGreaterThan(expected.length);
        expect(new Set(received.map((e) => e.id))).toEqual(new Set(expected.map((e) => e.id)));
        const byOrder = new Map<number, string[]>();
        for (const event of received) {
          if ('orderId' in event.data) byOrder.set(event.data.orderId, [...(byOrder.get(event.data.orderId) ?? []), event.type]);
        }
        for (const types of byOrder.values()) expect(types[0]).toBe('order.created');
        // The receiver has an event before the loop records it delivered (its batch settles after
        // the batch's last answer), so the queue empties a moment after the last arrival.
        const drained = () => delivery.backlog().then((all) => all.map((b) => ({ pending: b.pending, oldest: b.oldestUndeliveredAt })));
        for (let waited = 0; JSON.stringify(await drained()) !== JSON.stringify([{ pending: 0 }]) && waited < 5_000; waited += 10) {
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
        expect(await drained()).toEqual([{ pending: 0, oldest: undefined }]);
      } finally {
        await delivery.stop();
      }
    });

    it('an event still failing at its maximum age is marked dead and reported once', async () => {
      const { sale, product } = await setup({ clock: Date.now });
      const outcomes: string[] = [];
      const down: EventSink = {
        id: 'test:down',
        label: 'down',
        deliver: () => Promise.reject(new Error('connect ECONNREFUSED')),
      };
      const delivery = await sale.startEventDelivery({ sinks: [down], maxAgeMs: 150, pollIntervalMs: 5, retryDelayMs: 10, maxRetryDelayMs: 40, onAttempt: (report) => outcomes.push(report.outcome) });
      try {
        await sale.restock({ productId: await product(1), qty: 1 });
        for (let waited = 0; !outcomes.includes('dead'); waited += 10) {
          if (waited > 5_000) throw new Error(`never dead: ${outcomes.join(',')}`);
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
        expect(outcomes.filter((o) => o === 'dead')).toHaveLength(1);
        expect(outcomes.slice(0, -1).every((o) => o === 'retry')).toBe(true);
        expect(outcomes.length).toBeGreaterThan(1);
        expect((await delivery.backlog())[0]).toMatchObject({ pending: 0, oldestUndeliveredAt: undefined });
      } finally {
        await delivery.stop();
      }
    });
  });
}
