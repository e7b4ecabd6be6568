import type { AuditSnapshot } from './store.js';

/** One broken inventory invariant (docs/model.md, "Where every unit is"). */
export interface Violation {
  rule:
    | 'conservation'
    | 'negative_stock'
    | 'converted_hold_without_order'
    | 'order_on_unconverted_hold'
    | 'hold_with_several_orders'
    | 'order_not_matching_hold';
  productId?: number;
  detail: string;
}

/**
 * Checks a snapshot against the invariants: for every product,
 * `initial + restocked = available + active holds + pending orders + completed orders`,
 * available stock is never negative, and every hold carries at most the one order it was converted to.
 */
export function findViolations(snapshot: AuditSnapshot): Violation[] {
  const violations: Violation[] = [];
  for (const p of snapshot.products) {
    const supplied = p.initialStock + p.restocked;
    const accounted = p.available + p.activeHoldQty + p.pendingOrderQty + p.completedOrderQty;
    if (supplied !== accounted) {
      violations.push({
        rule: 'conservation',
        productId: p.productId,
        detail: `initial ${p.initialStock} + restocked ${p.restocked} = ${supplied}, but available ${p.available} + held ${p.activeHoldQty} + pending ${p.pendingOrderQty} + completed ${p.completedOrderQty} = ${accounted}`,
      });
    }
    if (p.available < 0) {
      violations.push({ rule: 'negative_stock', productId: p.productId, detail: `available stock is ${p.available}` });
    }
  }
  const byId = (rule: Violation['rule'], ids: number[], what: string) => {
    for (const id of ids) violations.push({ rule, detail: `${what} ${id}` });
  };
  byId('converted_hold_without_order', snapshot.convertedHoldsWithoutOrder, 'converted hold with no order:');
  byId('order_on_unconverted_hold', snapshot.ordersOnUnconvertedHolds, 'order whose hold is not converted:');
  byId('hold_with_several_orders', snapshot.holdsWithSeveralOrders, 'hold with more than one order:');
  byId('order_not_matching_hold', snapshot.ordersNotMatchingHold, 'order whose product or qty differ from its hold:');
  return violations;
}
