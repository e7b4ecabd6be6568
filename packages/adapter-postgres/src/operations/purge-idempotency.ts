import type { Executor } from '../executor.js';
import { sql } from '../statement.js';

// SKIP LOCKED: a purge never waits for, nor deletes under, a request still using its key.
const PURGE = sql(
  'purge-idempotency',
  `WITH doomed AS (
     SELECT scope, key_hash FROM idempotency_records
     WHERE created_at < $1::bigint AND body IS NOT NULL
     ORDER BY created_at LIMIT $2::int
     FOR UPDATE SKIP LOCKED
   )
   DELETE FROM idempotency_records r USING doomed d
   WHERE r.scope = d.scope AND r.key_hash = d.key_hash`,
);

/** Deletes up to `limit` idempotency records created before `before`; returns how many. */
export async function purgeIdempotency(ex: Executor, request: { before: number; limit: number }): Promise<number> {
  const result = await ex.statement(PURGE, [request.before, request.limit]);
  return result.rowCount ?? 0;
}
