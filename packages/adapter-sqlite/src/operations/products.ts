import type { FlashSaleStore } from '@flashsale/core';
import type { Connection } from '../connection.js';
import { PRODUCT_COLUMNS, returnedRow, toProduct, type ProductRow } from '../rows.js';

const GET_PRODUCT = `SELECT ${PRODUCT_COLUMNS} FROM products WHERE id = ?`;

const CREATE_PRODUCT = `INSERT INTO products (name, price_cents, available, initial_stock, restocked)
                        VALUES (@name, @priceCents, @stock, @stock, 0)
                        RETURNING ${PRODUCT_COLUMNS}`;

// `restocked` grows with `available`, so conservation still balances after a restock.
const RESTOCK = `UPDATE products SET available = available + @qty, restocked = restocked + @qty WHERE id = @productId
                 RETURNING ${PRODUCT_COLUMNS}`;

export function prepareProducts(conn: Connection): Pick<FlashSaleStore, 'getProduct' | 'createProduct' | 'restock'> {
  const get = conn.db.prepare<[id: number], ProductRow>(GET_PRODUCT);
  const create = conn.db.prepare<{ name: string; priceCents: number; stock: number }, ProductRow>(CREATE_PRODUCT);
  const restock = conn.db.prepare<{ productId: number; qty: number }, ProductRow>(RESTOCK);
  return {
    getProduct: conn.statement((id: number) => {
      const row = get.get(id);
      return row && toProduct(row);
    }),
    // A copy: better-sqlite3 binds named parameters from a plain object only.
    createProduct: conn.statement((request: { name: string; priceCents: number; stock: number }) =>
      toProduct(returnedRow(create.get({ ...request }), 'create-product')),
    ),
    restock: conn.statement((request: { productId: number; qty: number }) => {
      const row = restock.get(request);
      return row && toProduct(row);
    }),
  };
}
