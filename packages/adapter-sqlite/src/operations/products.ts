import { applyProductChanges, type CreateProductRequest, type FlashSaleStore, type UpdateProductOutcome, type UpdateProductRequest } from '@flashsale/core';
import type { Connection } from '../connection.js';
import { PRODUCT_COLUMNS, returnedRow, toProduct, type ProductRow } from '../rows.js';

const GET_PRODUCT = `SELECT ${PRODUCT_COLUMNS} FROM products WHERE id = ?`;

const CREATE_PRODUCT = `INSERT INTO products (name, price_cents, available, initial_stock, restocked, sale_starts_at, sale_ends_at, max_per_buyer)
                        VALUES (@name, @priceCents, @stock, @stock, 0, @saleStartsAt, @saleEndsAt, @maxPerBuyer)
                        RETURNING ${PRODUCT_COLUMNS}`;

// `restocked` grows with `available`, so conservation still balances after a restock.
const RESTOCK = `UPDATE products SET available = available + @qty, restocked = restocked + @qty WHERE id = @productId
                 RETURNING ${PRODUCT_COLUMNS}`;

// Drops: every changeable field written at once, as the core merged them.
const UPDATE_PRODUCT = `UPDATE products SET name = @name, price_cents = @priceCents, sale_starts_at = @saleStartsAt, sale_ends_at = @saleEndsAt,
                        max_per_buyer = @maxPerBuyer WHERE id = @id
                        RETURNING ${PRODUCT_COLUMNS}`;

interface ProductFields {
  name: string;
  priceCents: number;
  saleStartsAt: number | null;
  saleEndsAt: number | null;
  maxPerBuyer: number | null;
}

export function prepareProducts(conn: Connection): Pick<FlashSaleStore, 'getProduct' | 'createProduct' | 'restock' | 'updateProduct'> {
  const get = conn.db.prepare<[id: number], ProductRow>(GET_PRODUCT);
  const create = conn.db.prepare<ProductFields & { stock: number }, ProductRow>(CREATE_PRODUCT);
  const restock = conn.db.prepare<{ productId: number; qty: number }, ProductRow>(RESTOCK);
  const update = conn.db.prepare<ProductFields & { id: number }, ProductRow>(UPDATE_PRODUCT);
  return {
    getProduct: conn.statement((id: number) => {
      const row = get.get(id);
      return row && toProduct(row);
    }),
    // A plain object: better-sqlite3 binds named parameters from one only.
    createProduct: conn.statement((request: CreateProductRequest) =>
      toProduct(
        returnedRow(
          create.get({
            name: request.name,
            priceCents: request.priceCents,
            stock: request.stock,
            saleStartsAt: request.saleStartsAt ?? null,
            saleEndsAt: request.saleEndsAt ?? null,
            maxPerBuyer: request.maxPerBuyer ?? null,
          }),
          'create-product',
        ),
      ),
    ),
    restock: conn.statement((request: { productId: number; qty: number }) => {
      const row = restock.get(request);
      return row && toProduct(row);
    }),
    // Read, merge and write under the write lock: the merged window is checked on the row as it is.
    updateProduct: conn.writeTransaction(({ productId, changes }: UpdateProductRequest): UpdateProductOutcome => {
      const row = get.get(productId);
      if (!row) return { kind: 'refused', code: 'product_not_found' };
      const outcome = applyProductChanges(toProduct(row), changes);
      if (outcome.kind === 'refused') return outcome;
      const { id, name, priceCents, saleStartsAt, saleEndsAt, maxPerBuyer } = outcome.product;
      return { kind: 'updated', product: toProduct(returnedRow(update.get({ id, name, priceCents, saleStartsAt, saleEndsAt, maxPerBuyer }), 'update-product')) };
    }),
  };
}
