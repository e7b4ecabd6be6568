import type { ReleaseCounts } from '@flashsale/core';
import { RetryUnit, type Executor, type Session } from '../executor.js';
import { int, placeholders } from '../rows.js';

/*
 * One release pass, in one transaction:
 * 1. Up to `limit` due holds and up to `limit` due orders are locked with FOR UPDATE SKIP LOCKED
 *    (MySQL 8.0.1+, MariaDB 10.6+) and marked expired. A row another pass (or a createOrder, or a
 *    payment) has locked is skipped rather than waited for, so concurrent passes share the work
 *    and each row is released by exactly one of them. The UPDATE re-checks status and due time.
 *    Under READ COMMITTED InnoDB locks only the rows that match, so the scan takes no gap locks
 *    that would stall concurrent hold inserts.
 * 2. The units come back to their products in one UPDATE that walks them in id order, so two
 *    passes returning stock to the same products cannot deadlock.
 */

interface Due {
  id: number | string;
  product_id: number | string;
  qty: number | string;
}

const DUE_HOLDS = `SELECT id, product_id, qty FROM holds WHERE status = 'active' AND expires_at <= ?
                   ORDER BY expires_at, id LIMIT ? FOR UPDATE SKIP LOCKED`;

const DUE_ORDERS = `SELECT id, product_id, qty FROM orders WHERE status = 'pending' AND payment_deadline <= ?
                    ORDER BY payment_deadline, id LIMIT ? FOR UPDATE SKIP LOCKED`;

export function releaseExpired(ex: Executor, request: { now: number; limit: number }): Promise<ReleaseCounts> {
  return ex.transaction(async (session) => {
    const units = new Map<number, number>();
    const holds = await expire(session, DUE_HOLDS, "UPDATE holds SET status = 'expired' WHERE status = 'active' AND expires_at <= ?", request, units);
    const orders = await expire(
      session,
      DUE_ORDERS,
      "UPDATE orders SET status = 'expired' WHERE status = 'pending' AND payment_deadline <= ?",
      request,
      units,
    );
    if (units.size > 0) {
      const ids = [...units.keys()].sort((a, b) => a - b);
      await session.run(
        `UPDATE products SET available = available + CASE id ${ids.map(() => 'WHEN ? THEN ?').join(' ')} END
         WHERE id IN (${placeholders(ids.length)}) ORDER BY id`,
        [...ids.flatMap((id) => [id, units.get(id)!]), ...ids],
      );
    }
    return { holds: holds.rows, holdUnits: holds.units, orders: orders.rows, orderUnits: orders.units };
  });
}

/** Locks the due rows of one table, marks them expired, and adds their units per product to `units`. */
async function expire(
  session: Session,
  due: string,
  markExpired: string,
  request: { now: number; limit: number },
  units: Map<number, number>,
): Promise<{ rows: number; units: number }> {
  const rows = await session.rows<Due>(due, [request.now, request.limit]);
  if (rows.length === 0) return { rows: 0, units: 0 };
  const marked = await session.run(`${markExpired} AND id IN (${placeholders(rows.length)})`, [request.now, ...rows.map((r) => r.id)]);
  // The rows are locked by this transaction: nothing can have changed them since the SELECT.
  if (marked.affectedRows !== rows.length) throw new RetryUnit(`locked ${rows.length} due rows but expired ${marked.affectedRows}`);
  let total = 0;
  for (const row of rows) {
    const productId = int(row.product_id);
    const qty = int(row.qty);
    units.set(productId, (units.get(productId) ?? 0) + qty);
    total += qty;
  }
  return { rows: rows.length, units: total };
}
