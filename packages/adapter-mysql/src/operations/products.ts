import { applyProductChanges, type CreateProductRequest, type ProductRecord, type RestockRequest, type UpdateProductOutcome, type UpdateProductRequest } from '@flashsale/core';
import type { Executor } from '../executor.js';
import { int, PRODUCT_COLUMNS, toProduct, type ProductRow } from '../rows.js';
import { appendRestocked } from './product-events.js';

const GET_PRODUCT = `SELECT ${PRODUCT_COLUMNS} FROM products WHERE id = ?`;

const CREATE_PRODUCT = `INSERT INTO products (name, price_cents, initial_stock, available, sale_starts_at, sale_ends_at, max_per_buyer)
                        VALUES (?, ?, ?, ?, ?, ?, ?)`;

// `restocked` grows with `available`, so conservation still balances after a restock.
const RESTOCK = 'UPDATE products SET available = available + ?, restocked = restocked + ? WHERE id = ?';

// Drops: the row read under its lock, merged by the core, written whole.
const LOCK_PRODUCT = `SELECT ${PRODUCT_COLUMNS} FROM products WHERE id = ? FOR UPDATE`;

const UPDATE_PRODUCT = 'UPDATE products SET name = ?, price_cents = ?, sale_starts_at = ?, sale_ends_at = ?, max_per_buyer = ? WHERE id = ?';

export async function getProduct(ex: Executor, id: number): Promise<ProductRecord | undefined> {
  const [row] = await ex.autocommit((session) => session.rows<ProductRow>(GET_PRODUCT, [id]));
  return row && toProduct(row);
}

export async function createProduct(ex: Executor, request: CreateProductRequest): Promise<ProductRecord> {
  const saleStartsAt = request.saleStartsAt ?? null;
  const saleEndsAt = request.saleEndsAt ?? null;
  const maxPerBuyer = request.maxPerBuyer ?? null;
  const inserted = await ex.autocommit((session) =>
    session.run(CREATE_PRODUCT, [request.name, request.priceCents, request.stock, request.stock, saleStartsAt, saleEndsAt, maxPerBuyer]),
  );
  return { id: int(inserted.insertId), name: request.name, priceCents: request.priceCents, availableStock: request.stock, saleStartsAt, saleEndsAt, maxPerBuyer };
}

/** The UPDATE and the read of the row it left, in one transaction: the row is still locked when read. */
export function restock(ex: Executor, request: RestockRequest): Promise<ProductRecord | undefined> {
  return ex.transaction(async (session) => {
    const updated = await session.run(RESTOCK, [request.qty, request.qty, request.productId]);
    if (updated.affectedRows === 0) return undefined;
    const [row] = await session.rows<ProductRow>(GET_PRODUCT, [request.productId]);
    if (!row) return undefined;
    const product = toProduct(row);
    await appendRestocked(session, product.id, request.qty, product.availableStock, request.now);
    return product;
  });
}

/**
 * Reads the row under its lock, merges the changes by the core's rule and writes it: a change
 * of the start and one of the end made at once are merged one after the other, never both
 * checked against the old row.
 */
export function updateProduct(ex: Executor, { productId, changes }: UpdateProductRequest): Promise<UpdateProductOutcome> {
  return ex.transaction(async (session): Promise<UpdateProductOutcome> => {
    const [row] = await session.rows<ProductRow>(LOCK_PRODUCT, [productId]);
    if (!row) return { kind: 'refused', code: 'product_not_found' };
    const outcome = applyProductChanges(toProduct(row), changes);
    if (outcome.kind === 'refused') return outcome;
    const { id, name, priceCents, saleStartsAt, saleEndsAt, maxPerBuyer } = outcome.product;
    await session.run(UPDATE_PRODUCT, [name, priceCents, saleStartsAt, saleEndsAt, maxPerBuyer, id]);
    return { kind: 'updated', product: outcome.product };
  });
}
