import type { HoldRecord } from '@flashsale/core';
import type { Query } from '../executor.js';
import { HOLD_COLUMNS, toHold, type HoldRow } from '../rows.js';
import { sql } from '../statement.js';

// FOR NO KEY UPDATE, as createOrder locks a hold: two units acting on one hold decide one after
// the other, an expiry pass (FOR UPDATE SKIP LOCKED) passes over it meanwhile, and the foreign-key
// checks of new orders (FOR KEY SHARE) are not blocked.
const LOCK_HOLD_ROW = sql('lock-hold-row', `SELECT ${HOLD_COLUMNS} FROM holds WHERE id = $1::bigint FOR NO KEY UPDATE`);

/** Locks the hold's row until the transaction ends, and reads it; undefined when there is none. */
export async function lockHold(query: Query, holdId: number): Promise<HoldRecord | undefined> {
  const { rows } = await query<HoldRow>(LOCK_HOLD_ROW, [holdId]);
  return rows[0] && toHold(rows[0]);
}
