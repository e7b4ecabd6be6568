import { decidePayment, type ApplyPaymentRequest, type FlashSaleStore, type OrderStatus } from '@flashsale/core';
import type { Connection } from '../connection.js';
import type { IdempotencyRecords } from '../idempotency-records.js';
import { ORDER_COLUMNS, returnedRow, toOrder, type OrderRow } from '../rows.js';

const GET_ORDER = `SELECT ${ORDER_COLUMNS} FROM orders WHERE id = ?`;

const SET_ORDER_STATUS = `UPDATE orders SET status = @status, txn_id = coalesce(@txnId, txn_id) WHERE id = @id
                          RETURNING ${ORDER_COLUMNS}`;

const RETURN_STOCK = 'UPDATE products SET available = available + @qty WHERE id = @productId';

// Guarded: takes the stock again only if it is all still there.
const RETAKE_STOCK = 'UPDATE products SET available = available - @qty WHERE id = @productId AND available >= @qty';

/** Applies a payment outcome to an order, per `decidePayment`, as one unit of the connection's group commit. */
export function prepareApplyPayment(conn: Connection, records: IdempotencyRecords): FlashSaleStore['applyPayment'] {
  const getOrder = conn.db.prepare<[orderId: number], OrderRow>(GET_ORDER);
  const setOrderStatus = conn.db.prepare<{ id: number; status: OrderStatus; txnId: string | null }, OrderRow>(SET_ORDER_STATUS);
  const returnStock = conn.db.prepare<{ productId: number; qty: number }>(RETURN_STOCK);
  const retakeStock = conn.db.prepare<{ productId: number; qty: number }>(RETAKE_STOCK);
  return conn.groupedWriteTransaction((request: ApplyPaymentRequest) =>
    records.keyed<'payment'>(request.idempotency, request.now, () => {
      const row = getOrder.get(request.orderId);
      if (!row) return { kind: 'refused', code: 'order_not_found' };
      const settle = (status: OrderStatus) =>
        toOrder(returnedRow(setOrderStatus.get({ id: row.id, status, txnId: request.txnId }), 'set-order-status'));
      switch (decidePayment(row.status, request.status)) {
        case 'complete':
          return { kind: 'applied', effect: 'completed', order: settle('completed') };
        case 'fail':
          returnStock.run({ productId: row.product_id, qty: row.qty });
          return { kind: 'applied', effect: 'failed', order: settle('failed') };
        case 'retake':
          if (retakeStock.run({ productId: row.product_id, qty: row.qty }).changes === 1) {
            return { kind: 'applied', effect: 'retaken', order: settle('completed') };
          }
          return { kind: 'applied', effect: 'refund_due', order: settle('refund_due') };
        case 'none':
          return { kind: 'applied', effect: 'none', order: toOrder(row) };
        case 'conflict':
          return { kind: 'refused', code: 'payment_conflict', order: toOrder(row) };
      }
    }),
  );
}
