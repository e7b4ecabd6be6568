import { decideRelease, type FlashSaleStore, type ReleaseHoldRequest } from '@flashsale/core';
import type { Connection } from '../connection.js';
import { HOLD_COLUMNS, toHold, type HoldRow } from '../rows.js';

const GET_HOLD = `SELECT ${HOLD_COLUMNS} FROM holds WHERE id = ?`;

// Guarded by its status: only an active hold is released, so its stock comes back once.
const RELEASE_HOLD = `UPDATE holds SET status = 'released' WHERE id = ? AND status = 'active'`;

const RETURN_STOCK = 'UPDATE products SET available = available + @qty WHERE id = @productId';

/**
 * Gives an active hold's stock back, per `decideRelease`, under SQLite's write lock
 * (a unit of the connection's group commit): no order, expiry pass or other release can act on the hold between
 * reading it and releasing it.
 */
export function prepareReleaseHold(conn: Connection): FlashSaleStore['releaseHold'] {
  const getHold = conn.db.prepare<[holdId: number], HoldRow>(GET_HOLD);
  const releaseHold = conn.db.prepare<[holdId: number]>(RELEASE_HOLD);
  const returnStock = conn.db.prepare<{ productId: number; qty: number }>(RETURN_STOCK);
  return conn.groupedWriteTransaction((request: ReleaseHoldRequest) => {
    const row = getHold.get(request.holdId);
    const hold = row && toHold(row);
    const decision = decideRelease(hold, request.tokenHash, request.now);
    if (decision === 'already_released') return { kind: 'released', hold: hold!, effect: 'none' };
    if (decision !== 'release') return { kind: 'refused', code: decision };
    // The guard cannot fail under the write lock; if it ever did, nothing is returned twice.
    if (releaseHold.run(request.holdId).changes !== 1) throw new Error(`hold ${request.holdId} was read as active but did not release`);
    returnStock.run({ productId: hold!.productId, qty: hold!.qty });
    return { kind: 'released', hold: { ...hold!, status: 'released' }, effect: 'released' };
  });
}
