import type { FlashSaleStore, ProductAudit } from '@flashsale/core';
import type { Connection } from '../connection.js';

// Columns are named as ProductAudit's fields, so each row is one as it comes.
const PRODUCTS = `SELECT p.id AS productId, p.initial_stock AS initialStock, p.restocked, p.available,
    coalesce((SELECT sum(qty) FROM holds h WHERE h.product_id = p.id AND h.status = 'active'), 0) AS activeHoldQty,
    coalesce((SELECT sum(qty) FROM orders o WHERE o.product_id = p.id AND o.status = 'pending'), 0) AS pendingOrderQty,
    coalesce((SELECT sum(qty) FROM orders o WHERE o.product_id = p.id AND o.status = 'completed'), 0) AS completedOrderQty
  FROM products p ORDER BY p.id`;

// Each of these answers a list of ids (one column, plucked).
const CONVERTED_HOLDS_WITHOUT_ORDER = `SELECT h.id FROM holds h WHERE h.status = 'converted'
    AND NOT EXISTS (SELECT 1 FROM orders o WHERE o.hold_id = h.id) ORDER BY h.id`;
const ORDERS_ON_UNCONVERTED_HOLDS = `SELECT o.id FROM orders o LEFT JOIN holds h ON h.id = o.hold_id
    WHERE h.id IS NULL OR h.status <> 'converted' ORDER BY o.id`;
const HOLDS_WITH_SEVERAL_ORDERS = 'SELECT hold_id FROM orders GROUP BY hold_id HAVING count(*) > 1 ORDER BY hold_id';
const ORDERS_NOT_MATCHING_HOLD = `SELECT o.id FROM orders o JOIN holds h ON h.id = o.hold_id
    WHERE o.product_id <> h.product_id OR o.qty <> h.qty ORDER BY o.id`;

/** The totals `verify` checks, read in one deferred transaction: one snapshot, writers go on. */
export function prepareAuditSnapshot(conn: Connection): FlashSaleStore['auditSnapshot'] {
  const ids = (sql: string) => conn.db.prepare<[], number>(sql).pluck();
  const products = conn.db.prepare<[], ProductAudit>(PRODUCTS);
  const convertedHoldsWithoutOrder = ids(CONVERTED_HOLDS_WITHOUT_ORDER);
  const ordersOnUnconvertedHolds = ids(ORDERS_ON_UNCONVERTED_HOLDS);
  const holdsWithSeveralOrders = ids(HOLDS_WITH_SEVERAL_ORDERS);
  const ordersNotMatchingHold = ids(ORDERS_NOT_MATCHING_HOLD);
  return conn.readTransaction(() => ({
    products: products.all(),
    convertedHoldsWithoutOrder: convertedHoldsWithoutOrder.all(),
    ordersOnUnconvertedHolds: ordersOnUnconvertedHolds.all(),
    holdsWithSeveralOrders: holdsWithSeveralOrders.all(),
    ordersNotMatchingHold: ordersNotMatchingHold.all(),
  }));
}
