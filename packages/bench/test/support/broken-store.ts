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

/**
 * A store whose outbox lies, for the bench's own test: the real SQLite store with two of its
 * triggers rewritten in the database file (so the bench's own connection, which runs the expiry
 * pass, writes the same lies). An order that expires appends no order.expired, and a hold that
 * expires appends a hold.released as if its buyer had given it back.
 */
export function openOutboxBreakingStore(filename: string): SqliteStore {
  const store = openSqliteStore({ filename });
  store.db.exec(`
    DROP TRIGGER merchant_event_order_status;
    CREATE TRIGGER merchant_event_order_status AFTER UPDATE OF status ON orders
    WHEN NEW.status <> OLD.status AND NEW.status IN ('completed', 'failed', 'refund_due')
    BEGIN
      INSERT INTO merchant_events (id, type, created_at, data)
      VALUES ('evt_' || lower(hex(randomblob(16))), 'order.' || NEW.status, flashsale_event_time(),
              json_object('order_id', NEW.id, 'hold_id', NEW.hold_id, 'product_id', NEW.product_id, 'qty', NEW.qty,
                          'amount_cents', NEW.amount_cents, 'status', NEW.status));
    END;
    DROP TRIGGER merchant_event_hold_released;
    CREATE TRIGGER merchant_event_hold_released AFTER UPDATE OF status ON holds
    WHEN NEW.status IN ('released', 'expired') AND OLD.status <> NEW.status
    BEGIN
      INSERT INTO merchant_events (id, type, created_at, data)
      VALUES ('evt_' || lower(hex(randomblob(16))), 'hold.released', flashsale_event_time(),
              json_object('hold_id', NEW.id, 'product_id', NEW.product_id, 'qty', NEW.qty));
    END;
  `);
  return store;
}
