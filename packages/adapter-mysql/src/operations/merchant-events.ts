import type { MerchantEventType, StoredMerchantEvent } from '@flashsale/core';
import type { Executor, Session } from '../executor.js';
import { int, placeholders, type Int } from '../rows.js';

/*
 * The outbox the triggers of sql/000004.sql append to. Events commit unnumbered; a sequencer run
 * numbers the committed ones before each read (see that migration for why a reader then never
 * skips one): it locks the cursor row first, so runs are one at a time, then takes the
 * unnumbered events no open transaction holds (SKIP LOCKED), in seq order.
 */

const LOCK_CURSOR = 'SELECT last_position FROM merchant_event_cursor WHERE id = 1 FOR UPDATE';

const UNNUMBERED = 'SELECT seq FROM merchant_events WHERE position IS NULL ORDER BY seq LIMIT ? FOR UPDATE SKIP LOCKED';

const MOVE_CURSOR = 'UPDATE merchant_event_cursor SET last_position = ? WHERE id = 1';

const READ = 'SELECT position, id, type, created_at, data FROM merchant_events WHERE position > ? ORDER BY position LIMIT ?';

// MySQL's DELETE has no SKIP LOCKED: the rows are picked by a locking SELECT first.
const DOOMED = 'SELECT seq, position FROM merchant_events WHERE created_at < ? ORDER BY created_at LIMIT ? FOR UPDATE SKIP LOCKED';

// MariaDB has no FOR SHARE; both have LOCK IN SHARE MODE.
const LOCK_SINKS = 'SELECT sink FROM merchant_event_sinks ORDER BY sink LOCK IN SHARE MODE';

/** Events numbered per sequencer run: enough for a full page, few enough to keep the run short. */
const SEQUENCE_BATCH = 1000;

export interface EventRow {
  position: Int;
  id: string;
  type: MerchantEventType;
  created_at: Int;
  data: string;
}

/**
 * The sequencer: numbers the committed unnumbered events (a batch of them) and answers the newest
 * position handed out. Holds the cursor row's lock until the caller's transaction ends.
 */
export async function numberCommittedEvents(session: Session): Promise<number> {
  const [cursor] = await session.rows<{ last_position: Int }>(LOCK_CURSOR);
  if (!cursor) throw new Error('merchant_event_cursor has no row: the database was not migrated by this package');
  const last = int(cursor.last_position);
  const unnumbered = await session.rows<{ seq: Int }>(UNNUMBERED, [SEQUENCE_BATCH]);
  if (unnumbered.length === 0) return last;
  const seqs = unnumbered.map((row) => int(row.seq));
  await session.run(
    `UPDATE merchant_events SET position = CASE seq ${seqs.map(() => 'WHEN ? THEN ?').join(' ')} END WHERE seq IN (${placeholders(seqs.length)})`,
    [...seqs.flatMap((seq, i) => [seq, last + i + 1]), ...seqs],
  );
  await session.run(MOVE_CURSOR, [last + seqs.length]);
  return last + seqs.length;
}

export function toStoredMerchantEvent(row: EventRow): StoredMerchantEvent {
  return { id: row.id, type: row.type, createdAt: int(row.created_at), position: int(row.position), data: JSON.parse(row.data) as Record<string, unknown> };
}

/** Numbers what has committed, then reads up to `limit` events after `after`, in one transaction. */
export function readMerchantEvents(ex: Executor, request: { after: number; limit: number }): Promise<StoredMerchantEvent[]> {
  return ex.transaction(async (session) => {
    await numberCommittedEvents(session);
    const rows = await session.rows<EventRow>(READ, [request.after, request.limit]);
    return rows.map(toStoredMerchantEvent);
  });
}

/**
 * Deletes up to `limit` events created before `before`, and (events for the merchant, pushed) every
 * sink's deliveries at or below the highest position purged, in the same transaction. The sink
 * rows are share-locked before the deliveries go: an enqueue in flight (which holds its sink's row) commits before
 * the deliveries are deleted, so none re-adds a purged event, and a claim meanwhile skips its
 * enqueue. Each sink's deliveries then go by a range of its primary key, locking only those rows.
 */
export function purgeMerchantEvents(ex: Executor, request: { before: number; limit: number }): Promise<number> {
  return ex.transaction(async (session) => {
    const doomed = await session.rows<{ seq: Int; position: Int | null }>(DOOMED, [request.before, request.limit]);
    if (doomed.length === 0) return 0;
    const deleted = await session.run(`DELETE FROM merchant_events WHERE seq IN (${placeholders(doomed.length)})`, doomed.map((row) => row.seq));
    const highest = Math.max(0, ...doomed.map((row) => (row.position === null ? 0 : int(row.position))));
    if (highest > 0) {
      const sinks = await session.rows<{ sink: string }>(LOCK_SINKS);
      if (sinks.length > 0) {
        await session.run(`DELETE FROM merchant_event_deliveries WHERE sink IN (${placeholders(sinks.length)}) AND position <= ?`, [...sinks.map((row) => row.sink), highest]);
      }
    }
    return deleted.affectedRows;
  });
}
