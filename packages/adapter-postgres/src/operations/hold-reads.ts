import { holdAsSeen, orderAsSeen, type GetHoldRequest, type GetOrderRequest, type HoldReading, type OrderReading } from '@flashsale/core';
import type { Executor } from '../executor.js';
import { HOLD_COLUMNS, int, ORDER_COLUMNS, toHold, toOrder, type HoldRow, type OrderRow } from '../rows.js';
import { sql } from '../statement.js';

const qualified = (alias: string, columns: string) => columns.split(', ').map((column) => `${alias}.${column}`).join(', ');

// One statement each, so one snapshot: the hold with its order's id, the order with its hold's token.
const GET_HOLD = sql(
  'get-hold',
  `SELECT ${qualified('h', HOLD_COLUMNS)}, o.id AS order_id FROM holds h LEFT JOIN orders o ON o.hold_id = h.id WHERE h.id = $1::bigint`,
);
const GET_ORDER = sql(
  'get-order',
  `SELECT ${qualified('o', ORDER_COLUMNS)}, h.token_hash AS hold_token_hash FROM orders o JOIN holds h ON h.id = o.hold_id WHERE o.id = $1::bigint`,
);

export async function getHold(ex: Executor, request: GetHoldRequest): Promise<HoldReading> {
  const { rows } = await ex.statement<HoldRow & { order_id: string | null }>(GET_HOLD, [request.holdId]);
  const row = rows[0];
  const hold = holdAsSeen(row && toHold(row), request.tokenHash, request.now);
  if (!hold) return { kind: 'refused', code: 'invalid_hold' };
  return { kind: 'found', hold, orderId: row!.order_id === null ? null : int(row!.order_id) };
}

export async function getOrder(ex: Executor, request: GetOrderRequest): Promise<OrderReading> {
  const { rows } = await ex.statement<OrderRow & { hold_token_hash: string }>(GET_ORDER, [request.orderId]);
  const row = rows[0];
  const order = orderAsSeen(row && toOrder(row), row?.hold_token_hash, request.tokenHash);
  return order ? { kind: 'found', order } : { kind: 'refused', code: 'invalid_order' };
}
