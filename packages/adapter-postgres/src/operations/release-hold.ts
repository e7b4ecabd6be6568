import { decideRelease, type ReleaseHoldOutcome, type ReleaseHoldRequest } from '@flashsale/core';
import type { GroupedTransactions } from '../executor.js';
import { sql } from '../statement.js';
import { lockHold } from './lock-hold.js';

// The status guard makes the release and its stock return one step that happens at most once.
const RELEASE = sql(
  'release-hold',
  `WITH released AS (
     UPDATE holds SET status = 'released' WHERE id = $1::bigint AND status = 'active'
     RETURNING product_id, qty
   )
   UPDATE products p SET available = p.available + r.qty FROM released r WHERE p.id = r.product_id
   RETURNING p.id`,
);

/**
 * Gives an active hold's stock back, per `decideRelease` on the locked hold row, in one
 * transaction. Lock order: the hold, then its product, as an expiry pass takes them.
 */
export function releaseHold(ex: GroupedTransactions, request: ReleaseHoldRequest): Promise<ReleaseHoldOutcome> {
  return ex.transaction(async (query) => {
    const hold = await lockHold(query, request.holdId);
    const decision = decideRelease(hold, request.tokenHash, request.now);
    if (decision === 'already_released') return { kind: 'released', hold: hold!, effect: 'none' };
    if (decision !== 'release') return { kind: 'refused', code: decision };
    const released = await query(RELEASE, [request.holdId]);
    if (released.rowCount !== 1) throw new Error(`hold ${request.holdId} was locked as active but did not release`);
    return { kind: 'released', hold: { ...hold!, status: 'released' }, effect: 'released' };
  });
}
