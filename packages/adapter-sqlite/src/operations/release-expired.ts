import type { FlashSaleStore } from '@flashsale/core';
import type { Statement } from 'better-sqlite3';
import type { Connection } from '../connection.js';

/*
 * One release pass, in one BEGIN IMMEDIATE transaction: the due holds and orders are read, and
 * each is marked expired by an UPDATE guarded by its status and its deadline; its stock comes back
 * only when that UPDATE changed it. Under the write lock no other pass, release or extension can
 * change a row between the two, and the guard re-checks it anyway, so a row is released once and
 * a hold extended meanwhile is left alone.
 */

const DUE_HOLDS = `SELECT id, product_id, qty FROM holds WHERE status = 'active' AND expires_at <= ? ORDER BY expires_at LIMIT ?`;
const EXPIRE_HOLD = `UPDATE holds SET status = 'expired' WHERE id = ? AND status = 'active' AND expires_at <= ?`;
const DUE_ORDERS = `SELECT id, product_id, qty FROM orders WHERE status = 'pending' AND payment_deadline <= ? ORDER BY payment_deadline LIMIT ?`;
const EXPIRE_ORDER = `UPDATE orders SET status = 'expired' WHERE id = ? AND status = 'pending' AND payment_deadline <= ?`;
const RETURN_STOCK = 'UPDATE products SET available = available + @qty WHERE id = @productId';

interface DueRow {
  id: number;
  product_id: number;
  qty: number;
}

export function prepareReleaseExpired(conn: Connection): FlashSaleStore['releaseExpired'] {
  const dueHolds = conn.db.prepare<[now: number, limit: number], DueRow>(DUE_HOLDS);
  const expireHold = conn.db.prepare<[id: number, now: number]>(EXPIRE_HOLD);
  const dueOrders = conn.db.prepare<[now: number, limit: number], DueRow>(DUE_ORDERS);
  const expireOrder = conn.db.prepare<[id: number, now: number]>(EXPIRE_ORDER);
  const returnStock = conn.db.prepare<{ productId: number; qty: number }>(RETURN_STOCK);

  /** Expires each row still due and returns its units; answers how many units came back. */
  const release = (rows: DueRow[], expire: Statement<[id: number, now: number]>, now: number) => {
    let units = 0;
    for (const row of rows) {
      if (expire.run(row.id, now).changes === 1) {
        returnStock.run({ productId: row.product_id, qty: row.qty });
        units += row.qty;
      }
    }
    return units;
  };

  return conn.writeTransaction(({ now, limit }: { now: number; limit: number }) => {
    const holds = dueHolds.all(now, limit);
    const orders = dueOrders.all(now, limit);
    return { holds: holds.length, holdUnits: release(holds, expireHold, now), orders: orders.length, orderUnits: release(orders, expireOrder, now) };
  });
}
