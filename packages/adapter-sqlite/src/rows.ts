import type { HoldRecord, HoldStatus, OrderRecord, OrderStatus, ProductRecord } from '@flashsale/core';

/** Row shapes as SQLite returns them, and their mapping to the core's records. */

export const PRODUCT_COLUMNS = 'id, name, price_cents, available, sale_starts_at, sale_ends_at, max_per_buyer';
export const HOLD_COLUMNS = 'id, product_id, qty, status, token_hash, created_at, expires_at';
export const ORDER_COLUMNS = 'id, hold_id, product_id, qty, amount_cents, status, created_at, payment_deadline, txn_id';

export interface ProductRow {
  id: number;
  name: string;
  price_cents: number;
  available: number;
  // Drops.
  sale_starts_at: number | null;
  sale_ends_at: number | null;
  max_per_buyer: number | null;
}

export interface HoldRow {
  id: number;
  product_id: number;
  qty: number;
  status: HoldStatus;
  token_hash: string;
  created_at: number;
  expires_at: number;
}

export interface OrderRow {
  id: number;
  hold_id: number;
  product_id: number;
  qty: number;
  amount_cents: number;
  status: OrderStatus;
  created_at: number;
  payment_deadline: number;
  txn_id: string | null;
}

export const toProduct = (row: ProductRow): ProductRecord => ({
  id: row.id,
  name: row.name,
  priceCents: row.price_cents,
  availableStock: row.available,
  saleStartsAt: row.sale_starts_at,
  saleEndsAt: row.sale_ends_at,
  maxPerBuyer: row.max_per_buyer,
});

export const toHold = (row: HoldRow): HoldRecord => ({
  id: row.id,
  productId: row.product_id,
  qty: row.qty,
  status: row.status,
  tokenHash: row.token_hash,
  createdAt: row.created_at,
  expiresAt: row.expires_at,
});

export const toOrder = (row: OrderRow): OrderRecord => ({
  id: row.id,
  holdId: row.hold_id,
  productId: row.product_id,
  qty: row.qty,
  amountCents: row.amount_cents,
  status: row.status,
  createdAt: row.created_at,
  paymentDeadline: row.payment_deadline,
  txnId: row.txn_id,
});

/**
 * The row of a statement that always returns one (an INSERT … RETURNING, or an UPDATE … RETURNING
 * of a row read in the same transaction); throws rather than answering without it.
 */
export function returnedRow<T>(row: T | undefined, statement: string): T {
  if (row === undefined) throw new Error(`${statement} returned no row`);
  return row;
}
