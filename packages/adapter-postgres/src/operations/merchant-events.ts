import type { MerchantEventType, StoredMerchantEvent } from '@flashsale/core';
import type { Executor, Query } from '../executor.js';
import { int } from '../rows.js';
import { sql } from '../statement.js';

/*
 * The outbox the triggers of sql/000007.sql append to. Events commit unnumbered; a sequencer run
 * numbers the committed ones before each read (see that migration for why a reader then never
 * skips one). Sequencer runs take the cursor row's lock first, in a statement of their own, so
 * the numbering statement's snapshot is taken after the previous run committed.
 */

const LOCK_CURSOR = sql('lock-event-cursor', 'SELECT last_position FROM merchant_event_cursor FOR UPDATE');

// In seq order, so the events of one transaction, and of one order, keep the order they were appended in.
const SEQUENCE = sql(
  'sequence-events',
  `WITH batch AS (
     SELECT seq FROM merchant_events WHERE position IS NULL ORDER BY seq LIMIT $1::int FOR UPDATE SKIP LOCKED
   ), numbered AS (
     SELECT seq, row_number() OVER (ORDER BY seq) AS n FROM batch
   ), placed AS (
     UPDATE merchant_events e SET position = c.last_position + numbered.n
     FROM numbered, merchant_event_cursor c WHERE e.seq = numbered.seq
     RETURNING e.position
   )
   UPDATE merchant_event_cursor SET last_position = last_position + (SELECT count(*) FROM placed)
   RETURNING last_position`,
);

const READ = sql(
  'read-events',
  `SELECT position, id, type, created_at, data FROM merchant_events WHERE position > $1::bigint ORDER BY position LIMIT $2::int`,
);

// Events for the merchant, pushed: a claim enqueues under its sink row's lock; the purge waits for
// those in flight (and makes new ones skip their enqueue until it commits), so none can enqueue an
// event the purge deletes after the purge has deleted the deliveries.
const HOLD_SINK_CURSORS = sql('hold-event-sink-cursors', 'SELECT sink FROM merchant_event_sinks ORDER BY sink FOR SHARE');

// The deliveries go with their events, at or below the highest position purged.
const PURGE = sql(
  'purge-events',
  `WITH purged AS (
     DELETE FROM merchant_events WHERE seq IN (
       SELECT seq FROM merchant_events WHERE created_at < $1::bigint ORDER BY created_at LIMIT $2::int FOR UPDATE SKIP LOCKED
     ) RETURNING position
   ), dropped AS (
     DELETE FROM merchant_event_deliveries d USING merchant_event_sinks s
     WHERE d.sink = s.sink AND d.position <= (SELECT max(position) FROM purged)
   )
   SELECT count(*) AS purged FROM purged`,
);

/** Events numbered per sequencer run: enough for a full page, few enough to keep the run short. */
const SEQUENCE_BATCH = 1000;

export interface EventRow {
  position: string;
  id: string;
  type: MerchantEventType;
  created_at: string;
  data: Record<string, unknown>;
}

export function toStoredEvent(row: EventRow): StoredMerchantEvent {
  return { id: row.id, type: row.type, createdAt: int(row.created_at), position: int(row.position), data: row.data };
}

/**
 * A sequencer run in the caller's transaction: takes the cursor's lock (held to its end, so keep
 * what follows short) and numbers up to a batch of committed events. Answers how many it numbered.
 */
export async function sequenceCommittedEvents(query: Query): Promise<number> {
  const before = await query<{ last_position: string }>(LOCK_CURSOR, []);
  const after = await query<{ last_position: string }>(SEQUENCE, [SEQUENCE_BATCH]);
  return int(after.rows[0]!.last_position) - int(before.rows[0]!.last_position);
}

/** Whether a run that numbered `count` events may have left more unnumbered. */
export const mayHaveLeftEvents = (count: number): boolean => count >= SEQUENCE_BATCH;

/** Numbers what has committed, then reads up to `limit` events after `after`, in one transaction. */
export function readMerchantEvents(ex: Executor, request: { after: number; limit: number }): Promise<StoredMerchantEvent[]> {
  return ex.transaction(async (query) => {
    await sequenceCommittedEvents(query);
    const { rows } = await query<EventRow>(READ, [request.after, request.limit]);
    return rows.map(toStoredEvent);
  });
}

export function purgeMerchantEvents(ex: Executor, request: { before: number; limit: number }): Promise<number> {
  return ex.transaction(async (query) => {
    await query(HOLD_SINK_CURSORS, []);
    const { rows } = await query<{ purged: string }>(PURGE, [request.before, request.limit]);
    return int(rows[0]!.purged);
  });
}
