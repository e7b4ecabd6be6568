import { decideOrder, storedAnswer, type CreateOrderOutcome, type CreateOrderRequest, type Replayable } from '@flashsale/core';
import type { GroupedTransactions } from '../executor.js';
import { claimFor, claimKeys, finishKeys, keyOf } from '../idempotency-records.js';
import { int, toHold, type HoldRow } from '../rows.js';

// The hold row is locked, so two requests for one hold decide one after the other. The price
// comes from a scalar subquery, which a locking read does not lock (on MySQL 8 and MariaDB
// alike): the hot product's row is neither locked nor waited for. (`FOR UPDATE OF h`, MySQL's
// way of saying so, does not exist on MariaDB.)
const LOCK_HOLD = `SELECT h.id, h.product_id, h.qty, h.status, h.token_hash, h.created_at, h.expires_at,
                          (SELECT p.price_cents FROM products p WHERE p.id = h.product_id) AS price_cents
                   FROM holds h WHERE h.id = ? FOR UPDATE`;

const CONVERT = "UPDATE holds SET status = 'converted' WHERE id = ? AND status = 'active'";

const INSERT_ORDER = `INSERT INTO orders (hold_id, product_id, qty, amount_cents, status, created_at, payment_deadline, txn_id)
                      VALUES (?, ?, ?, ?, 'pending', ?, ?, NULL)`;

/** Turns an active hold into a pending order, per `decideOrder`, in one transaction. */
export function createOrder(ex: GroupedTransactions, request: CreateOrderRequest): Promise<Replayable<CreateOrderOutcome>> {
  return ex.transaction(async (session) => {
    const write = request.idempotency;
    if (write) {
      const replay = (await claimKeys(session, [claimFor(write, request.now)])).get(keyOf(write));
      if (replay) return replay;
    }
    const [row] = await session.rows<HoldRow & { price_cents: number | string }>(LOCK_HOLD, [request.holdId]);
    const hold = row ? toHold(row) : undefined;
    const decision = decideOrder(hold, request.tokenHash, request.now);
    let outcome: CreateOrderOutcome;
    if (decision === 'create' && hold) {
      const converted = await session.run(CONVERT, [hold.id]);
      if (converted.affectedRows !== 1) throw new Error(`hold ${hold.id} was locked as active but did not convert`);
      const amountCents = hold.qty * int(row!.price_cents);
      const inserted = await session.run(INSERT_ORDER, [hold.id, hold.productId, hold.qty, amountCents, request.now, request.paymentDeadline]);
      outcome = {
        kind: 'created',
        order: {
          id: int(inserted.insertId),
          holdId: hold.id,
          productId: hold.productId,
          qty: hold.qty,
          amountCents,
          status: 'pending',
          createdAt: request.now,
          paymentDeadline: request.paymentDeadline,
          txnId: null,
        },
      };
    } else {
      outcome = { kind: 'refused', code: decision === 'create' ? 'invalid_hold' : decision };
    }
    if (write) await finishKeys(session, [{ scope: write.scope, keyHash: write.keyHash, fingerprint: write.fingerprint, body: storedAnswer(write, outcome) }]);
    return { kind: 'done', outcome };
  });
}
