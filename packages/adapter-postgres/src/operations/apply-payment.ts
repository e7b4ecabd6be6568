import { decidePayment, storedAnswer, type ApplyPaymentRequest, type PaymentOutcome, type Replayable } from '@flashsale/core';
import type { GroupedTransactions, Query } from '../executor.js';
import { claimFor, claimKeys, finishKeys, keyOf } from '../idempotency-records.js';
import { ORDER_COLUMNS, toOrder, type OrderRow } from '../rows.js';
import { sql } from '../statement.js';

const LOCK_ORDER = sql('lock-order', `SELECT ${ORDER_COLUMNS} FROM orders WHERE id = $1::bigint FOR NO KEY UPDATE`);

const SET_ORDER_STATUS = sql(
  'set-order-status',
  `UPDATE orders SET status = $2::text, txn_id = COALESCE($3::text, txn_id) WHERE id = $1::bigint RETURNING ${ORDER_COLUMNS}`,
);

const RETURN_STOCK = sql('return-stock', `UPDATE products SET available = available + $2::bigint WHERE id = $1::bigint`);

// Guarded: takes the stock again only if it is all still there.
const RETAKE_STOCK = sql(
  'retake-stock',
  `UPDATE products SET available = available - $2::bigint WHERE id = $1::bigint AND available >= $2::bigint RETURNING id`,
);

/**
 * Applies a payment outcome, per `decidePayment`, to the locked order row. Lock order: the key,
 * then the order, then the product, the same as every other unit that takes more than one.
 */
export function applyPayment(ex: GroupedTransactions, request: ApplyPaymentRequest): Promise<Replayable<PaymentOutcome>> {
  return ex.transaction(async (query) => {
    const write = request.idempotency;
    const replay = (await claimKeys(query, [claimFor(write, request.now)])).get(keyOf(write));
    if (replay) return replay;
    const outcome = await settle(query, request);
    await finishKeys(query, [{ scope: write.scope, keyHash: write.keyHash, fingerprint: write.fingerprint, body: storedAnswer(write, outcome) }]);
    return { kind: 'done', outcome };
  });
}

async function settle(query: Query, request: ApplyPaymentRequest): Promise<PaymentOutcome> {
  const { rows } = await query<OrderRow>(LOCK_ORDER, [request.orderId]);
  const row = rows[0];
  if (!row) return { kind: 'refused', code: 'order_not_found' };
  const order = toOrder(row);
  const setStatus = async (status: string) => toOrder((await query<OrderRow>(SET_ORDER_STATUS, [order.id, status, request.txnId])).rows[0]!);

  switch (decidePayment(order.status, request.status)) {
    case 'complete':
      return { kind: 'applied', order: await setStatus('completed'), effect: 'completed' };
    case 'fail': {
      const failed = await setStatus('failed');
      await query(RETURN_STOCK, [order.productId, order.qty]);
      return { kind: 'applied', order: failed, effect: 'failed' };
    }
    case 'retake': {
      const retaken = await query(RETAKE_STOCK, [order.productId, order.qty]);
      if (retaken.rowCount === 1) return { kind: 'applied', order: await setStatus('completed'), effect: 'retaken' };
      return { kind: 'applied', order: await setStatus('refund_due'), effect: 'refund_due' };
    }
    case 'none':
      return { kind: 'applied', order, effect: 'none' };
    case 'conflict':
      return { kind: 'refused', code: 'payment_conflict', order };
  }
}
