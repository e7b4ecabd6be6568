import type { ClaimedEventDelivery } from '@flashsale/core';
import pg from 'pg';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { PostgresStore } from '../src/index.js';
import { CLAIM } from '../src/operations/event-deliveries.js';
import { adminPool, closeTestStores, endAdminPool, openTestStore, PG_URL } from './support/test-database.js';

/**
 * The delivery queue shared by processes on one database: two stores on one schema, each with its
 * own pool, stand for two processes. What the conformance suite checks on one store (the memory
 * store's semantics) must hold across them.
 */
describe.skipIf(!PG_URL)('postgres event deliveries across processes', () => {
  const stores: PostgresStore[] = [];
  afterEach(async () => {
    await closeTestStores(stores.splice(0));
  });
  afterAll(endAdminPool);

  const SINK = 'https://merchant.example/hooks';
  const LEASE_MS = 60_000;

  const twoProcesses = async () => {
    const a = await openTestStore({ poolSize: 4 });
    const b = await openTestStore({ schema: a.schema, migrate: false, poolSize: 4 });
    stores.push(a, b);
    return [a, b] as const;
  };

  /** Events as the outbox triggers append them: unnumbered, committed, numbered by the next sequencer run. */
  const append = async (store: PostgresStore, events: Array<{ type: string; createdAt: number; data: Record<string, unknown> }>) => {
    await adminPool().query(
      `INSERT INTO ${pg.escapeIdentifier(store.schema)}.merchant_events (type, created_at, data)
       SELECT type, created_at, data FROM unnest($1::text[], $2::bigint[], $3::jsonb[]) AS e (type, created_at, data)`,
      [events.map((e) => e.type), events.map((e) => e.createdAt), events.map((e) => JSON.stringify(e.data))],
    );
  };
  const restocks = (count: number, createdAt = 1_000) =>
    Array.from({ length: count }, (_, i) => ({ type: 'product.restocked', createdAt, data: { product_id: 1, qty: 1, available_stock: i + 1 } }));
  const orderEvent = (orderId: number, status: 'created' | 'completed', createdAt = 1_000) => ({
    type: `order.${status}`,
    createdAt,
    data: { order_id: orderId, hold_id: orderId, product_id: 1, qty: 1, amount_cents: 1000, status: status === 'created' ? 'pending' : 'completed' },
  });

  const deliveryRow = async (store: PostgresStore, position: number) =>
    (
      await adminPool().query<{ state: string; attempts: number; next_attempt_at: string; last_error: string | null }>(
        `SELECT state, attempts, next_attempt_at, last_error FROM ${pg.escapeIdentifier(store.schema)}.merchant_event_deliveries WHERE sink = $1 AND position = $2`,
        [SINK, position],
      )
    ).rows[0];

  /** An open transaction elsewhere holding a row lock, as another process mid-unit would. */
  const holdLock = async (store: PostgresStore, lockSql: string, values: unknown[]) => {
    const client = new pg.Client({ connectionString: PG_URL, application_name: 'flashsale-test-locker' });
    await client.connect();
    await client.query(`BEGIN; SET LOCAL search_path TO ${pg.escapeIdentifier(store.schema)}`);
    await client.query(lockSql, values);
    return {
      client,
      release: async (how: 'COMMIT' | 'ROLLBACK' = 'ROLLBACK') => {
        await client.query(how);
        await client.end();
      },
    };
  };

  it('two processes claiming 500 events at once claim each exactly once, never one attempt twice', async () => {
    const [a, b] = await twoProcesses();
    await a.registerEventSink({ sink: SINK, now: 1_000 });
    await b.registerEventSink({ sink: SINK, now: 1_000 });
    await append(a, restocks(500));

    const claims: Array<{ by: 'a' | 'b'; delivery: ClaimedEventDelivery }> = [];
    // Three claimers per process, small batches, so claims and enqueues overlap; each settles
    // about half of what it claims (delivered) and leaves the rest leased.
    const claimer = async (store: PostgresStore, by: 'a' | 'b', seed: number) => {
      for (let round = 0; round < 400 && claims.length < 500; round++) {
        const claimed = await store.claimEventDeliveries({ sink: SINK, now: 2_000, leaseUntil: 2_000 + LEASE_MS, limit: 7 });
        for (const delivery of claimed) claims.push({ by, delivery });
        const settled = claimed.filter((c) => (c.event.position + seed) % 2 === 0);
        await store.settleEventDeliveries({ sink: SINK, now: 2_000, settlements: settled.map((c) => ({ position: c.event.position, attempt: c.attempt, outcome: 'delivered' })) });
      }
    };
    await Promise.all([0, 1, 2].flatMap((seed) => [claimer(a, 'a', seed), claimer(b, 'b', seed)]));

    const positions = claims.map((c) => c.delivery.event.position);
    expect(new Set(claims.map((c) => `${c.delivery.event.position}:${c.delivery.attempt}`)).size).toBe(claims.length);
    expect(positions.length).toBe(500);
    expect(new Set(positions).size).toBe(500);
    expect(claims.every((c) => c.delivery.attempt === 1)).toBe(true);
    // Both processes did work: the race was real.
    expect(claims.filter((c) => c.by === 'a').length).toBeGreaterThan(0);
    expect(claims.filter((c) => c.by === 'b').length).toBeGreaterThan(0);
    // Nothing is left to claim before the leases end; the unsettled ones are still pending.
    expect(await a.claimEventDeliveries({ sink: SINK, now: 2_000, leaseUntil: 2_000 + LEASE_MS, limit: 1_000 })).toEqual([]);
    expect(await b.claimEventDeliveries({ sink: SINK, now: 2_000, leaseUntil: 2_000 + LEASE_MS, limit: 1_000 })).toEqual([]);
    const backlog = await a.eventDeliveryBacklog({ sink: SINK });
    expect(backlog.lastPosition).toBe(500);
    expect(backlog.pending).toBeGreaterThan(0);
    expect(backlog.pending).toBeLessThan(500);
  }, 60_000);

  it('an attempt in flight is not claimed by the other process until its lease ends; its late settlement then changes nothing', async () => {
    const [a, b] = await twoProcesses();
    await a.registerEventSink({ sink: SINK, now: 1_000 });
    await append(a, restocks(1));

    const first = await a.claimEventDeliveries({ sink: SINK, now: 1_000, leaseUntil: 2_000, limit: 10 });
    expect(first.map((c) => [c.event.position, c.attempt])).toEqual([[1, 1]]);
    expect(await b.claimEventDeliveries({ sink: SINK, now: 1_999, leaseUntil: 3_000, limit: 10 })).toEqual([]);

    // a went silent past its lease: b takes the delivery as attempt 2.
    const second = await b.claimEventDeliveries({ sink: SINK, now: 2_001, leaseUntil: 3_001, limit: 10 });
    expect(second.map((c) => [c.event.position, c.attempt])).toEqual([[1, 2]]);
    expect(second[0]!.event).toEqual(first[0]!.event);

    // a's answer arrives late, for attempt 1: neither delivered nor dead nor a retry applies.
    for (const outcome of ['delivered', 'dead', 'retry'] as const) {
      const settlement = outcome === 'retry' ? { position: 1, attempt: 1, outcome, retryAt: 2_100, error: 'late' } : outcome === 'dead' ? { position: 1, attempt: 1, outcome, error: 'late' } : { position: 1, attempt: 1, outcome };
      await a.settleEventDeliveries({ sink: SINK, now: 2_050, settlements: [settlement] });
    }
    expect(await deliveryRow(a, 1)).toEqual({ state: 'pending', attempts: 2, next_attempt_at: '3001', last_error: null });
    expect(await a.claimEventDeliveries({ sink: SINK, now: 3_000, leaseUntil: 4_000, limit: 10 })).toEqual([]);

    // b's own answer applies.
    await b.settleEventDeliveries({ sink: SINK, now: 2_200, settlements: [{ position: 1, attempt: 2, outcome: 'delivered' }] });
    expect(await deliveryRow(a, 1)).toMatchObject({ state: 'delivered', attempts: 2 });
    expect(await a.claimEventDeliveries({ sink: SINK, now: 10_000, leaseUntil: 11_000, limit: 10 })).toEqual([]);
    expect(await a.eventDeliveryBacklog({ sink: SINK })).toEqual({ pending: 0, oldestUndeliveredAt: undefined, lastPosition: 1 });
  });

  it("a delivery another process's claim has locked is skipped, not waited for; a locked sink cursor skips only the enqueue", async () => {
    const [a, b] = await twoProcesses();
    await a.registerEventSink({ sink: SINK, now: 1_000 });
    await append(a, restocks(3));
    // Enqueues all three; claims position 1 under a lease that ends at once.
    expect((await a.claimEventDeliveries({ sink: SINK, now: 1_000, leaseUntil: 1_000, limit: 1 })).map((c) => c.event.position)).toEqual([1]);

    const rowLock = await holdLock(a, 'SELECT 1 FROM merchant_event_deliveries WHERE sink = $1 AND position = 2 FOR UPDATE', [SINK]);
    try {
      const claimed = await b.claimEventDeliveries({ sink: SINK, now: 1_000, leaseUntil: 5_000, limit: 10 });
      expect(claimed.map((c) => [c.event.position, c.attempt])).toEqual([[1, 2], [3, 1]]);
    } finally {
      await rowLock.release();
    }

    await append(a, restocks(1));
    const sinkLock = await holdLock(a, 'SELECT 1 FROM merchant_event_sinks WHERE sink = $1 FOR UPDATE', [SINK]);
    try {
      // The cursor's holder enqueues; this claim takes what is queued (position 2), not position 4.
      const claimed = await b.claimEventDeliveries({ sink: SINK, now: 1_000, leaseUntil: 5_000, limit: 10 });
      expect(claimed.map((c) => c.event.position)).toEqual([2]);
    } finally {
      await sinkLock.release();
    }
    expect((await b.claimEventDeliveries({ sink: SINK, now: 1_000, leaseUntil: 5_000, limit: 10 })).map((c) => c.event.position)).toEqual([4]);
    // An unregistered sink claims nothing, and enqueues nothing.
    expect(await b.claimEventDeliveries({ sink: 'nats://elsewhere', now: 1_000, leaseUntil: 5_000, limit: 10 })).toEqual([]);
    const { rows } = await adminPool().query(`SELECT DISTINCT sink FROM ${pg.escapeIdentifier(a.schema)}.merchant_event_deliveries`);
    expect(rows).toEqual([{ sink: SINK }]);
  });

  it("an order's events are never in flight together, across processes, while other events go on", async () => {
    const [a, b] = await twoProcesses();
    await a.registerEventSink({ sink: SINK, now: 1_000 });
    const ORDERS = 40;
    // Each order's two events a few positions apart, with events of no order between them.
    const events = [];
    for (let i = 1; i <= ORDERS; i++) events.push(orderEvent(i, 'created'), ...restocks(1), ...(i > 2 ? [orderEvent(i - 2, 'completed')] : []));
    events.push(orderEvent(ORDERS - 1, 'completed'), orderEvent(ORDERS, 'completed'));
    await append(a, events);

    const inFlight = new Set<number>();
    const violations: string[] = [];
    const received: Array<{ orderId: number; type: string }> = [];
    const claimer = async (store: PostgresStore, name: string) => {
      for (let round = 0; round < 300 && received.length < 2 * ORDERS; round++) {
        const claimed = await store.claimEventDeliveries({ sink: SINK, now: 2_000, leaseUntil: 2_000 + LEASE_MS, limit: 5 });
        const orderIds = claimed.map((c) => c.event.data.order_id).filter((id): id is number => typeof id === 'number');
        for (const id of orderIds) {
          if (inFlight.has(id)) violations.push(`${name} claimed an event of order ${id} while another was in flight`);
          inFlight.add(id);
        }
        // Held a moment, as a receiver takes its time.
        await new Promise((resolve) => setTimeout(resolve, Math.random() * 3));
        for (const c of claimed) if (typeof c.event.data.order_id === 'number') received.push({ orderId: c.event.data.order_id, type: c.event.type });
        // Out of flight before the settlement is sent: a later claim may only see it delivered after that.
        for (const id of orderIds) inFlight.delete(id);
        await store.settleEventDeliveries({ sink: SINK, now: 2_000, settlements: claimed.map((c) => ({ position: c.event.position, attempt: c.attempt, outcome: 'delivered' })) });
      }
    };
    await Promise.all([claimer(a, 'a1'), claimer(b, 'b1'), claimer(a, 'a2'), claimer(b, 'b2')]);

    expect(violations).toEqual([]);
    expect(received.length).toBe(2 * ORDERS);
    for (let i = 1; i <= ORDERS; i++) expect(received.filter((r) => r.orderId === i).map((r) => r.type)).toEqual(['order.created', 'order.completed']);
  }, 60_000);

  it("an order's later event waits while an earlier one is pending for a retry, on either process", async () => {
    const [a, b] = await twoProcesses();
    await a.registerEventSink({ sink: SINK, now: 1_000 });
    await append(a, [orderEvent(7, 'created'), ...restocks(1), orderEvent(7, 'completed'), orderEvent(8, 'created')]);

    const first = await a.claimEventDeliveries({ sink: SINK, now: 1_000, leaseUntil: 2_000, limit: 10 });
    expect(first.map((c) => c.event.position)).toEqual([1, 2, 4]);
    await a.settleEventDeliveries({
      sink: SINK,
      now: 1_100,
      settlements: [
        { position: 1, attempt: 1, outcome: 'retry', retryAt: 5_000, error: 'HTTP 503' },
        { position: 2, attempt: 1, outcome: 'delivered' },
        { position: 4, attempt: 1, outcome: 'delivered' },
      ],
    });
    expect(await b.claimEventDeliveries({ sink: SINK, now: 4_999, leaseUntil: 9_000, limit: 10 })).toEqual([]);
    expect((await b.claimEventDeliveries({ sink: SINK, now: 5_000, leaseUntil: 9_000, limit: 10 })).map((c) => [c.event.position, c.attempt])).toEqual([[1, 2]]);
    await b.settleEventDeliveries({ sink: SINK, now: 5_100, settlements: [{ position: 1, attempt: 2, outcome: 'dead', error: 'gone' }] });
    // Dead releases the order's next event, as delivered does.
    expect((await a.claimEventDeliveries({ sink: SINK, now: 5_100, leaseUntil: 9_000, limit: 10 })).map((c) => [c.event.position, c.attempt])).toEqual([[3, 1]]);
    expect(await deliveryRow(a, 1)).toMatchObject({ state: 'dead', attempts: 2, last_error: 'gone' });
  });

  it('keeps a receiver error that a text column cannot hold, in place of failing the whole settlement', async () => {
    const [a] = await twoProcesses();
    await a.registerEventSink({ sink: SINK, now: 1_000 });
    await append(a, restocks(2));
    await a.claimEventDeliveries({ sink: SINK, now: 1_000, leaseUntil: 2_000, limit: 10 });
    await a.settleEventDeliveries({
      sink: SINK,
      now: 1_100,
      settlements: [
        { position: 1, attempt: 1, outcome: 'retry', retryAt: 3_000, error: 'bad\u0000byte \ud800 and 😀' },
        { position: 2, attempt: 1, outcome: 'delivered' },
      ],
    });
    expect(await deliveryRow(a, 1)).toMatchObject({ state: 'pending', last_error: 'bad\ufffdbyte \ufffd and 😀' });
    expect(await deliveryRow(a, 2)).toMatchObject({ state: 'delivered' });
  });

  it('a purge waits for an enqueue in flight, then takes the deliveries it made with the events', async () => {
    const [a, b] = await twoProcesses();
    await a.registerEventSink({ sink: SINK, now: 1_000 });
    await append(a, [...restocks(2, 1_000), ...restocks(1, 9_000)]);
    // Numbered by a reader's sequencer run, not yet enqueued for the sink.
    expect((await a.readMerchantEvents({ after: 0, limit: 10 })).map((e) => e.position)).toEqual([1, 2, 3]);

    // Another process mid-enqueue: it holds the sink's cursor and has queued positions 1 and 2.
    const enqueue = await holdLock(a, 'SELECT 1 FROM merchant_event_sinks WHERE sink = $1 FOR UPDATE', [SINK]);
    let purged: number | undefined;
    const purge = b.purgeMerchantEvents({ before: 5_000, limit: 100 }).then((n) => (purged = n));
    try {
      await enqueue.client.query(`INSERT INTO merchant_event_deliveries (sink, position, state, next_attempt_at) VALUES ($1, 1, 'pending', 1000), ($1, 2, 'pending', 1000)`, [SINK]);
      await enqueue.client.query('UPDATE merchant_event_sinks SET last_position = 2 WHERE sink = $1', [SINK]);
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(purged).toBeUndefined();
    } finally {
      await enqueue.release('COMMIT');
    }
    await purge;
    expect(purged).toBe(2);
    // No delivery is left without its event, to be claimed never and counted forever.
    const { rows } = await adminPool().query(`SELECT position::int FROM ${pg.escapeIdentifier(a.schema)}.merchant_event_deliveries ORDER BY position`);
    expect(rows).toEqual([]);
    expect(await a.eventDeliveryBacklog({ sink: SINK })).toEqual({ pending: 0, oldestUndeliveredAt: 9_000, lastPosition: 3 });
    expect((await a.claimEventDeliveries({ sink: SINK, now: 9_000, leaseUntil: 10_000, limit: 10 })).map((c) => c.event.position)).toEqual([3]);
  });

  it('the backlog counts committed events the sequencer has not numbered yet', async () => {
    const [a] = await twoProcesses();
    await a.registerEventSink({ sink: SINK, now: 1_000 });
    await append(a, [...restocks(1, 4_000), ...restocks(1, 3_000)]);
    expect(await a.eventDeliveryBacklog({ sink: SINK })).toEqual({ pending: 0, oldestUndeliveredAt: 3_000, lastPosition: 0 });
    await a.claimEventDeliveries({ sink: SINK, now: 5_000, leaseUntil: 6_000, limit: 1 });
    expect(await a.eventDeliveryBacklog({ sink: SINK })).toEqual({ pending: 2, oldestUndeliveredAt: 3_000, lastPosition: 2 });
    expect(await a.eventDeliveryBacklog({ sink: 'unknown' })).toEqual({ pending: 0, oldestUndeliveredAt: undefined, lastPosition: 2 });
  });
  it("the claim probes each delivery's order by index, even on a queue that grew from empty without statistics", async () => {
    const [store] = await twoProcesses();
    const schema = pg.escapeIdentifier(store.schema);
    await store.registerEventSink({ sink: SINK, now: 0 });
    // 4,000 pending deliveries of 2,000 orders, as a burst leaves them before any ANALYZE.
    await adminPool().query(
      `INSERT INTO ${schema}.merchant_event_deliveries (sink, position, ordering_key, state, next_attempt_at)
       SELECT $1, g, 'order:' || ((g + 1) / 2), 'pending', 0 FROM generate_series(1, 4000) g`,
      [SINK],
    );
    const client = await store.pool.connect();
    try {
      const { rows } = await client.query<{ 'QUERY PLAN': unknown }>(`EXPLAIN (FORMAT JSON) ${CLAIM.text}`, [SINK, 1_000, 61_000, 64]);
      const plan = JSON.stringify(rows[0]!['QUERY PLAN']);
      // An anti join here compared every pending delivery with every other (5 s for 5,000).
      expect(plan).not.toMatch(/"Join Type":"Anti"/);
      expect(plan).toMatch(/"Index Cond":"\(\(sink = d\.sink\) AND \(ordering_key = d\.ordering_key\)/);
    } finally {
      client.release();
    }
  });
});
