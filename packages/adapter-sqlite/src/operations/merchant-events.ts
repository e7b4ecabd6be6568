import type { FlashSaleStore, MerchantEventType, StoredMerchantEvent } from '@flashsale/core';
import type { Connection } from '../connection.js';

// Rowid order is commit order (one writer at a time), so a reader after `position` never skips.
const READ = 'SELECT position, id, type, created_at, data FROM merchant_events WHERE position > ? ORDER BY position LIMIT ?';

const PURGE = 'DELETE FROM merchant_events WHERE position IN (SELECT position FROM merchant_events WHERE created_at < ? LIMIT ?) RETURNING position';

// A purged event's deliveries go with it: they could never be made, and would hold their order back.
const PURGE_DELIVERIES = 'DELETE FROM merchant_event_deliveries WHERE position <= ?';

/** A row of merchant_events, as every statement that reads whole events selects it. */
export interface EventRow {
  position: number;
  id: string;
  type: MerchantEventType;
  created_at: number;
  data: string;
}

export const storedEvent = (row: EventRow): StoredMerchantEvent => ({ id: row.id, type: row.type, createdAt: row.created_at, position: row.position, data: JSON.parse(row.data) as Record<string, unknown> });

/** The outbox the triggers of migrations/0005 append to: read a page of it, purge its old rows. */
export function prepareMerchantEvents(conn: Connection): Pick<FlashSaleStore, 'readMerchantEvents' | 'purgeMerchantEvents'> {
  const read = conn.db.prepare<[after: number, limit: number], EventRow>(READ);
  const purge = conn.db.prepare<[before: number, limit: number], { position: number }>(PURGE);
  const purgeDeliveries = conn.db.prepare<[highest: number]>(PURGE_DELIVERIES);
  return {
    readMerchantEvents: conn.statement(({ after, limit }: { after: number; limit: number }): StoredMerchantEvent[] =>
      read.all(after, limit).map(storedEvent),
    ),
    purgeMerchantEvents: conn.writeTransaction(({ before, limit }: { before: number; limit: number }) => {
      const purged = purge.all(before, limit);
      if (purged.length > 0) purgeDeliveries.run(Math.max(...purged.map((row) => row.position)));
      return purged.length;
    }),
  };
}
