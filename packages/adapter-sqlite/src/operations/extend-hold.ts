import { decideExtend, type ExtendHoldRequest, type FlashSaleStore } from '@flashsale/core';
import type { Connection } from '../connection.js';
import { HOLD_COLUMNS, returnedRow, toHold, type HoldRow } from '../rows.js';

const GET_HOLD = `SELECT ${HOLD_COLUMNS} FROM holds WHERE id = ?`;

const SET_EXPIRY = `UPDATE holds SET expires_at = @expiresAt WHERE id = @holdId AND status = 'active' RETURNING ${HOLD_COLUMNS}`;

/**
 * Moves an active hold's expiry, per `decideExtend` on the row as read, under SQLite's write
 * lock (a unit of the connection's group commit): an expiry pass cannot release the hold between the decision and the update, and
 * one that comes after sees the new expiry.
 */
export function prepareExtendHold(conn: Connection): FlashSaleStore['extendHold'] {
  const getHold = conn.db.prepare<[holdId: number], HoldRow>(GET_HOLD);
  const setExpiry = conn.db.prepare<{ holdId: number; expiresAt: number }, HoldRow>(SET_EXPIRY);
  return conn.groupedWriteTransaction((request: ExtendHoldRequest) => {
    const row = getHold.get(request.holdId);
    const decision = decideExtend(row && toHold(row), request.tokenHash, request.now, request);
    if (decision.kind === 'refused') return decision;
    return { kind: 'extended', hold: toHold(returnedRow(setExpiry.get({ holdId: request.holdId, expiresAt: decision.expiresAt }), 'set-expiry')) };
  });
}
