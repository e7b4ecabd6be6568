import { holdAsSeen, orderAsSeen, type FlashSaleStore, type GetHoldRequest, type GetOrderRequest } from '@flashsale/core';
import type { Connection } from '../connection.js';
import { HOLD_COLUMNS, ORDER_COLUMNS, toHold, toOrder, type HoldRow, type OrderRow } from '../rows.js';

const qualified = (alias: string, columns: string) => columns.split(', ').map((column) => `${alias}.${column}`).join(', ');

// One statement each, so one consistent read: the hold with its order's id, the order with its hold's token.
const GET_HOLD = `SELECT ${qualified('h', HOLD_COLUMNS)}, o.id AS order_id FROM holds h LEFT JOIN orders o ON o.hold_id = h.id WHERE h.id = ?`;
const GET_ORDER = `SELECT ${qualified('o', ORDER_COLUMNS)}, h.token_hash AS hold_token_hash FROM orders o JOIN holds h ON h.id = o.hold_id WHERE o.id = ?`;

/** The two reads of the buyer's side of a hold, each checked against the hold's token. */
export function prepareHoldReads(conn: Connection): Pick<FlashSaleStore, 'getHold' | 'getOrder'> {
  const getHold = conn.db.prepare<[holdId: number], HoldRow & { order_id: number | null }>(GET_HOLD);
  const getOrder = conn.db.prepare<[orderId: number], OrderRow & { hold_token_hash: string }>(GET_ORDER);
  return {
    getHold: conn.statement((request: GetHoldRequest) => {
      const row = getHold.get(request.holdId);
      const hold = holdAsSeen(row && toHold(row), request.tokenHash, request.now);
      return hold ? { kind: 'found', hold, orderId: row!.order_id } : { kind: 'refused', code: 'invalid_hold' };
    }),
    getOrder: conn.statement((request: GetOrderRequest) => {
      const row = getOrder.get(request.orderId);
      const order = orderAsSeen(row && toOrder(row), row?.hold_token_hash, request.tokenHash);
      return order ? { kind: 'found', order } : { kind: 'refused', code: 'invalid_order' };
    }),
  };
}
