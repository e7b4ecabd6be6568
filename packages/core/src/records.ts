import type { HoldState, OrderCreated, Product } from './api.js';
import type { EpochMs, HoldRecord, OrderRecord, ProductRecord } from './domain.js';
import { saleStatusAt } from './drops.js';
import { formatCents } from './money.js';

/** A stored product as the engine answers it at `now`: its price as a decimal string too, and where its sale stands. */
export function toProduct(record: ProductRecord, now: EpochMs): Product {
  return { ...record, price: formatCents(record.priceCents), saleStatus: saleStatusAt(record, now) };
}

/** A stored order as the engine answers it. */
export function toOrderCreated(order: OrderRecord, replayed: boolean): OrderCreated {
  return {
    orderId: order.id,
    holdId: order.holdId,
    productId: order.productId,
    qty: order.qty,
    status: order.status,
    amountCents: order.amountCents,
    amount: formatCents(order.amountCents),
    paymentDeadline: order.paymentDeadline,
    replayed,
  };
}

// Hold lifecycle.
/** A stored hold as its owner reads it. */
export function toHoldState(hold: HoldRecord, orderId: number | null): HoldState {
  return { holdId: hold.id, productId: hold.productId, qty: hold.qty, status: hold.status, expiresAt: hold.expiresAt, orderId };
}
