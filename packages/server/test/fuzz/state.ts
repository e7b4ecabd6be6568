import type { Harness } from '../helpers.js';

/**
 * What a refused request must leave untouched, read straight from the SQLite database (not through
 * the engine, so an engine bug cannot hide a change): every product's counters, holds and orders
 * by status, and idempotency records by scope.
 */
export interface StoredState {
  products: unknown[];
  holds: unknown[];
  orders: unknown[];
  idempotency: { scope: string; n: number }[];
}

export function readState(h: Harness): StoredState {
  const { db } = h.store;
  return {
    products: db.prepare('SELECT id, name, price_cents, available, initial_stock, restocked FROM products ORDER BY id').all(),
    holds: db.prepare('SELECT status, COUNT(*) AS n, SUM(qty) AS qty FROM holds GROUP BY status ORDER BY status').all(),
    orders: db.prepare('SELECT status, COUNT(*) AS n, SUM(qty) AS qty, COUNT(txn_id) AS txns FROM orders GROUP BY status ORDER BY status').all(),
    idempotency: db.prepare('SELECT scope, COUNT(*) AS n FROM idempotency_records GROUP BY scope ORDER BY scope').all() as StoredState['idempotency'],
  };
}

export function idempotencyCount(state: StoredState, scope?: string): number {
  return state.idempotency.filter((row) => scope === undefined || row.scope === scope).reduce((sum, row) => sum + row.n, 0);
}
