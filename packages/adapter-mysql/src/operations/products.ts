import type { ProductRecord } from '@flashsale/core';
import type { Executor } from '../executor.js';
import { int, PRODUCT_COLUMNS, toProduct, type ProductRow } from '../rows.js';

const GET_PRODUCT = `SELECT ${PRODUCT_COLUMNS} FROM products WHERE id = ?`;

const CREATE_PRODUCT = 'INSERT INTO products (name, price_cents, initial_stock, available) VALUES (?, ?, ?, ?)';

// `restocked` grows with `available`, so conservation still balances after a restock.
const RESTOCK = 'UPDATE products SET available = available + ?, restocked = restocked + ? WHERE id = ?';

export async function getProduct(ex: Executor, id: number): Promise<ProductRecord | undefined> {
  const [row] = await ex.autocommit((session) => session.rows<ProductRow>(GET_PRODUCT, [id]));
  return row && toProduct(row);
}

export async function createProduct(ex: Executor, request: { name: string; priceCents: number; stock: number }): Promise<ProductRecord> {
  const inserted = await ex.autocommit((session) => session.run(CREATE_PRODUCT, [request.name, request.priceCents, request.stock, request.stock]));
  return { id: int(inserted.insertId), name: request.name, priceCents: request.priceCents, availableStock: request.stock };
}

/** The UPDATE and the read of the row it left, in one transaction: the row is still locked when read. */
export function restock(ex: Executor, request: { productId: number; qty: number }): Promise<ProductRecord | undefined> {
  return ex.transaction(async (session) => {
    const updated = await session.run(RESTOCK, [request.qty, request.qty, request.productId]);
    if (updated.affectedRows === 0) return undefined;
    const [row] = await session.rows<ProductRow>(GET_PRODUCT, [request.productId]);
    return row && toProduct(row);
  });
}
