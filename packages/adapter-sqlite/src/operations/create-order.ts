import { decideOrder, type CreateOrderRequest, type FlashSaleStore } from '@flashsale/core';
import type { Connection } from '../connection.js';
import type { IdempotencyRecords } from '../idempotency-records.js';
import { HOLD_COLUMNS, ORDER_COLUMNS, returnedRow, toHold, toOrder, type HoldRow, type OrderRow } from '../rows.js';

const GET_HOLD = `SELECT ${HOLD_COLUMNS} FROM holds WHERE id = ?`;

const CONVERT_HOLD = `UPDATE holds SET status = 'converted' WHERE id = ? AND status = 'active'`;

const INSERT_ORDER = `INSERT INTO orders (hold_id, product_id, qty, amount_cents, status, created_at, payment_deadline)
                      SELECT h.id, h.product_id, h.qty, h.qty * p.price_cents, 'pending', @now, @paymentDeadline
                      FROM holds h JOIN products p ON p.id = h.product_id WHERE h.id = @holdId
                      RETURNING ${ORDER_COLUMNS}`;

/** Turns an active hold into a pending order, per `decideOrder`, as one unit of the connection's group commit. */
export function prepareCreateOrder(conn: Connection, records: IdempotencyRecords): FlashSaleStore['createOrder'] {
  const getHold = conn.db.prepare<[holdId: number], HoldRow>(GET_HOLD);
  const convertHold = conn.db.prepare<[holdId: number]>(CONVERT_HOLD);
  const insertOrder = conn.db.prepare<{ holdId: number; now: number; paymentDeadline: number }, OrderRow>(INSERT_ORDER);
  return conn.groupedWriteTransaction((request: CreateOrderRequest) =>
    records.keyed<'order'>(request.idempotency, request.now, () => {
      const row = getHold.get(request.holdId);
      const decision = decideOrder(row && toHold(row), request.tokenHash, request.now);
      if (decision !== 'create') return { kind: 'refused', code: decision };
      convertHold.run(request.holdId);
      return { kind: 'created', order: toOrder(returnedRow(insertOrder.get(request), 'insert-order')) };
    }),
  );
}
