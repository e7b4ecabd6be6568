/*
 * COMPARISON BASELINES, not product code: the ways to take stock that flashsale does NOT use for a
 * hot product on MySQL, kept here only so `flashsale bench --engine --strategy` can show what
 * coalescing buys. They are still correct (the row lock or the guarded UPDATE serialises buyers),
 * and the bench audits them like the engine's own path. They run on the store's own pool, whose
 * connections already have the run's database as their default.
 */
import { generateHoldToken, hashToken } from '@flashsale/core';
import type { MysqlStore } from '@flashsale/adapter-mysql';
import type { HoldRunner } from '../hold-runner.js';

/** A connection of the store's mysql2 pool (typed through the adapter, which owns the mysql2 dependency). */
type PoolConnection = Awaited<ReturnType<MysqlStore['pool']['getConnection']>>;

const INSERT_HOLD = `INSERT INTO holds (product_id, qty, status, token_hash, created_at, expires_at) VALUES (?, ?, 'active', ?, ?, ?)`;
const TTL_MS = 30 * 60_000;

/** Runs `work` in one transaction on a connection of the store's pool. */
async function inTransaction<T>(store: MysqlStore, work: (conn: PoolConnection) => Promise<T>): Promise<T> {
  const conn = await store.pool.getConnection();
  try {
    await conn.query('START TRANSACTION');
    const result = await work(conn);
    await conn.query('COMMIT');
    return result;
  } catch (error) {
    await conn.query('ROLLBACK').catch(() => {});
    throw error;
  } finally {
    conn.release();
  }
}

/** The seed's way, per hold: START TRANSACTION; SELECT … FOR UPDATE; check in JS; UPDATE; INSERT; COMMIT. */
export function mysqlPessimisticRunner(store: MysqlStore): HoldRunner {
  return {
    strategy: 'pessimistic',
    kind: 'comparison baseline',
    hold: (productId, qty) =>
      inTransaction(store, async (conn) => {
        const tokenHash = hashToken(generateHoldToken());
        const now = Date.now();
        const [rows] = (await conn.query('SELECT available FROM products WHERE id = ? FOR UPDATE', [productId])) as unknown as [{ available: number }[]];
        const available = rows[0] === undefined ? -1 : Number(rows[0].available);
        if (available < qty) return false;
        await conn.query('UPDATE products SET available = ? WHERE id = ?', [available - qty, productId]);
        await conn.query(INSERT_HOLD, [productId, qty, tokenHash, now, now + TTL_MS]);
        return true;
      }),
  };
}

/** One guarded UPDATE (`available >= qty` is the guard) and the INSERT, in one transaction per hold, no batching. */
export function mysqlAtomicRunner(store: MysqlStore): HoldRunner {
  return {
    strategy: 'atomic',
    kind: 'comparison baseline',
    hold: (productId, qty) =>
      inTransaction(store, async (conn) => {
        const now = Date.now();
        const [taken] = (await conn.query('UPDATE products SET available = available - ? WHERE id = ? AND available >= ?', [qty, productId, qty])) as unknown as [
          { affectedRows: number },
        ];
        if (taken.affectedRows === 0) return false;
        await conn.query(INSERT_HOLD, [productId, qty, hashToken(generateHoldToken()), now, now + TTL_MS]);
        return true;
      }),
  };
}
