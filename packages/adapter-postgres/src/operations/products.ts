import type { ProductRecord } from '@flashsale/core';
import type { Executor } from '../executor.js';
import { PRODUCT_COLUMNS, toProduct, type ProductRow } from '../rows.js';
import { sql } from '../statement.js';

const GET_PRODUCT = sql('get-product', `SELECT ${PRODUCT_COLUMNS} FROM products WHERE id = $1::bigint`);

const CREATE_PRODUCT = sql(
  'create-product',
  `INSERT INTO products (name, price_cents, initial_stock, available)
   VALUES ($1::text, $2::bigint, $3::bigint, $3::bigint)
   RETURNING ${PRODUCT_COLUMNS}`,
);

// `restocked` grows with `available`, so conservation still balances after a restock.
const RESTOCK = sql(
  'restock',
  `UPDATE products SET available = available + $2::bigint, restocked = restocked + $2::bigint
   WHERE id = $1::bigint
   RETURNING ${PRODUCT_COLUMNS}`,
);

export async function getProduct(ex: Executor, id: number): Promise<ProductRecord | undefined> {
  const { rows } = await ex.statement<ProductRow>(GET_PRODUCT, [id]);
  return rows[0] && toProduct(rows[0]);
}

export async function createProduct(ex: Executor, request: { name: string; priceCents: number; stock: number }): Promise<ProductRecord> {
  const { rows } = await ex.statement<ProductRow>(CREATE_PRODUCT, [request.name, request.priceCents, request.stock]);
  return toProduct(rows[0]!);
}

export async function restock(ex: Executor, request: { productId: number; qty: number }): Promise<ProductRecord | undefined> {
  const { rows } = await ex.statement<ProductRow>(RESTOCK, [request.productId, request.qty]);
  return rows[0] && toProduct(rows[0]);
}
