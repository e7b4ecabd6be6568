import { decideExtend, type ExtendHoldOutcome, type ExtendHoldRequest } from '@flashsale/core';
import type { GroupedTransactions } from '../executor.js';
import { HOLD_COLUMNS, toHold, type HoldRow } from '../rows.js';
import { sql } from '../statement.js';
import { lockHold } from './lock-hold.js';

const SET_EXPIRY = sql(
  'set-hold-expiry',
  `UPDATE holds SET expires_at = $2::bigint WHERE id = $1::bigint AND status = 'active' RETURNING ${HOLD_COLUMNS}`,
);

/**
 * Moves an active hold's expiry, per `decideExtend` on the locked hold row, in one transaction.
 * An expiry pass skips the row while it is locked, and re-checks `expires_at` after, so once this
 * commits no pass releases the hold before its new expiry.
 */
export function extendHold(ex: GroupedTransactions, request: ExtendHoldRequest): Promise<ExtendHoldOutcome> {
  return ex.transaction(async (query) => {
    const decision = decideExtend(await lockHold(query, request.holdId), request.tokenHash, request.now, request);
    if (decision.kind === 'refused') return decision;
    const { rows } = await query<HoldRow>(SET_EXPIRY, [request.holdId, decision.expiresAt]);
    if (!rows[0]) throw new Error(`hold ${request.holdId} was locked as active but did not extend`);
    return { kind: 'extended', hold: toHold(rows[0]) };
  });
}
