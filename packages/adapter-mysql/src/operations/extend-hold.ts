import { decideExtend, type ExtendHoldOutcome, type ExtendHoldRequest } from '@flashsale/core';
import type { GroupedTransactions } from '../executor.js';
import { lockHold } from './lock-hold.js';

const SET_EXPIRY = "UPDATE holds SET expires_at = ? WHERE id = ? AND status = 'active'";

/**
 * Moves an active hold's expiry, per `decideExtend` on the locked hold row, in one transaction.
 * An expiry pass skips the row while it is locked, and its UPDATE re-checks `expires_at`, so once
 * this commits no pass releases the hold before its new expiry.
 */
export function extendHold(ex: GroupedTransactions, request: ExtendHoldRequest): Promise<ExtendHoldOutcome> {
  return ex.transaction(async (session) => {
    const hold = await lockHold(session, request.holdId);
    const decision = decideExtend(hold, request.tokenHash, request.now, request);
    if (decision.kind === 'refused') return decision;
    // An UPDATE that changes nothing affects no row in MySQL's count: only send a real change.
    if (decision.expiresAt === hold!.expiresAt) return { kind: 'extended', hold: hold! };
    const extended = await session.run(SET_EXPIRY, [decision.expiresAt, request.holdId]);
    if (extended.affectedRows !== 1) throw new Error(`hold ${request.holdId} was locked as active but did not extend`);
    return { kind: 'extended', hold: { ...hold!, expiresAt: decision.expiresAt } };
  });
}
