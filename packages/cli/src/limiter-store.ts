import type { FlashSaleStore } from '@flashsale/core';
import type { LimiterFactory } from '@flashsale/server';
import type { DbTarget } from './open-store.js';

/**
 * Where `serve` counts rate limits:
 * - `postgres`, `mysql`: in the database (one table beside the store's), so every process on
 *   every host that shares the database shares the limits. Used on those databases whatever
 *   `--workers` is, because several single-process servers on several hosts are "several
 *   processes" too.
 * - `cluster`: in the node:cluster primary, for `--workers N` on SQLite (one host, no shared server).
 * - `memory`: in the process, for one process on SQLite.
 */
export type LimiterStore = 'postgres' | 'mysql' | 'cluster' | 'memory';

export function limiterStoreFor(target: DbTarget, workers: number): LimiterStore {
  if (target.kind !== 'sqlite') return target.kind;
  return workers > 1 ? 'cluster' : 'memory';
}

/**
 * The `createLimiter` for the server, or undefined for the server's default (memory). The
 * PostgreSQL and MySQL ones borrow the store's pool: one pool per process, sized by `--pool-size`.
 *
 * @example const createLimiter = await limiterFor('postgres', store);
 */
export async function limiterFor(kind: LimiterStore, store: FlashSaleStore): Promise<LimiterFactory | undefined> {
  if (kind === 'memory') return undefined;
  // Loaded here, not at the top: `serve` imports this module while building the command line.
  const { clusterLimiter, mysqlLimiter, postgresLimiter } = await import('@flashsale/server');
  if (kind === 'cluster') return clusterLimiter();
  const shared = store.sharedDatabase;
  if (shared?.dialect === 'mysql' && kind === 'mysql') return mysqlLimiter({ pool: shared.pool, database: shared.schema });
  if (shared?.dialect === 'postgres' && kind === 'postgres') return postgresLimiter({ pool: shared.pool, schema: shared.schema });
  throw new Error(`the ${store.kind} store lends no ${kind} database for shared rate-limit counters`);
}
