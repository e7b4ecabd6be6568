import { decideOrder, storedAnswer, type CreateOrderOutcome, type CreateOrderRequest, type Replayable } from '@flashsale/core';
import type { GroupedTransactions } from '../executor.js';
import { claimFor, claimKeys, finishKeys, keyOf } from '../idempotency-records.js';
import { ORDER_COLUMNS, toHold, toOrder, type HoldRow, type OrderRow } from '../rows.js';
import { sql } from '../statement.js';

// The hold row is locked, so two requests for one hold decide one after the other. Only the price
// is read from the product: its row is neither locked nor changed.
const LOCK_HOLD = sql(
  'lock-hold',
  `SELECT h.id, h.product_id, h.qty, h.status, h.token_hash, h.created_at, h.expires_at, p.price_cents
   FROM holds h JOIN products p ON p.id = h.product_id
   WHERE h.id = $1::bigint
   FOR NO KEY UPDATE OF h`,
);

const CONVERT = sql(
  'convert-hold',
  `WITH converted AS (
     UPDATE holds SET status = 'converted' WHERE id = $1::bigint AND status = 'active'
     RETURNING id, product_id, qty
   )
   INSERT INTO orders (hold_id, product_id, qty, amount_cents, status, created_at, payment_deadline)
   SELECT id, product_id, qty, qty * $2::bigint, 'pending', $3::bigint, $4::bigint FROM converted
   RETURNING ${ORDER_COLUMNS}`,
);

/** Turns an active hold into a pending order, per `decideOrder`, in one transaction. */
export function createOrder(ex: GroupedTransactions, request: CreateOrderRequest): Promise<Replayable<CreateOrderOutcome>> {
  return ex.transaction(async (query) => {
    const write = request.idempotency;
    if (write) {
      const replay = (await claimKeys(query, [claimFor(write, request.now)])).get(keyOf(write));
      if (replay) return replay;
    }
    const { rows } = await query<HoldRow & { price_cents: string }>(LOCK_HOLD, [request.holdId]);
    const row = rows[0];
    const decision = decideOrder(row ? toHold(row) : undefined, request.tokenHash, request.now);
    let outcome: CreateOrderOutcome;
    if (decision === 'create' && row) {
      const created = await query<OrderRow>(CONVERT, [request.holdId, row.price_cents, request.now, request.paymentDeadline]);
      const order = created.rows[0];
      if (!order) throw new Error(`hold ${request.holdId} was locked as active but did not convert`);
      outcome = { kind: 'created', order: toOrder(order) };
    } else {
      outcome = { kind: 'refused', code: decision === 'create' ? 'invalid_hold' : decision };
    }
    if (write) await finishKeys(query, [{ scope: write.scope, keyHash: write.keyHash, fingerprint: write.fingerprint, body: storedAnswer(write, outcome) }]);
    return { kind: 'done', outcome };
  });
}
