import { holdAsSeen, orderAsSeen, type GetHoldRequest, type GetOrderRequest, type HoldReading, type OrderReading } from '@flashsale/core';
import type { Executor } from '../executor.js';
import { HOLD_COLUMNS, int, ORDER_COLUMNS, toHold, toOrder, type HoldRow, type OrderRow } from '../rows.js';

const qualified = (alias: string, columns: string) => columns.split(', ').map((column) => `${alias}.${column}`).join(', ');

// One statement each, so one snapshot: the hold with its order's id, the order with its hold's token.
const GET_HOLD = `SELECT ${qualified('h', HOLD_COLUMNS)}, o.id AS order_id FROM holds h LEFT JOIN orders o ON o.hold_id = h.id WHERE h.id = ?`;
const GET_ORDER = `SELECT ${qualified('o', ORDER_COLUMNS)}, h.token_hash AS hold_token_hash FROM orders o JOIN holds h ON h.id = o.hold_id WHERE o.id = ?`;

export function getHold(ex: Executor, request: GetHoldRequest): Promise<HoldReading> {
  return ex.autocommit(async (session) => {
    const [row] = await session.rows<HoldRow & { order_id: number | string | null }>(GET_HOLD, [request.holdId]);
    const hold = holdAsSeen(row && toHold(row), request.tokenHash, request.now);
    if (!hold) return { kind: 'refused', code: 'invalid_hold' };
    return { kind: 'found', hold, orderId: row!.order_id === null ? null : int(row!.order_id) };
  });
}

export function getOrder(ex: Executor, request: GetOrderRequest): Promise<OrderReading> {
  return ex.autocommit(async (session) => {
    const [row] = await session.rows<OrderRow & { hold_token_hash: string }>(GET_ORDER, [request.orderId]);
    const order = orderAsSeen(row && toOrder(row), row?.hold_token_hash, request.tokenHash);
    return order ? { kind: 'found', order } : { kind: 'refused', code: 'invalid_order' };
  });
}
