import { decidePayment, storedAnswer, type ApplyPaymentRequest, type OrderRecord, type PaymentOutcome, type Replayable } from '@flashsale/core';
import type { GroupedTransactions, Session } from '../executor.js';
import { claimFor, claimKeys, finishKeys, keyOf } from '../idempotency-records.js';
import { int, ORDER_COLUMNS, toOrder, type OrderRow } from '../rows.js';
import { appendSoldOut } from './product-events.js';

const LOCK_ORDER = `SELECT ${ORDER_COLUMNS} FROM orders WHERE id = ? FOR UPDATE`;

const SET_ORDER_STATUS = 'UPDATE orders SET status = ?, txn_id = COALESCE(?, txn_id) WHERE id = ?';

const RETURN_STOCK = 'UPDATE products SET available = available + ? WHERE id = ?';

// Guarded: takes the stock again only if it is all still there.
const RETAKE_STOCK = 'UPDATE products SET available = available - ? WHERE id = ? AND available >= ?';

/**
 * Applies a payment outcome, per `decidePayment`, to the locked order row. Lock order: the key,
 * then the order, then the product, the same as every other unit that takes more than one.
 */
export function applyPayment(ex: GroupedTransactions, request: ApplyPaymentRequest): Promise<Replayable<PaymentOutcome>> {
  return ex.transaction(async (session) => {
    const write = request.idempotency;
    const replay = (await claimKeys(session, [claimFor(write, request.now)])).get(keyOf(write));
    if (replay) return replay;
    const outcome = await settle(session, request);
    await finishKeys(session, [{ scope: write.scope, keyHash: write.keyHash, fingerprint: write.fingerprint, body: storedAnswer(write, outcome) }]);
    return { kind: 'done', outcome };
  });
}

async function settle(session: Session, request: ApplyPaymentRequest): Promise<PaymentOutcome> {
  const [row] = await session.rows<OrderRow>(LOCK_ORDER, [request.orderId]);
  if (!row) return { kind: 'refused', code: 'order_not_found' };
  const order = toOrder(row);
  const setStatus = async (status: OrderRecord['status']): Promise<OrderRecord> => {
    await session.run(SET_ORDER_STATUS, [status, request.txnId, order.id]);
    return { ...order, status, txnId: request.txnId ?? order.txnId };
  };

  switch (decidePayment(order.status, request.status)) {
    case 'complete':
      return { kind: 'applied', order: await setStatus('completed'), effect: 'completed' };
    case 'fail': {
      const failed = await setStatus('failed');
      await session.run(RETURN_STOCK, [order.qty, order.productId]);
      return { kind: 'applied', order: failed, effect: 'failed' };
    }
    case 'retake': {
      const retaken = await session.run(RETAKE_STOCK, [order.qty, order.productId, order.qty]);
      if (retaken.affectedRows === 1) {
        // Events for the merchant: the row is locked by the retake, so its stock is exact.
        const [product] = await session.rows<{ available: number | string }>('SELECT available FROM products WHERE id = ?', [order.productId]);
        if (int(product?.available) === 0) await appendSoldOut(session, order.productId, request.now);
        return { kind: 'applied', order: await setStatus('completed'), effect: 'retaken' };
      }
      return { kind: 'applied', order: await setStatus('refund_due'), effect: 'refund_due' };
    }
    case 'none':
      return { kind: 'applied', order, effect: 'none' };
    case 'conflict':
      return { kind: 'refused', code: 'payment_conflict', order };
  }
}
