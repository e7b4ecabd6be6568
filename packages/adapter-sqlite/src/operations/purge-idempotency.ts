import type { FlashSaleStore } from '@flashsale/core';
import type { Connection } from '../connection.js';

const PURGE = `DELETE FROM idempotency_records WHERE (scope, key_hash) IN
                 (SELECT scope, key_hash FROM idempotency_records WHERE created_at < ? LIMIT ?)`;

/** Deletes up to `limit` idempotency records created before `before`; answers how many. */
export function preparePurgeIdempotency(conn: Connection): FlashSaleStore['purgeIdempotency'] {
  const purge = conn.db.prepare<[before: number, limit: number]>(PURGE);
  return conn.statement(({ before, limit }: { before: number; limit: number }) => purge.run(before, limit).changes);
}
