/*
 * COMPARISON BASELINES, not product code: the ways to take stock that flashsale does NOT use on
 * SQLite, kept here only so `flashsale bench --engine --strategy` can show what coalescing buys.
 * They are still correct (each hold is one BEGIN IMMEDIATE transaction, so nothing else writes
 * between its read and its write), and the bench audits them like the engine's own path.
 */
import { generateHoldToken, hashToken } from '@flashsale/core';
import type { SqliteStore } from '@flashsale/adapter-sqlite';
import type { HoldRunner } from '../hold-runner.js';

const INSERT_HOLD = `INSERT INTO holds (product_id, qty, status, token_hash, created_at, expires_at)
                     VALUES (?, ?, 'active', ?, ?, ?)`;
const TTL_MS = 30 * 60_000;

/** The seed's way, per hold: BEGIN IMMEDIATE; SELECT the stock; check in JS; UPDATE it; INSERT the hold; COMMIT. */
export function sqlitePessimisticRunner(store: SqliteStore): HoldRunner {
  const db = store.db;
  const select = db.prepare('SELECT available FROM products WHERE id = ?').pluck();
  const update = db.prepare('UPDATE products SET available = ? WHERE id = ?');
  const insert = db.prepare(INSERT_HOLD);
  const take = db.transaction((productId: number, qty: number, tokenHash: string, now: number): boolean => {
    const available = select.get(productId) as number | undefined;
    if (available === undefined || available < qty) return false;
    update.run(available - qty, productId);
    insert.run(productId, qty, tokenHash, now, now + TTL_MS);
    return true;
  });
  return {
    strategy: 'pessimistic',
    kind: 'comparison baseline',
    hold: async (productId, qty) => take.immediate(productId, qty, hashToken(generateHoldToken()), Date.now()),
  };
}

/** One guarded UPDATE (`available >= qty` is the guard) and the INSERT, in one transaction per hold, no batching. */
export function sqliteAtomicRunner(store: SqliteStore): HoldRunner {
  const db = store.db;
  const take = db.prepare('UPDATE products SET available = available - ? WHERE id = ? AND available >= ?');
  const insert = db.prepare(INSERT_HOLD);
  const reserve = db.transaction((productId: number, qty: number, tokenHash: string, now: number): boolean => {
    if (take.run(qty, productId, qty).changes === 0) return false;
    insert.run(productId, qty, tokenHash, now, now + TTL_MS);
    return true;
  });
  return {
    strategy: 'atomic',
    kind: 'comparison baseline',
    hold: async (productId, qty) => reserve.immediate(productId, qty, hashToken(generateHoldToken()), Date.now()),
  };
}
