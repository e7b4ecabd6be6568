import type { Executor } from '../executor.js';
import { placeholders } from '../rows.js';

// SKIP LOCKED: a purge never waits for, nor deletes under, a request still using its key (a
// replay's claim holds a shared lock on the record it found). MySQL's DELETE has no SKIP LOCKED,
// so the records are picked by a locking SELECT first, in the same transaction.
const DOOMED = `SELECT scope, key_hash FROM idempotency_records
                WHERE created_at < ? AND body IS NOT NULL
                ORDER BY created_at LIMIT ? FOR UPDATE SKIP LOCKED`;

/** Deletes up to `limit` idempotency records created before `before`; returns how many. */
export function purgeIdempotency(ex: Executor, request: { before: number; limit: number }): Promise<number> {
  return ex.transaction(async (session) => {
    const doomed = await session.rows<{ scope: string; key_hash: string }>(DOOMED, [request.before, request.limit]);
    if (doomed.length === 0) return 0;
    const deleted = await session.run(
      `DELETE FROM idempotency_records WHERE (scope, key_hash) IN (${placeholders(doomed.length, '(?, ?)')})`,
      doomed.flatMap((row) => [row.scope, row.key_hash]),
    );
    return deleted.affectedRows;
  });
}
