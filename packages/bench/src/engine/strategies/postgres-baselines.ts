/*
 * COMPARISON BASELINES, not product code: the ways to take stock that flashsale does NOT use for a
 * hot product on PostgreSQL, kept here only so `flashsale bench --engine --strategy` can show what
 * coalescing buys. They are still correct (the row lock or the guarded UPDATE serialises buyers),
 * and the bench audits them like the engine's own path. They run on the store's own pool, whose
 * connections already have the run's schema on their search path.
 */
import { generateHoldToken, hashToken } from '@flashsale/core';
import type { PostgresStore } from '@flashsale/adapter-postgres';
import type { HoldRunner } from '../hold-runner.js';

const TTL_MS = 30 * 60_000;

/** The seed's way, per hold: BEGIN; SELECT … FOR UPDATE; check in JS; UPDATE; INSERT; COMMIT. */
export function postgresPessimisticRunner(store: PostgresStore): HoldRunner {
  return {
    strategy: 'pessimistic',
    kind: 'comparison baseline',
    async hold(productId, qty) {
      const tokenHash = hashToken(generateHoldToken());
      const now = Date.now();
      const client = await store.pool.connect();
      try {
        await client.query('BEGIN');
        const { rows } = await client.query<{ available: string }>('SELECT available FROM products WHERE id = $1 FOR UPDATE', [productId]);
        const available = rows[0] === undefined ? -1 : Number(rows[0].available);
        if (available < qty) {
          await client.query('COMMIT');
          return false;
        }
        await client.query('UPDATE products SET available = $2 WHERE id = $1', [productId, available - qty]);
        await client.query(
          `INSERT INTO holds (product_id, qty, status, token_hash, created_at, expires_at) VALUES ($1, $2, 'active', $3, $4, $5)`,
          [productId, qty, tokenHash, now, now + TTL_MS],
        );
        await client.query('COMMIT');
        return true;
      } catch (error) {
        await client.query('ROLLBACK').catch(() => {});
        throw error;
      } finally {
        client.release();
      }
    },
  };
}

/** One guarded single statement per hold, in autocommit: a CTE whose UPDATE feeds the hold INSERT. */
export function postgresAtomicRunner(store: PostgresStore): HoldRunner {
  return {
    strategy: 'atomic',
    kind: 'comparison baseline',
    async hold(productId, qty) {
      const now = Date.now();
      const result = await store.pool.query(
        `WITH taken AS (
           UPDATE products SET available = available - $2::bigint WHERE id = $1::bigint AND available >= $2::bigint RETURNING id
         )
         INSERT INTO holds (product_id, qty, status, token_hash, created_at, expires_at)
         SELECT id, $2::bigint, 'active', $3::text, $4::bigint, $5::bigint FROM taken`,
        [productId, qty, hashToken(generateHoldToken()), now, now + TTL_MS],
      );
      return result.rowCount === 1;
    },
  };
}
