import type { AuditSnapshot } from '@flashsale/core';
import type { Executor } from '../executor.js';
import { int } from '../rows.js';
import { sql } from '../statement.js';

// One statement is one snapshot: every total and every list below sees the same committed moment.
const AUDIT = sql(
  'audit-snapshot',
  `SELECT
     (SELECT coalesce(json_agg(json_build_object(
         'productId', p.id,
         'initialStock', p.initial_stock,
         'restocked', p.restocked,
         'available', p.available,
         'activeHoldQty', coalesce(h.active, 0),
         'pendingOrderQty', coalesce(o.pending, 0),
         'completedOrderQty', coalesce(o.completed, 0)
       ) ORDER BY p.id), '[]'::json)
      FROM products p
      LEFT JOIN (SELECT product_id, sum(qty) AS active FROM holds WHERE status = 'active' GROUP BY product_id) h
        ON h.product_id = p.id
      LEFT JOIN (SELECT product_id,
                        sum(qty) FILTER (WHERE status = 'pending') AS pending,
                        sum(qty) FILTER (WHERE status = 'completed') AS completed
                 FROM orders GROUP BY product_id) o
        ON o.product_id = p.id
     ) AS products,
     ARRAY(SELECT h.id FROM holds h
           WHERE h.status = 'converted' AND NOT EXISTS (SELECT 1 FROM orders o WHERE o.hold_id = h.id)
           ORDER BY h.id) AS converted_holds_without_order,
     ARRAY(SELECT o.id FROM orders o LEFT JOIN holds h ON h.id = o.hold_id
           WHERE h.status IS DISTINCT FROM 'converted' ORDER BY o.id) AS orders_on_unconverted_holds,
     ARRAY(SELECT hold_id FROM orders GROUP BY hold_id HAVING count(*) > 1 ORDER BY hold_id) AS holds_with_several_orders,
     ARRAY(SELECT o.id FROM orders o JOIN holds h ON h.id = o.hold_id
           WHERE o.qty <> h.qty OR o.product_id <> h.product_id ORDER BY o.id) AS orders_not_matching_hold`,
);

interface AuditRow {
  products: {
    productId: number;
    initialStock: number;
    restocked: number;
    available: number;
    activeHoldQty: number;
    pendingOrderQty: number;
    completedOrderQty: number;
  }[];
  converted_holds_without_order: string[];
  orders_on_unconverted_holds: string[];
  holds_with_several_orders: string[];
  orders_not_matching_hold: string[];
}

/** The totals `verify` checks, read in one consistent snapshot. */
export async function auditSnapshot(ex: Executor): Promise<AuditSnapshot> {
  const { rows } = await ex.statement<AuditRow>(AUDIT, []);
  const row = rows[0]!;
  const ids = (list: string[]) => list.map(int);
  return {
    products: row.products.map((p) => ({
      productId: int(p.productId),
      initialStock: int(p.initialStock),
      restocked: int(p.restocked),
      available: int(p.available),
      activeHoldQty: int(p.activeHoldQty),
      pendingOrderQty: int(p.pendingOrderQty),
      completedOrderQty: int(p.completedOrderQty),
    })),
    convertedHoldsWithoutOrder: ids(row.converted_holds_without_order),
    ordersOnUnconvertedHolds: ids(row.orders_on_unconverted_holds),
    holdsWithSeveralOrders: ids(row.holds_with_several_orders),
    ordersNotMatchingHold: ids(row.orders_not_matching_hold),
  };
}
