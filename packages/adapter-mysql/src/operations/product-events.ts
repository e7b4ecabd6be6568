import type { Session } from '../executor.js';

/*
 * Product events, appended by the units that change a product's stock, inside their transaction:
 * on MySQL they cannot come from a trigger (see sql/000004.sql). Order and hold events do.
 */

const APPEND = `INSERT INTO merchant_events (id, type, created_at, data)
  VALUES (CONCAT('evt_', LEFT(SHA2(CONCAT(UUID(), RAND()), 256), 32)), ?, ?, ?)`;

/** product.sold_out: the unit took the product's available stock to 0. */
export async function appendSoldOut(session: Session, productId: number, now: number): Promise<void> {
  await session.run(APPEND, ['product.sold_out', now, JSON.stringify({ product_id: productId })]);
}

/** product.restocked: `qty` units added, `availableStock` after them. */
export async function appendRestocked(session: Session, productId: number, qty: number, availableStock: number, now: number): Promise<void> {
  await session.run(APPEND, ['product.restocked', now, JSON.stringify({ product_id: productId, qty, available_stock: availableStock })]);
}
