import type { AuditSnapshot } from '@flashsale/core';
import type { Executor } from '../executor.js';
import { int } from '../rows.js';

// Both statements run in one REPEATABLE READ snapshot (Executor.snapshot): every total and every
// list sees the same committed moment.
const PRODUCTS = `SELECT p.id, p.initial_stock, p.restocked, p.available,
                         COALESCE(h.active, 0) AS active, COALESCE(o.pending, 0) AS pending, COALESCE(o.completed, 0) AS completed
                  FROM products p
                  LEFT JOIN (SELECT product_id, SUM(qty) AS active FROM holds WHERE status = 'active' GROUP BY product_id) h
                    ON h.product_id = p.id
                  LEFT JOIN (SELECT product_id,
                                    SUM(CASE WHEN status = 'pending' THEN qty ELSE 0 END) AS pending,
                                    SUM(CASE WHEN status = 'completed' THEN qty ELSE 0 END) AS completed
                             FROM orders GROUP BY product_id) o
                    ON o.product_id = p.id
                  ORDER BY p.id`;

const ANOMALIES = `SELECT 'converted_without_order' AS kind, h.id FROM holds h
                   WHERE h.status = 'converted' AND NOT EXISTS (SELECT 1 FROM orders o WHERE o.hold_id = h.id)
                   UNION ALL
                   SELECT 'order_on_unconverted', o.id FROM orders o LEFT JOIN holds h ON h.id = o.hold_id
                   WHERE h.status IS NULL OR h.status <> 'converted'
                   UNION ALL
                   SELECT 'several_orders', hold_id FROM orders GROUP BY hold_id HAVING COUNT(*) > 1
                   UNION ALL
                   SELECT 'order_not_matching', o.id FROM orders o JOIN holds h ON h.id = o.hold_id
                   WHERE o.qty <> h.qty OR o.product_id <> h.product_id
                   ORDER BY kind, id`;

type Int = number | string;

/** The totals `verify` checks, read in one consistent snapshot. */
export function auditSnapshot(ex: Executor): Promise<AuditSnapshot> {
  return ex.snapshot(async (session) => {
    const products = await session.rows<{ id: Int; initial_stock: Int; restocked: Int; available: Int; active: Int; pending: Int; completed: Int }>(PRODUCTS);
    const anomalies = await session.rows<{ kind: string; id: Int }>(ANOMALIES);
    const ids = (kind: string) => anomalies.filter((a) => a.kind === kind).map((a) => int(a.id));
    return {
      products: products.map((p) => ({
        productId: int(p.id),
        initialStock: int(p.initial_stock),
        restocked: int(p.restocked),
        available: int(p.available),
        activeHoldQty: int(p.active),
        pendingOrderQty: int(p.pending),
        completedOrderQty: int(p.completed),
      })),
      convertedHoldsWithoutOrder: ids('converted_without_order'),
      ordersOnUnconvertedHolds: ids('order_on_unconverted'),
      holdsWithSeveralOrders: ids('several_orders'),
      ordersNotMatchingHold: ids('order_not_matching'),
    };
  });
}
