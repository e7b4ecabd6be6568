import type { ReleaseCounts } from '@flashsale/core';
import type { Executor } from '../executor.js';
import { int } from '../rows.js';
import { sql } from '../statement.js';

/*
 * One release pass, in one transaction:
 * 1. Up to `limit` due holds and up to `limit` due orders are locked with FOR UPDATE SKIP LOCKED
 *    and marked expired in one statement. A row another pass (or a createOrder, a payment, a
 *    release or an extension) has locked is skipped rather than waited for, so concurrent passes
 *    share the work and each row is released by exactly one of them. The UPDATE re-checks the
 *    status and the deadline on the row it has locked: an extension that committed after this
 *    statement's snapshot was taken moved `expires_at`, and the hold must then stay active.
 * 2. The units come back to their products, whose rows are locked in id order first so two passes
 *    returning stock to the same products cannot deadlock.
 */

const EXPIRE_DUE = sql(
  'expire-due',
  `WITH due_holds AS (
     SELECT id FROM holds WHERE status = 'active' AND expires_at <= $1::bigint
     ORDER BY expires_at, id LIMIT $2::int
     FOR UPDATE SKIP LOCKED
   ), expired_holds AS (
     UPDATE holds h SET status = 'expired' FROM due_holds d
     WHERE h.id = d.id AND h.status = 'active' AND h.expires_at <= $1::bigint
     RETURNING h.product_id, h.qty
   ), due_orders AS (
     SELECT id FROM orders WHERE status = 'pending' AND payment_deadline <= $1::bigint
     ORDER BY payment_deadline, id LIMIT $2::int
     FOR UPDATE SKIP LOCKED
   ), expired_orders AS (
     UPDATE orders o SET status = 'expired' FROM due_orders d
     WHERE o.id = d.id AND o.status = 'pending' AND o.payment_deadline <= $1::bigint
     RETURNING o.product_id, o.qty
   )
   SELECT 'hold' AS kind, product_id, count(*) AS rows, sum(qty) AS units FROM expired_holds GROUP BY product_id
   UNION ALL
   SELECT 'order', product_id, count(*), sum(qty) FROM expired_orders GROUP BY product_id`,
);

const LOCK_PRODUCT_IDS = sql('lock-product-ids', `SELECT id FROM products WHERE id = ANY ($1::bigint[]) ORDER BY id FOR NO KEY UPDATE`);

const RETURN_UNITS = sql(
  'return-units',
  `UPDATE products p SET available = p.available + u.units
   FROM unnest($1::bigint[], $2::bigint[]) AS u (id, units)
   WHERE p.id = u.id`,
);

export function releaseExpired(ex: Executor, request: { now: number; limit: number }): Promise<ReleaseCounts> {
  return ex.transaction(async (query) => {
    const { rows } = await query<{ kind: 'hold' | 'order'; product_id: string; rows: string; units: string }>(EXPIRE_DUE, [
      request.now,
      request.limit,
    ]);
    const counts: ReleaseCounts = { holds: 0, holdUnits: 0, orders: 0, orderUnits: 0 };
    const units = new Map<number, number>();
    for (const row of rows) {
      const productId = int(row.product_id);
      units.set(productId, (units.get(productId) ?? 0) + int(row.units));
      if (row.kind === 'hold') {
        counts.holds += int(row.rows);
        counts.holdUnits += int(row.units);
      } else {
        counts.orders += int(row.rows);
        counts.orderUnits += int(row.units);
      }
    }
    if (units.size === 0) return counts;
    const ids = [...units.keys()].sort((a, b) => a - b);
    await query(LOCK_PRODUCT_IDS, [ids]);
    await query(RETURN_UNITS, [ids, ids.map((id) => units.get(id)!)]);
    return counts;
  });
}
