import type { HoldRecord } from '@flashsale/core';
import type { Session } from '../executor.js';
import { HOLD_COLUMNS, toHold, type HoldRow } from '../rows.js';

// FOR UPDATE, as createOrder locks a hold: two units acting on one hold decide one after the
// other, and an expiry pass (FOR UPDATE SKIP LOCKED) passes over it meanwhile.
const LOCK_HOLD_ROW = `SELECT ${HOLD_COLUMNS} FROM holds WHERE id = ? FOR UPDATE`;

/** Locks the hold's row until the transaction ends, and reads it; undefined when there is none. */
export async function lockHold(session: Session, holdId: number): Promise<HoldRecord | undefined> {
  const [row] = await session.rows<HoldRow>(LOCK_HOLD_ROW, [holdId]);
  return row && toHold(row);
}
