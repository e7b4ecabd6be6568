import { openSqliteStore, type SqliteStore } from '@flashsale/adapter-sqlite';
import type { ReserveOutcome, Replayable } from '@flashsale/core';

/**
 * A deliberately broken store for the bench's own test: it forgets the stock guard. It takes what
 * stock there is (the table's CHECK keeps the column from going below 0) and grants every hold
 * anyway, the classic read-then-write oversell. Everything else is the real SQLite store.
 */
export function openOversellingStore(filename: string): SqliteStore {
  const store = openSqliteStore({ filename });
  const take = store.db.prepare('UPDATE products SET available = max(available - ?, 0) WHERE id = ?');
  const insert = store.db.prepare(`INSERT INTO holds (product_id, qty, status, token_hash, created_at, expires_at)
                                   VALUES (?, ?, 'active', ?, ?, ?)`);
  const grantAll = store.db.transaction((requests: Parameters<SqliteStore['reserveHolds']>[0]) =>
    requests.map((r): Replayable<ReserveOutcome> => {
      take.run(r.qty, r.productId);
      const id = Number(insert.run(r.productId, r.qty, r.tokenHash, r.createdAt, r.expiresAt).lastInsertRowid);
      return {
        kind: 'done',
        outcome: { kind: 'held', hold: { id, productId: r.productId, qty: r.qty, status: 'active', tokenHash: r.tokenHash, createdAt: r.createdAt, expiresAt: r.expiresAt } },
      };
    }),
  );
  return { ...store, db: store.db, reserveHolds: async (requests) => grantAll.immediate(requests) };
}

/**
 * A store blind to drops, for the bench's own test: it grants holds first-fit on the stock alone,
 * ignoring the sale window and the per-buyer limit, and still records each hold's buyer. What the
 * bench must catch from storage: holds before the opening, and buyers past the limit.
 */
export function openDropBlindStore(filename: string): SqliteStore {
  const store = openSqliteStore({ filename });
  const available = store.db.prepare<[number], { available: number }>('SELECT available FROM products WHERE id = ?');
  const take = store.db.prepare('UPDATE products SET available = available - ? WHERE id = ?');
  const insert = store.db.prepare(`INSERT INTO holds (product_id, qty, status, token_hash, created_at, expires_at, buyer_id)
                                   VALUES (?, ?, 'active', ?, ?, ?, ?)`);
  const grantOnStock = store.db.transaction((requests: Parameters<SqliteStore['reserveHolds']>[0]) =>
    requests.map((r): Replayable<ReserveOutcome> => {
      const left = available.get(r.productId)?.available ?? 0;
      if (left < r.qty) return { kind: 'done', outcome: { kind: 'refused', code: 'insufficient_stock', stockLeft: left } };
      take.run(r.qty, r.productId);
      const id = Number(insert.run(r.productId, r.qty, r.tokenHash, r.createdAt, r.expiresAt, r.buyerId ?? null).lastInsertRowid);
      return {
        kind: 'done',
        outcome: { kind: 'held', hold: { id, productId: r.productId, qty: r.qty, status: 'active', tokenHash: r.tokenHash, createdAt: r.createdAt, expiresAt: r.expiresAt }, stockLeft: left - r.qty },
      };
    }),
  );
  return { ...store, db: store.db, reserveHolds: async (requests) => grantOnStock.immediate(requests) };
}
