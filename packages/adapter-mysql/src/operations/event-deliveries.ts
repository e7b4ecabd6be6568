import type { ClaimEventDeliveriesRequest, ClaimedEventDelivery, EventDeliveryBacklog, EventDeliverySettlement } from '@flashsale/core';
import type { Executor, Session } from '../executor.js';
import { int, placeholders, type Int } from '../rows.js';
import { numberCommittedEvents, toStoredMerchantEvent, type EventRow } from './merchant-events.js';

/*
 * Events for the merchant, pushed: each sink's cursor and queue of deliveries (sql/000005.sql).
 *
 * A claim enqueues, then claims, in one transaction. Its cursor row is the sink's enqueue lock,
 * taken with SKIP LOCKED: a claim that finds it held by another process leaves the enqueueing to
 * that one and only claims. The claim is read in two steps, so that its locking read touches no
 * row but those it claims: the due deliveries, the per-order check and the join with their events
 * are a plain read (a consistent read: it sees every pending row, locked by another claim or not,
 * and locks none, so no event row is locked and no earlier delivery of an order is passed over),
 * then the picked deliveries are locked by primary key with SKIP LOCKED, their state and due time
 * checked again on the row as last committed. Under READ COMMITTED none of this takes gap locks.
 */

/** Events enqueued per claim: enough to keep a batch full, few enough to keep the claim short. */
const ENQUEUE_BATCH = 1000;

/**
 * Candidates read per claim, as a multiple of its limit: room to pass over the deliveries another
 * process has just claimed (still locked, so skipped) and still fill the batch.
 */
const CANDIDATES_PER_CLAIM = 2;

// An order's events are delivered one at a time, in order; other events in any order.
const ORDERING_KEY = "CONCAT('order:', JSON_UNQUOTE(JSON_EXTRACT(data, '$.order_id')))";

const SINK_EXISTS = 'SELECT 1 AS known FROM merchant_event_sinks WHERE sink = ?';

const LOCK_SINK = 'SELECT last_position FROM merchant_event_sinks WHERE sink = ? FOR UPDATE SKIP LOCKED';

const ADD_SINK = 'INSERT IGNORE INTO merchant_event_sinks (sink, last_position, created_at) VALUES (?, 0, ?)';

const MOVE_SINK = 'UPDATE merchant_event_sinks SET last_position = ? WHERE sink = ?';

const BATCH_END = 'SELECT MAX(position) AS last FROM (SELECT position FROM merchant_events WHERE position > ? ORDER BY position LIMIT ?) AS batch';

// INSERT … SELECT reads merchant_events as a consistent read under READ COMMITTED: no lock on the
// events. IGNORE: a delivery still pending from before a redelivery stays as it is.
const ENQUEUE = `INSERT IGNORE INTO merchant_event_deliveries (sink, position, ordering_key, state, attempts, next_attempt_at)
                 SELECT ?, position, ${ORDERING_KEY}, 'pending', 0, ? FROM merchant_events WHERE position > ? AND position <= ?`;

// A delivery whose event is gone is never claimed, but still holds its order's later events back,
// as in the memory store. Both indexes are forced: left to itself MariaDB walked the primary key,
// for the scan (through the sink's whole delivered history) and for the earlier-delivery test
// (every pending delivery of the sink below each one: 2.7 s for a claim over 20,000 pending
// deliveries, 12 ms with the order index).
const DUE = `SELECT d.position FROM merchant_event_deliveries d FORCE INDEX (merchant_event_deliveries_pending_idx) JOIN merchant_events e ON e.position = d.position
             WHERE d.sink = ? AND d.state = 'pending' AND d.next_attempt_at <= ?
               AND NOT EXISTS (SELECT 1 FROM merchant_event_deliveries earlier FORCE INDEX (merchant_event_deliveries_order_idx)
                               WHERE earlier.sink = d.sink AND earlier.ordering_key = d.ordering_key
                                 AND earlier.state = 'pending' AND earlier.position < d.position)
             ORDER BY d.position LIMIT ?`;

const lockDue = (n: number) => `SELECT position FROM merchant_event_deliveries FORCE INDEX (PRIMARY)
                                WHERE sink = ? AND position IN (${placeholders(n)}) AND state = 'pending' AND next_attempt_at <= ?
                                ORDER BY position LIMIT ? FOR UPDATE SKIP LOCKED`;

const lease = (n: number) => `UPDATE merchant_event_deliveries SET attempts = attempts + 1, next_attempt_at = ? WHERE sink = ? AND position IN (${placeholders(n)})`;

const readClaimed = (n: number) => `SELECT d.attempts, e.position, e.id, e.type, e.created_at, e.data
                                    FROM merchant_event_deliveries d JOIN merchant_events e ON e.position = d.position
                                    WHERE d.sink = ? AND d.position IN (${placeholders(n)}) ORDER BY d.position`;

const NEWEST_POSITION = 'SELECT last_position FROM merchant_event_cursor WHERE id = 1';

/** A new sink starts at the newest event: the committed events are numbered first, so none of them is after its cursor. */
export function registerEventSink(ex: Executor, request: { sink: string; now: number }): Promise<void> {
  return ex.transaction(async (session) => {
    if ((await session.rows(SINK_EXISTS, [request.sink])).length > 0) return;
    // The sink row first, then the sequencer's: the order a claim takes them in, so no deadlock.
    const added = await session.run(ADD_SINK, [request.sink, request.now]);
    if (added.affectedRows !== 1) return;
    await session.run(MOVE_SINK, [await numberCommittedEvents(session), request.sink]);
  });
}

export function claimEventDeliveries(ex: Executor, request: ClaimEventDeliveriesRequest): Promise<ClaimedEventDelivery[]> {
  return ex.transaction(async (session) => {
    const [cursor] = await session.rows<{ last_position: Int }>(LOCK_SINK, [request.sink]);
    if (cursor) await enqueue(session, request.sink, int(cursor.last_position), request.now);
    else if ((await session.rows(SINK_EXISTS, [request.sink])).length === 0) return [];

    const due = await session.rows<{ position: Int }>(DUE, [request.sink, request.now, request.limit * CANDIDATES_PER_CLAIM]);
    if (due.length === 0) return [];
    const locked = await session.rows<{ position: Int }>(lockDue(due.length), [request.sink, ...due.map((row) => row.position), request.now, request.limit]);
    if (locked.length === 0) return [];
    const positions = locked.map((row) => row.position);
    await session.run(lease(positions.length), [request.leaseUntil, request.sink, ...positions]);
    const rows = await session.rows<EventRow & { attempts: Int }>(readClaimed(positions.length), [request.sink, ...positions]);
    return rows.map((row) => ({ event: toStoredMerchantEvent(row), attempt: int(row.attempts) }));
  });
}

/** Numbers the committed events, then enqueues a batch of those after the sink's cursor and moves it past them. */
async function enqueue(session: Session, sink: string, cursor: number, now: number): Promise<void> {
  await numberCommittedEvents(session);
  const [batch] = await session.rows<{ last: Int | null }>(BATCH_END, [cursor, ENQUEUE_BATCH]);
  if (!batch || batch.last === null) return;
  const last = int(batch.last);
  await session.run(ENQUEUE, [sink, now, cursor, last]);
  await session.run(MOVE_SINK, [last, sink]);
}

/** One statement per kind of outcome, each applied only to the rows as claimed. */
export function settleEventDeliveries(ex: Executor, request: { sink: string; now: number; settlements: readonly EventDeliverySettlement[] }): Promise<void> {
  const delivered = request.settlements.filter((s) => s.outcome === 'delivered');
  const retries = request.settlements.filter((s) => s.outcome === 'retry');
  const dead = request.settlements.filter((s) => s.outcome === 'dead');
  if (request.settlements.length === 0) return Promise.resolve();
  return ex.transaction(async (session) => {
    if (delivered.length > 0) {
      await session.run(`UPDATE merchant_event_deliveries SET state = 'delivered', delivered_at = ? WHERE ${asClaimed(delivered)}`, [request.now, ...asClaimedValues(request.sink, delivered)]);
    }
    if (retries.length > 0) {
      await session.run(
        `UPDATE merchant_event_deliveries SET next_attempt_at = ${byPosition(retries.length)}, last_error = ${byPosition(retries.length, 'LEFT(?, 255)')} WHERE ${asClaimed(retries)}`,
        [...retries.flatMap((s) => [s.position, s.retryAt]), ...retries.flatMap((s) => [s.position, s.error]), ...asClaimedValues(request.sink, retries)],
      );
    }
    if (dead.length > 0) {
      await session.run(`UPDATE merchant_event_deliveries SET state = 'dead', last_error = ${byPosition(dead.length, 'LEFT(?, 255)')} WHERE ${asClaimed(dead)}`, [
        ...dead.flatMap((s) => [s.position, s.error]),
        ...asClaimedValues(request.sink, dead),
      ]);
    }
  });
}

/** `CASE position WHEN ? THEN ? … END`: a value per position. */
function byPosition(n: number, value = '?'): string {
  return `CASE position ${Array.from({ length: n }, () => `WHEN ? THEN ${value}`).join(' ')} END`;
}

/** The rows as claimed: same sink, position and attempt number, still pending. The position list alone lets the primary key find them. */
function asClaimed(settlements: readonly EventDeliverySettlement[]): string {
  return `sink = ? AND state = 'pending' AND position IN (${placeholders(settlements.length)}) AND (position, attempts) IN (${placeholders(settlements.length, '(?, ?)')})`;
}

function asClaimedValues(sink: string, settlements: readonly EventDeliverySettlement[]): unknown[] {
  return [sink, ...settlements.map((s) => s.position), ...settlements.flatMap((s) => [s.position, s.attempt])];
}

/**
 * Moves the cursors back and deletes the delivered and dead deliveries from `from` on, so the next
 * claims enqueue them afresh; answers the sinks matched (mysql2 asks for found rows, so a cursor
 * already before `from` counts too).
 */
export function redeliverEvents(ex: Executor, request: { from: number; sink?: string }): Promise<number> {
  return ex.transaction(async (session) => {
    const { sink, from } = request;
    const moved =
      sink === undefined
        ? await session.run('UPDATE merchant_event_sinks SET last_position = LEAST(last_position, ?)', [from - 1])
        : await session.run('UPDATE merchant_event_sinks SET last_position = LEAST(last_position, ?) WHERE sink = ?', [from - 1, sink]);
    if (moved.affectedRows === 0) return 0;
    // Every sink's deliveries by a range of the primary key, locking only the rows it deletes.
    const sinks = sink === undefined ? (await session.rows<{ sink: string }>('SELECT sink FROM merchant_event_sinks')).map((row) => row.sink) : [sink];
    await session.run(`DELETE FROM merchant_event_deliveries WHERE sink IN (${placeholders(sinks.length)}) AND position >= ? AND state <> 'pending'`, [...sinks, from]);
    return moved.affectedRows;
  });
}

/** Read on one snapshot, without locks. */
export function eventDeliveryBacklog(ex: Executor, request: { sink: string }): Promise<EventDeliveryBacklog> {
  return ex.snapshot(async (session) => {
    const [newest] = await session.rows<{ last_position: Int }>(NEWEST_POSITION);
    const lastPosition = int(newest?.last_position);
    const [sink] = await session.rows<{ last_position: Int }>('SELECT last_position FROM merchant_event_sinks WHERE sink = ?', [request.sink]);
    if (!sink) return { pending: 0, oldestUndeliveredAt: undefined, lastPosition };
    const [queued] = await session.rows<{ pending: Int; oldest: Int | null }>(
      `SELECT COUNT(*) AS pending, MIN(e.created_at) AS oldest FROM merchant_event_deliveries d LEFT JOIN merchant_events e ON e.position = d.position
       WHERE d.sink = ? AND d.state = 'pending'`,
      [request.sink],
    );
    // Events not yet enqueued: after the cursor, or not yet numbered (they will be numbered after it).
    const [ahead] = await session.rows<{ oldest: Int | null }>('SELECT MIN(created_at) AS oldest FROM merchant_events WHERE position IS NULL OR position > ?', [sink.last_position]);
    const oldest = [queued?.oldest, ahead?.oldest].filter((value): value is Int => value !== null && value !== undefined).map(int);
    return { pending: int(queued?.pending), oldestUndeliveredAt: oldest.length === 0 ? undefined : Math.min(...oldest), lastPosition };
  });
}
