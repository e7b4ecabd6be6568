import { decideRelease, type ReleaseHoldOutcome, type ReleaseHoldRequest } from '@flashsale/core';
import type { GroupedTransactions } from '../executor.js';
import { lockHold } from './lock-hold.js';

// The status guard makes the release and its stock return one step that happens at most once.
const RELEASE = "UPDATE holds SET status = 'released' WHERE id = ? AND status = 'active'";
const RETURN_STOCK = 'UPDATE products SET available = available + ? WHERE id = ?';

/**
 * Gives an active hold's stock back, per `decideRelease` on the locked hold row, in one
 * transaction. Lock order: the hold, then its product, as an expiry pass takes them.
 */
export function releaseHold(ex: GroupedTransactions, request: ReleaseHoldRequest): Promise<ReleaseHoldOutcome> {
  return ex.transaction(async (session) => {
    const hold = await lockHold(session, request.holdId);
    const decision = decideRelease(hold, request.tokenHash, request.now);
    if (decision === 'already_released') return { kind: 'released', hold: hold!, effect: 'none' };
    if (decision !== 'release') return { kind: 'refused', code: decision };
    const released = await session.run(RELEASE, [request.holdId]);
    if (released.affectedRows !== 1) throw new Error(`hold ${request.holdId} was locked as active but did not release`);
    await session.run(RETURN_STOCK, [hold!.qty, hold!.productId]);
    return { kind: 'released', hold: { ...hold!, status: 'released' }, effect: 'released' };
  });
}
