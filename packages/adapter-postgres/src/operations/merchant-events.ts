import type { MerchantEventType, StoredMerchantEvent } from '@flashsale/core';
import type { Executor } from '../executor.js';
import { int } from '../rows.js';
import { sql } from '../statement.js';

/*
 * The outbox the triggers of sql/000006.sql append to. Events commit unnumbered; a sequencer run
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
   UPDATE merchant_event_cursor SET last_position = last_position + (SELECT count(*) FROM placed)`,
);

const READ = sql(
  'read-events',
  `SELECT position, id, type, created_at, data FROM merchant_events WHERE position > $1::bigint ORDER BY position LIMIT $2::int`,
);

const PURGE = sql(
  'purge-events',
  `DELETE FROM merchant_events WHERE seq IN (
     SELECT seq FROM merchant_events WHERE created_at < $1::bigint ORDER BY created_at LIMIT $2::int FOR UPDATE SKIP LOCKED
   )`,
);

/** Events numbered per sequencer run: enough for a full page, few enough to keep the run short. */
const SEQUENCE_BATCH = 1000;

interface EventRow {
  position: string;
  id: string;
  type: MerchantEventType;
  created_at: string;
  data: Record<string, unknown>;
}

/** Numbers what has committed, then reads up to `limit` events after `after`, in one transaction. */
export function readMerchantEvents(ex: Executor, request: { after: number; limit: number }): Promise<StoredMerchantEvent[]> {
  return ex.transaction(async (query) => {
    await query(LOCK_CURSOR, []);
    await query(SEQUENCE, [SEQUENCE_BATCH]);
    const { rows } = await query<EventRow>(READ, [request.after, request.limit]);
    return rows.map((row) => ({ id: row.id, type: row.type, createdAt: int(row.created_at), position: int(row.position), data: row.data }));
  });
}

export async function purgeMerchantEvents(ex: Executor, request: { before: number; limit: number }): Promise<number> {
  const { rowCount } = await ex.statement(PURGE, [request.before, request.limit]);
  return rowCount ?? 0;
}
