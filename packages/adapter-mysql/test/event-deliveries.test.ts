import type { ClaimedEventDelivery } from '@flashsale/core';
import mysql, { type RowDataPacket } from 'mysql2/promise';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { MysqlStore } from '../src/index.js';
import { adminPool, closeTestStores, endAdminPool, MYSQL_URL, openTestStore, urlFor } from './support/test-database.js';

/**
 * The delivery queue of pushed merchant events on one database shared by two pools, as by two
 * processes: claims split the work, never hand out one attempt twice, respect leases, and keep an
 * order's events one at a time, in order.
 */
describe.skipIf(!MYSQL_URL)('mysql event deliveries across two pools', () => {
  const stores: MysqlStore[] = [];
  afterEach(async () => {
    await closeTestStores(stores.splice(0));
  });
  afterAll(endAdminPool);

  const NOW = 1_000_000;
  const LEASE = 60_000;
  const SINK = 'webhook:test';

  async function twoStores(): Promise<[MysqlStore, MysqlStore]> {
    const a = await openTestStore({ poolSize: 4 });
    const b = await openTestStore({ database: a.database, migrate: false, poolSize: 4 });
    stores.push(a, b);
    await a.registerEventSink({ sink: SINK, now: NOW });
    return [a, b];
  }

  /** Appends events as the triggers would, in one commit: an order's event when `orderOf(i)` names one, a product event otherwise. */
  let appended = 0;
  /** Appends events as the triggers would, in one commit: an order's event when `orderOf(i)` names one, a product event otherwise. Answers their ids. */
  async function appendEvents(store: MysqlStore, count: number, orderOf: (i: number) => number | undefined): Promise<string[]> {
    const rows = Array.from({ length: count }, (_, i) => {
      const order = orderOf(i);
      const id = `evt_test_${++appended}`;
      return order === undefined
        ? [id, 'product.restocked', NOW - 10_000 + i, JSON.stringify({ product_id: 1, qty: 1 })]
        : [id, 'order.created', NOW - 10_000 + i, JSON.stringify({ order_id: order, hold_id: order, product_id: 1, qty: 1, amount_cents: 100, status: 'pending' })];
    });
    await adminPool().query(`INSERT INTO \`${store.database}\`.merchant_events (id, type, created_at, data) VALUES ?`, [rows]);
    return rows.map((row) => row[0] as string);
  }

  const claim = (store: MysqlStore, limit: number, now = NOW) => store.claimEventDeliveries({ sink: SINK, now, leaseUntil: now + LEASE, limit });
  const delivered = (claimed: readonly ClaimedEventDelivery[]) => claimed.map((c) => ({ position: c.event.position, attempt: c.attempt, outcome: 'delivered' as const }));
  const positions = (claimed: readonly ClaimedEventDelivery[]) => claimed.map((c) => c.event.position);

  it('two pools claiming at once hand out every delivery exactly once, and never one attempt twice', async () => {
    const [a, b] = await twoStores();
    // A third of the events belong to 40 orders, the rest to none.
    await appendEvents(a, 500, (i) => (i % 3 === 0 ? 1 + (i % 40) : undefined));
    const seen: Array<{ pool: string; position: number; attempt: number }> = [];
    const done = new Set<number>();
    const work = async (pool: string, store: MysqlStore) => {
      for (let round = 0; done.size < 500 && round < 2_000; round++) {
        const claimed = await claim(store, 8);
        for (const c of claimed) seen.push({ pool, position: c.event.position, attempt: c.attempt });
        await store.settleEventDeliveries({ sink: SINK, now: NOW, settlements: delivered(claimed) });
        for (const c of claimed) done.add(c.event.position);
        if (claimed.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
      }
    };
    await Promise.all([work('a', a), work('b', b), work('a', a), work('b', b)]);

    const attempts = seen.map((s) => `${s.position}/${s.attempt}`);
    expect(new Set(attempts).size).toBe(attempts.length);
    // Each event once, first attempt: no lease ended, nothing claimed twice.
    expect(seen.map((s) => s.position).sort((x, y) => x - y)).toEqual(Array.from({ length: 500 }, (_, i) => i + 1));
    expect(new Set(seen.map((s) => s.attempt))).toEqual(new Set([1]));
    expect(new Set(seen.map((s) => s.pool))).toEqual(new Set(['a', 'b']));
    expect(await b.eventDeliveryBacklog({ sink: SINK })).toEqual({ pending: 0, oldestUndeliveredAt: undefined, lastPosition: 500 });
  }, 60_000);

  it('an attempt in flight is not claimed by the other pool before its lease ends, then is, once; the late answer of the first changes nothing', async () => {
    const [a, b] = await twoStores();
    await appendEvents(a, 1, () => undefined);
    const [first] = await a.claimEventDeliveries({ sink: SINK, now: NOW, leaseUntil: NOW + 1_000, limit: 10 });
    expect(first).toMatchObject({ attempt: 1, event: { position: 1, type: 'product.restocked', data: { product_id: 1, qty: 1 } } });

    expect(await claim(b, 10, NOW + 999)).toEqual([]);
    const again = await claim(b, 10, NOW + 1_001);
    expect(again.map((c) => ({ position: c.event.position, attempt: c.attempt }))).toEqual([{ position: 1, attempt: 2 }]);
    expect(await claim(a, 10, NOW + 1_002)).toEqual([]);

    // The first attempt's answer comes late: stale, whatever its outcome.
    await a.settleEventDeliveries({ sink: SINK, now: NOW + 1_003, settlements: [{ position: 1, attempt: 1, outcome: 'delivered' }] });
    await a.settleEventDeliveries({ sink: SINK, now: NOW + 1_003, settlements: [{ position: 1, attempt: 1, outcome: 'dead', error: 'late' }] });
    await a.settleEventDeliveries({ sink: SINK, now: NOW + 1_003, settlements: [{ position: 1, attempt: 1, outcome: 'retry', retryAt: NOW, error: 'late' }] });
    expect(await deliveryRows(a)).toEqual([{ position: 1, state: 'pending', attempts: 2, next_attempt_at: NOW + 1_001 + LEASE, delivered_at: null, last_error: null }]);
    expect(await a.eventDeliveryBacklog({ sink: SINK })).toEqual({ pending: 1, oldestUndeliveredAt: NOW - 10_000, lastPosition: 1 });

    await b.settleEventDeliveries({ sink: SINK, now: NOW + 2_000, settlements: delivered(again) });
    expect(await deliveryRows(a)).toEqual([{ position: 1, state: 'delivered', attempts: 2, next_attempt_at: NOW + 1_001 + LEASE, delivered_at: NOW + 2_000, last_error: null }]);
    expect(await claim(a, 10, NOW + 10 * LEASE)).toEqual([]);
  });

  it("keeps an order's events one at a time, in order, across pools", async () => {
    const [a, b] = await twoStores();
    // Positions 1-3 are order 7's, 4 is a product's, 5 is order 8's.
    await appendEvents(a, 5, (i) => [7, 7, 7, undefined, 8][i]);
    expect(positions(await claim(a, 10))).toEqual([1, 4, 5]);
    expect(await claim(b, 10)).toEqual([]);

    // A retry later keeps the order's next event back until the first is settled for good.
    await a.settleEventDeliveries({ sink: SINK, now: NOW, settlements: [{ position: 1, attempt: 1, outcome: 'retry', retryAt: NOW + 5_000, error: 'HTTP 503' }] });
    expect(await claim(b, 10, NOW + 4_999)).toEqual([]);
    const retried = await claim(b, 10, NOW + 5_000);
    expect(retried.map((c) => ({ position: c.event.position, attempt: c.attempt }))).toEqual([{ position: 1, attempt: 2 }]);
    await b.settleEventDeliveries({ sink: SINK, now: NOW + 5_001, settlements: delivered(retried) });
    expect(positions(await claim(a, 10, NOW + 5_002))).toEqual([2]);
    expect(await claim(b, 10, NOW + 5_002)).toEqual([]);
  });

  it("never claims an order's next event beside an earlier one that another claim holds locked", async () => {
    const [a, b] = await twoStores();
    await appendEvents(a, 3, (i) => [7, 7, undefined][i]);
    // The enqueue commits; then another process's claim is caught mid-way, holding position 1.
    expect(await claim(a, 0)).toEqual([]);
    const other = await mysql.createConnection({ uri: urlFor(a.database) });
    try {
      await other.query('START TRANSACTION');
      await other.query('SELECT position FROM merchant_event_deliveries WHERE sink = ? AND position = 1 FOR UPDATE', [SINK]);
      // Position 1 is skipped (locked), 2 waits behind it, 3 is free.
      expect(positions(await claim(b, 10))).toEqual([3]);
    } finally {
      await other.query('ROLLBACK');
      await other.end();
    }
    expect(positions(await claim(b, 10))).toEqual([1]);
  });

  it('a claim that finds the sink held by another enqueuer claims what is queued without waiting, and enqueues nothing', async () => {
    const [a, b] = await twoStores();
    await appendEvents(a, 2, () => undefined);
    expect(await claim(a, 0)).toEqual([]);
    await appendEvents(a, 1, () => undefined);
    const enqueuer = await mysql.createConnection({ uri: urlFor(a.database) });
    try {
      await enqueuer.query('START TRANSACTION');
      await enqueuer.query('SELECT last_position FROM merchant_event_sinks WHERE sink = ? FOR UPDATE', [SINK]);
      expect(positions(await claim(b, 10))).toEqual([1, 2]);
    } finally {
      await enqueuer.query('ROLLBACK');
      await enqueuer.end();
    }
    expect(positions(await claim(b, 10))).toEqual([3]);
  });

  it("two pools racing over orders' events never have two of one order in flight, and deliver each order in position order", async () => {
    const [a, b] = await twoStores();
    await appendEvents(a, 200, (i) => (i % 5 === 4 ? undefined : 1 + (i % 8)));
    const orderOfPosition = (position: number) => ((position - 1) % 5 === 4 ? undefined : 1 + ((position - 1) % 8));
    const inFlight = new Map<number, number>();
    const deliveredInOrder = new Map<number, number[]>();
    const overlaps: string[] = [];
    let settled = 0;
    const work = async (store: MysqlStore) => {
      for (let round = 0; settled < 200 && round < 2_000; round++) {
        const claimed = await claim(store, 4);
        for (const c of claimed) {
          const order = orderOfPosition(c.event.position);
          if (order === undefined) continue;
          if (inFlight.has(order)) overlaps.push(`order ${order}: ${inFlight.get(order)} and ${c.event.position}`);
          inFlight.set(order, c.event.position);
        }
        await new Promise((resolve) => setTimeout(resolve, 1));
        // Out of flight before the settlement is sent: the store frees the next event only once it commits.
        for (const c of claimed) {
          const order = orderOfPosition(c.event.position);
          if (order === undefined) continue;
          inFlight.delete(order);
          deliveredInOrder.set(order, [...(deliveredInOrder.get(order) ?? []), c.event.position]);
        }
        await store.settleEventDeliveries({ sink: SINK, now: NOW, settlements: delivered(claimed) });
        settled += claimed.length;
        if (claimed.length === 0) await new Promise((resolve) => setTimeout(resolve, 2));
      }
    };
    await Promise.all([work(a), work(b), work(a), work(b)]);
    expect(overlaps).toEqual([]);
    expect(settled).toBe(200);
    expect(deliveredInOrder.size).toBe(8);
    for (const list of deliveredInOrder.values()) expect(list).toEqual([...list].sort((x, y) => x - y));
  }, 60_000);

  it('a new sink starts after every committed event, numbered or not; an event still uncommitted at its claim comes later, never skipped', async () => {
    const [a] = await twoStores();
    await appendEvents(a, 2, () => undefined);
    await a.registerEventSink({ sink: 'late', now: NOW });
    expect(await a.claimEventDeliveries({ sink: 'late', now: NOW, leaseUntil: NOW + LEASE, limit: 10 })).toEqual([]);

    const open = await mysql.createConnection({ uri: urlFor(a.database) });
    try {
      await open.query('START TRANSACTION');
      await open.query("INSERT INTO merchant_events (id, type, created_at, data) VALUES ('evt_open', 'product.sold_out', ?, '{\"product_id\":1}')", [NOW]);
      const committed = await appendEvents(a, 1, () => undefined);
      expect((await a.claimEventDeliveries({ sink: 'late', now: NOW, leaseUntil: NOW + LEASE, limit: 10 })).map((c) => c.event.id)).toEqual(committed);
      await open.query('COMMIT');
    } finally {
      await open.end();
    }
    const later = await a.claimEventDeliveries({ sink: 'late', now: NOW, leaseUntil: NOW + LEASE, limit: 10 });
    expect(later.map((c) => ({ id: c.event.id, position: c.event.position }))).toEqual([{ id: 'evt_open', position: 4 }]);
  });

  it('a purge deletes the deliveries at or below the highest position it purged, in every sink', async () => {
    const [a] = await twoStores();
    await a.registerEventSink({ sink: 'other', now: NOW });
    await appendEvents(a, 4, () => undefined);
    expect(positions(await claim(a, 10))).toEqual([1, 2, 3, 4]);
    await a.claimEventDeliveries({ sink: 'other', now: NOW, leaseUntil: NOW + LEASE, limit: 0 });
    // Events 1-3 are older than the cut.
    expect(await a.purgeMerchantEvents({ before: NOW - 10_000 + 3, limit: 100 })).toBe(3);
    const [rows] = await adminPool().query<RowDataPacket[]>(`SELECT sink, position FROM \`${a.database}\`.merchant_event_deliveries ORDER BY sink, position`);
    expect(rows.map((r) => `${r.sink as string}@${Number(r.position)}`)).toEqual(['other@4', `${SINK}@4`]);
  });

  it('a purge waits for an enqueue in flight, so that enqueue never leaves a delivery of a purged event behind', async () => {
    const [a] = await twoStores();
    await appendEvents(a, 2, () => undefined);
    await a.readMerchantEvents({ after: 0, limit: 10 });
    const enqueuer = await mysql.createConnection({ uri: urlFor(a.database) });
    try {
      // An enqueue caught between its read of the events and its insert of their deliveries.
      await enqueuer.query('START TRANSACTION');
      await enqueuer.query('SELECT last_position FROM merchant_event_sinks WHERE sink = ? FOR UPDATE', [SINK]);
      const [events] = await enqueuer.query<RowDataPacket[]>('SELECT position FROM merchant_events ORDER BY position');
      let purged: number | undefined;
      const purge = a.purgeMerchantEvents({ before: NOW, limit: 100 }).then((n) => (purged = n));
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(purged).toBeUndefined();
      await enqueuer.query(`INSERT INTO merchant_event_deliveries (sink, position, state, next_attempt_at) VALUES ?`, [events.map((e) => [SINK, e.position, 'pending', NOW])]);
      await enqueuer.query('COMMIT');
      expect(await purge).toBe(2);
    } finally {
      await enqueuer.end();
    }
    expect(await deliveryRows(a)).toEqual([]);
  });

  it('redelivery counts every sink it matched, moved or not, and keeps pending deliveries as they are', async () => {
    const [a] = await twoStores();
    await appendEvents(a, 3, () => undefined);
    const claimed = await claim(a, 10);
    await a.settleEventDeliveries({ sink: SINK, now: NOW, settlements: delivered(claimed.slice(0, 2)) });
    // A sink whose cursor is already before `from`: matched, not moved.
    await a.registerEventSink({ sink: 'later', now: NOW });
    await adminPool().query(`UPDATE \`${a.database}\`.merchant_event_sinks SET last_position = 0 WHERE sink = 'later'`);
    expect(await a.redeliverEvents({ from: 2, now: NOW })).toBe(2);
    expect(await a.redeliverEvents({ from: 2, now: NOW, sink: 'nobody' })).toBe(0);
    expect((await deliveryRows(a)).map((r) => `${r.position}:${r.state}`)).toEqual(['1:delivered', '3:pending']);
    // Position 2 comes again as a first attempt; 3 is still leased.
    expect((await claim(a, 10)).map((c) => ({ position: c.event.position, attempt: c.attempt }))).toEqual([{ position: 2, attempt: 1 }]);
  });

  async function deliveryRows(store: MysqlStore) {
    const [rows] = await adminPool().query<RowDataPacket[]>(
      `SELECT position, state, attempts, next_attempt_at, delivered_at, last_error FROM \`${store.database}\`.merchant_event_deliveries WHERE sink = ? ORDER BY position`,
      [SINK],
    );
    return rows.map((r) => ({
      position: Number(r.position),
      state: r.state as string,
      attempts: Number(r.attempts),
      next_attempt_at: Number(r.next_attempt_at),
      delivered_at: r.delivered_at === null ? null : Number(r.delivered_at),
      last_error: r.last_error as string | null,
    }));
  }
});
