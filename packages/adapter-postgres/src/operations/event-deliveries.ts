import type { ClaimedEventDelivery, ClaimEventDeliveriesRequest, EventDeliveryBacklog, EventDeliverySettlement } from '@flashsale/core';
import type { Executor } from '../executor.js';
import { int } from '../rows.js';
import { sql } from '../statement.js';
import { mayHaveLeftEvents, sequenceCommittedEvents, toStoredEvent, type EventRow } from './merchant-events.js';

/*
 * Events for the merchant, pushed: each sink's cursor and queue of deliveries (sql/000009.sql).
 *
 * A claim enqueues under its sink row's lock, taken with SKIP LOCKED: when another process holds
 * it (its own claim, a redelivery, a purge), this claim leaves the enqueue to it and only claims.
 * Deliveries are claimed FOR UPDATE SKIP LOCKED, and a claimed one carries the lease's end as its
 * next_attempt_at, so two claims never take the same delivery, in flight or not. An order's later
 * delivery waits while an earlier one of the same order is pending (claimed or not): that test
 * reads the state, never a lock, so it holds across processes.
 */

/** Events enqueued per claim: a sink far behind catches up a batch per claim. */
const DELIVERY_ENQUEUE_BATCH = 1000;

const LOCK_SINK = sql('lock-event-sink', 'SELECT last_position FROM merchant_event_sinks WHERE sink = $1 FOR UPDATE SKIP LOCKED');

const SINK_EXISTS = sql('event-sink-exists', 'SELECT 1 FROM merchant_event_sinks WHERE sink = $1');

// A new sink starts at the newest position: what commits from now on.
const REGISTER = sql(
  'register-event-sink',
  `INSERT INTO merchant_event_sinks (sink, last_position, created_at)
   SELECT $1, last_position, $2::bigint FROM merchant_event_cursor
   ON CONFLICT (sink) DO NOTHING`,
);

// The cursor moves to the last event considered, enqueued now or already (a pending one a
// redelivery left in place).
const ENQUEUE = sql(
  'enqueue-event-deliveries',
  `WITH fresh AS (
     SELECT position, data FROM merchant_events WHERE position > $2::bigint ORDER BY position LIMIT $3::int
   ), enqueued AS (
     INSERT INTO merchant_event_deliveries (sink, position, ordering_key, state, next_attempt_at)
     SELECT $1, position, CASE WHEN jsonb_typeof(data -> 'order_id') = 'number' THEN 'order:' || (data ->> 'order_id') END, 'pending', $4::bigint
     FROM fresh
     ON CONFLICT (sink, position) DO NOTHING
   )
   UPDATE merchant_event_sinks s SET last_position = f.top
   FROM (SELECT max(position) AS top FROM fresh) f
   WHERE s.sink = $1 AND f.top IS NOT NULL`,
);

// The OR keeps the earlier-delivery test a per-row index probe (a subplan). As a plain NOT EXISTS
// the planner may turn it into an anti join; on a queue that grew from empty in a burst (no
// statistics yet) it chose one that compared every pending row with every other: 5 s for 5,000
// pending deliveries, against 0.6 ms for this form (EXPLAIN ANALYZE, same rows, no ANALYZE).
export const CLAIM = sql(
  'claim-event-deliveries',
  `WITH due AS (
     SELECT d.position FROM merchant_event_deliveries d
     WHERE d.sink = $1 AND d.state = 'pending' AND d.next_attempt_at <= $2::bigint
       AND (d.ordering_key IS NULL OR NOT EXISTS (
         SELECT 1 FROM merchant_event_deliveries earlier
         WHERE earlier.sink = d.sink AND earlier.ordering_key = d.ordering_key AND earlier.state = 'pending' AND earlier.position < d.position
       ))
     ORDER BY d.position LIMIT $4::int
     FOR UPDATE OF d SKIP LOCKED
   ), claimed AS (
     UPDATE merchant_event_deliveries d SET attempts = d.attempts + 1, next_attempt_at = $3::bigint
     FROM due WHERE d.sink = $1 AND d.position = due.position AND d.state = 'pending' AND d.next_attempt_at <= $2::bigint
     RETURNING d.position, d.attempts
   )
   SELECT e.position, e.id, e.type, e.created_at, e.data, c.attempts
   FROM claimed c JOIN merchant_events e ON e.position = c.position
   ORDER BY e.position`,
);

// Only the attempt as claimed, still pending: a late answer of a lease that ended changes nothing.
const SETTLE = sql(
  'settle-event-deliveries',
  `UPDATE merchant_event_deliveries d SET
     state = CASE s.outcome WHEN 'retry' THEN 'pending' ELSE s.outcome END,
     delivered_at = CASE WHEN s.outcome = 'delivered' THEN $2::bigint ELSE d.delivered_at END,
     next_attempt_at = CASE WHEN s.outcome = 'retry' THEN s.retry_at ELSE d.next_attempt_at END,
     last_error = CASE WHEN s.outcome = 'delivered' THEN d.last_error ELSE s.error END
   FROM unnest($3::bigint[], $4::int[], $5::text[], $6::bigint[], $7::text[]) AS s (position, attempt, outcome, retry_at, error)
   WHERE d.sink = $1 AND d.position = s.position AND d.attempts = s.attempt AND d.state = 'pending'`,
);

// In sink order, so two redeliveries over every sink cannot deadlock.
const MOVE_CURSORS_BACK = sql(
  'move-event-sink-cursors-back',
  `WITH chosen AS (
     SELECT sink FROM merchant_event_sinks WHERE $2::text IS NULL OR sink = $2::text ORDER BY sink FOR NO KEY UPDATE
   )
   UPDATE merchant_event_sinks s SET last_position = LEAST(s.last_position, $1::bigint - 1)
   FROM chosen WHERE s.sink = chosen.sink
   RETURNING s.sink`,
);

// After the cursors are locked: a fresh snapshot, and no enqueue of these sinks meanwhile.
const FORGET_SETTLED = sql(
  'forget-settled-event-deliveries',
  `DELETE FROM merchant_event_deliveries WHERE sink = ANY ($1::text[]) AND position >= $2::bigint AND state <> 'pending'`,
);

// Committed events not yet numbered have not reached any sink either.
const BACKLOG = sql(
  'event-delivery-backlog',
  `SELECT c.last_position, s.sink IS NOT NULL AS known,
     (SELECT count(*) FROM merchant_event_deliveries d WHERE d.sink = s.sink AND d.state = 'pending') AS pending,
     LEAST(
       (SELECT min(e.created_at) FROM merchant_event_deliveries d JOIN merchant_events e ON e.position = d.position
        WHERE d.sink = s.sink AND d.state = 'pending'),
       (SELECT min(created_at) FROM merchant_events WHERE position > s.last_position),
       (SELECT min(created_at) FROM merchant_events WHERE position IS NULL AND s.sink IS NOT NULL)
     ) AS oldest
   FROM merchant_event_cursor c LEFT JOIN merchant_event_sinks s ON s.sink = $1`,
);

/** Numbers every committed event first, so the new sink's cursor is past all of them. */
export function registerEventSink(ex: Executor, request: { sink: string; now: number }): Promise<void> {
  return ex.transaction(async (query) => {
    while (mayHaveLeftEvents(await sequenceCommittedEvents(query)));
    await query(REGISTER, [request.sink, request.now]);
  });
}

export function claimEventDeliveries(ex: Executor, request: ClaimEventDeliveriesRequest): Promise<ClaimedEventDelivery[]> {
  const { sink, now, leaseUntil, limit } = request;
  return ex.transaction(async (query) => {
    const locked = await query<{ last_position: string }>(LOCK_SINK, [sink]);
    const cursor = locked.rows[0];
    if (cursor) {
      // The sequencer's lock is held from here to the commit: two statements more.
      await sequenceCommittedEvents(query);
      await query(ENQUEUE, [sink, int(cursor.last_position), DELIVERY_ENQUEUE_BATCH, now]);
    } else if ((await query(SINK_EXISTS, [sink])).rowCount === 0) {
      return [];
    }
    const { rows } = await query<EventRow & { attempts: number }>(CLAIM, [sink, now, leaseUntil, limit]);
    return rows.map((row) => ({ event: toStoredEvent(row), attempt: row.attempts }));
  });
}

export async function settleEventDeliveries(
  ex: Executor,
  request: { sink: string; now: number; settlements: readonly EventDeliverySettlement[] },
): Promise<void> {
  const { settlements } = request;
  if (settlements.length === 0) return;
  await ex.statement(SETTLE, [
    request.sink,
    request.now,
    settlements.map((s) => s.position),
    settlements.map((s) => s.attempt),
    settlements.map((s) => s.outcome),
    settlements.map((s) => (s.outcome === 'retry' ? s.retryAt : null)),
    settlements.map((s) => (s.outcome === 'delivered' ? null : storableText(s.error))),
  ]);
}

export function redeliverEvents(ex: Executor, request: { from: number; sink?: string }): Promise<number> {
  return ex.transaction(async (query) => {
    const { rows } = await query<{ sink: string }>(MOVE_CURSORS_BACK, [request.from, request.sink ?? null]);
    if (rows.length > 0) await query(FORGET_SETTLED, [rows.map((r) => r.sink), request.from]);
    return rows.length;
  });
}

export async function eventDeliveryBacklog(ex: Executor, request: { sink: string }): Promise<EventDeliveryBacklog> {
  const { rows } = await ex.statement<{ last_position: string; known: boolean; pending: string; oldest: string | null }>(BACKLOG, [request.sink]);
  const row = rows[0]!;
  const lastPosition = int(row.last_position);
  if (!row.known) return { pending: 0, oldestUndeliveredAt: undefined, lastPosition };
  return { pending: int(row.pending), oldestUndeliveredAt: row.oldest === null ? undefined : int(row.oldest), lastPosition };
}

/**
 * A receiver's error message as a text column holds it: a NUL would fail the whole settlement,
 * and the batch's delivered events would be sent again. (With `u`, a surrogate pair is one code
 * point outside the class: only unpaired ones are replaced.)
 */
function storableText(text: string): string {
  return text.replace(/[\u0000\ud800-\udfff]/gu, '\uFFFD');
}
