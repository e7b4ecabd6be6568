import type { ReleaseCounts } from '@flashsale/core';
import { RetryUnit, type Executor, type Session } from '../executor.js';
import { int, placeholders } from '../rows.js';

/*
 * One release pass, in one transaction:
 * 1. A plain read (no locks) finds up to `limit` due holds and up to `limit` due orders, and so
 *    the products they would give stock back to.
 * 2. Those product rows are locked first, in id order. Every write use case locks its hold or
 *    order and then its product; a pass that locked holds first and then waited for a product
 *    could close a cycle with a grouped checkout transaction that holds that product (for one
 *    unit) and waits for one of the pass's holds (for the next). With the products taken first,
 *    the pass waits only while it holds nothing but products taken in id order.
 * 3. The due holds and orders of those products are locked with FOR UPDATE SKIP LOCKED (MySQL
 *    8.0.1+, MariaDB 10.6+) and marked expired. A row another pass (or a createOrder, or a
 *    payment) has locked is skipped rather than waited for, so concurrent passes share the work
 *    and each row is released by exactly one of them. The UPDATE re-checks status and due time.
 *    Under READ COMMITTED InnoDB locks only the rows that match, so the scan takes no gap locks
 *    that would stall concurrent hold inserts.
 * 4. The units come back to their products in one UPDATE.
 */

interface Due {
  id: number | string;
  product_id: number | string;
  qty: number | string;
}

const DUE_HOLD_PRODUCTS = `SELECT DISTINCT product_id FROM (
    SELECT product_id FROM holds WHERE status = 'active' AND expires_at <= ? ORDER BY expires_at, id LIMIT ?) due`;

const DUE_ORDER_PRODUCTS = `SELECT DISTINCT product_id FROM (
    SELECT product_id FROM orders WHERE status = 'pending' AND payment_deadline <= ? ORDER BY payment_deadline, id LIMIT ?) due`;

const dueHolds = (products: number) => `SELECT id, product_id, qty FROM holds
  WHERE status = 'active' AND expires_at <= ? AND product_id IN (${placeholders(products)})
  ORDER BY expires_at, id LIMIT ? FOR UPDATE SKIP LOCKED`;

const dueOrders = (products: number) => `SELECT id, product_id, qty FROM orders
  WHERE status = 'pending' AND payment_deadline <= ? AND product_id IN (${placeholders(products)})
  ORDER BY payment_deadline, id LIMIT ? FOR UPDATE SKIP LOCKED`;

export function releaseExpired(ex: Executor, request: { now: number; limit: number }): Promise<ReleaseCounts> {
  return ex.transaction(async (session) => {
    const productIds = new Set<number>();
    for (const sql of [DUE_HOLD_PRODUCTS, DUE_ORDER_PRODUCTS]) {
      for (const row of await session.rows<{ product_id: number | string }>(sql, [request.now, request.limit])) productIds.add(int(row.product_id));
    }
    if (productIds.size === 0) return { holds: 0, holdUnits: 0, orders: 0, orderUnits: 0 };
    const products = [...productIds].sort((a, b) => a - b);
    await session.rows(`SELECT id FROM products WHERE id IN (${placeholders(products.length)}) ORDER BY id FOR UPDATE`, products);

    const units = new Map<number, number>();
    const holds = await expire(session, dueHolds(products.length), "UPDATE holds SET status = 'expired' WHERE status = 'active' AND expires_at <= ?", request, products, units);
    const orders = await expire(session, dueOrders(products.length), "UPDATE orders SET status = 'expired' WHERE status = 'pending' AND payment_deadline <= ?", request, products, units);
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
  products: readonly number[],
  units: Map<number, number>,
): Promise<{ rows: number; units: number }> {
  const rows = await session.rows<Due>(due, [request.now, ...products, request.limit]);
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
