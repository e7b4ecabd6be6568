import type { HoldRecord, HoldStatus, OrderRecord, OrderStatus, ProductRecord } from '@flashsale/core';

/**
 * Row shapes and their conversion to the core's records. mysql2 returns BIGINT columns as numbers
 * within 2^53 and as strings beyond (`supportBigNumbers`), and SUM() as a DECIMAL string; every
 * column here is CHECKed within safe integers.
 */

export type Int = string | number;

export interface ProductRow {
  id: Int;
  name: string;
  price_cents: Int;
  available: Int;
  // Drops.
  sale_starts_at: Int | null;
  sale_ends_at: Int | null;
  max_per_buyer: Int | null;
}

export interface HoldRow {
  id: Int;
  product_id: Int;
  qty: Int;
  status: HoldStatus;
  token_hash: string;
  created_at: Int;
  expires_at: Int;
}

export interface OrderRow {
  id: Int;
  hold_id: Int;
  product_id: Int;
  qty: Int;
  amount_cents: Int;
  status: OrderStatus;
  created_at: Int;
  payment_deadline: Int;
  txn_id: string | null;
}

export const PRODUCT_COLUMNS = 'id, name, price_cents, available, sale_starts_at, sale_ends_at, max_per_buyer';
export const HOLD_COLUMNS = 'id, product_id, qty, status, token_hash, created_at, expires_at';
export const ORDER_COLUMNS = 'id, hold_id, product_id, qty, amount_cents, status, created_at, payment_deadline, txn_id';

/** A BIGINT or DECIMAL column as a JS number; throws rather than silently rounding. */
export function int(value: Int | null | undefined): number {
  const n = Number(value ?? 0);
  if (!Number.isSafeInteger(n)) throw new RangeError(`integer out of the safe range: ${String(value)}`);
  return n;
}

/** A nullable BIGINT column as a JS number or null. */
export function intOrNull(value: Int | null): number | null {
  return value === null ? null : int(value);
}

export function toProduct(row: ProductRow): ProductRecord {
  return {
    id: int(row.id),
    name: row.name,
    priceCents: int(row.price_cents),
    availableStock: int(row.available),
    saleStartsAt: intOrNull(row.sale_starts_at),
    saleEndsAt: intOrNull(row.sale_ends_at),
    maxPerBuyer: intOrNull(row.max_per_buyer),
  };
}

export function toHold(row: HoldRow): HoldRecord {
  return {
    id: int(row.id),
    productId: int(row.product_id),
    qty: int(row.qty),
    status: row.status,
    tokenHash: row.token_hash,
    createdAt: int(row.created_at),
    expiresAt: int(row.expires_at),
  };
}

export function toOrder(row: OrderRow): OrderRecord {
  return {
    id: int(row.id),
    holdId: int(row.hold_id),
    productId: int(row.product_id),
    qty: int(row.qty),
    amountCents: int(row.amount_cents),
    status: row.status,
    createdAt: int(row.created_at),
    paymentDeadline: int(row.payment_deadline),
    txnId: row.txn_id,
  };
}

/** `?, ?, ?` for a list of `n` values. */
export function placeholders(n: number, each = '?'): string {
  return Array.from({ length: n }, () => each).join(', ');
}
