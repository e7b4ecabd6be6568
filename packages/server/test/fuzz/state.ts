import type { OpenedStore } from '../support/backends.js';

/**
 * What a refused request must leave untouched, read straight from the database with SQL (not
 * through the engine or the store, so their bugs cannot hide a change): every product's counters,
 * holds and orders by status, and idempotency records by scope.
 */
export interface StoredState {
  products: unknown[];
  holds: unknown[];
  orders: unknown[];
  idempotency: { scope: string; n: number }[];
}

export async function readState(db: OpenedStore): Promise<StoredState> {
  return {
    products: await db.rows('SELECT id, name, price_cents, available, initial_stock, restocked, sale_starts_at, sale_ends_at, max_per_buyer FROM products ORDER BY id'),
    holds: await db.rows('SELECT status, COUNT(*) AS n, SUM(qty) AS qty FROM holds GROUP BY status ORDER BY status'),
    orders: await db.rows('SELECT status, COUNT(*) AS n, SUM(qty) AS qty, COUNT(txn_id) AS txns FROM orders GROUP BY status ORDER BY status'),
    idempotency: (await db.rows('SELECT scope, COUNT(*) AS n FROM idempotency_records GROUP BY scope ORDER BY scope')) as StoredState['idempotency'],
  };
}

export function idempotencyCount(state: StoredState, scope?: string): number {
  // PostgreSQL's count() is a bigint, which pg returns as a string.
  return state.idempotency.filter((row) => scope === undefined || row.scope === scope).reduce((sum, row) => sum + Number(row.n), 0);
}
