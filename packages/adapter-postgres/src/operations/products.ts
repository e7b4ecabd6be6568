import { applyProductChanges, type CreateProductRequest, type ProductRecord, type RestockRequest, type UpdateProductOutcome, type UpdateProductRequest } from '@flashsale/core';
import type { Executor } from '../executor.js';
import { PRODUCT_COLUMNS, toProduct, type ProductRow } from '../rows.js';
import { sql } from '../statement.js';

const GET_PRODUCT = sql('get-product', `SELECT ${PRODUCT_COLUMNS} FROM products WHERE id = $1::bigint`);

const CREATE_PRODUCT = sql(
  'create-product',
  `INSERT INTO products (name, price_cents, initial_stock, available, sale_starts_at, sale_ends_at, max_per_buyer)
   VALUES ($1::text, $2::bigint, $3::bigint, $3::bigint, $4::bigint, $5::bigint, $6::bigint)
   RETURNING ${PRODUCT_COLUMNS}`,
);

// `restocked` grows with `available`, so conservation still balances after a restock.
const RESTOCK = sql(
  'restock',
  `UPDATE products SET available = available + $2::bigint, restocked = restocked + $2::bigint
   WHERE id = $1::bigint
   RETURNING ${PRODUCT_COLUMNS}`,
);

// Drops: the row read under its lock, merged by the core, written whole.
const LOCK_PRODUCT = sql('lock-product', `SELECT ${PRODUCT_COLUMNS} FROM products WHERE id = $1::bigint FOR NO KEY UPDATE`);

const UPDATE_PRODUCT = sql(
  'update-product',
  `UPDATE products SET name = $2::text, price_cents = $3::bigint, sale_starts_at = $4::bigint, sale_ends_at = $5::bigint, max_per_buyer = $6::bigint
   WHERE id = $1::bigint
   RETURNING ${PRODUCT_COLUMNS}`,
);

export async function getProduct(ex: Executor, id: number): Promise<ProductRecord | undefined> {
  const { rows } = await ex.statement<ProductRow>(GET_PRODUCT, [id]);
  return rows[0] && toProduct(rows[0]);
}

export async function createProduct(ex: Executor, request: CreateProductRequest): Promise<ProductRecord> {
  const { rows } = await ex.statement<ProductRow>(CREATE_PRODUCT, [
    request.name,
    request.priceCents,
    request.stock,
    request.saleStartsAt ?? null,
    request.saleEndsAt ?? null,
    request.maxPerBuyer ?? null,
  ]);
  return toProduct(rows[0]!);
}

// A transaction rather than a statement in autocommit: its BEGIN carries the time of its event.
export async function restock(ex: Executor, request: RestockRequest): Promise<ProductRecord | undefined> {
  const { rows } = await ex.transaction((query) => query<ProductRow>(RESTOCK, [request.productId, request.qty]));
  return rows[0] && toProduct(rows[0]);
}

/**
 * Reads the row under its lock, merges the changes by the core's rule and writes it: a change
 * of the start and one of the end made at once are merged one after the other, never both
 * checked against the old row.
 */
export async function updateProduct(ex: Executor, { productId, changes }: UpdateProductRequest): Promise<UpdateProductOutcome> {
  return ex.transaction(async (query) => {
    const { rows } = await query<ProductRow>(LOCK_PRODUCT, [productId]);
    if (!rows[0]) return { kind: 'refused', code: 'product_not_found' };
    const outcome = applyProductChanges(toProduct(rows[0]), changes);
    if (outcome.kind === 'refused') return outcome;
    const { id, name, priceCents, saleStartsAt, saleEndsAt, maxPerBuyer } = outcome.product;
    const updated = await query<ProductRow>(UPDATE_PRODUCT, [id, name, priceCents, saleStartsAt, saleEndsAt, maxPerBuyer]);
    return { kind: 'updated', product: toProduct(updated.rows[0]!) };
  });
}
