import type { Pool } from 'mysql2/promise';

/** Options of {@link openMysqlStore}. Give `uri` or `pool`. */
export interface MysqlStoreOptions {
  /**
   * A `mysql://user:password@host:3306/database` URL (`mariadb://` works too). The store then owns
   * its pool and ends it on `close()`. The database is created when missing (utf8mb4, binary
   * collation), which needs the CREATE privilege the first time.
   */
  uri?: string;
  /**
   * Your own `mysql2/promise` pool, on an existing database. The store borrows it: it never ends
   * it, and sets nothing on your connections' sessions (see the README).
   */
  pool?: Pool;
  /** Connections in the store's own pool. Default 10 (see the README for why). */
  poolSize?: number;
  /** Longest wait for a connection: connecting, or queueing for a free one in the pool, in ms. Default 5,000. */
  connectTimeoutMs?: number;
  /**
   * Longest the store waits for the server's answer to one statement, in ms. Default 15,000. The
   * timer runs in this process, so it also ends the wait when the network went silent; the
   * connection is then destroyed.
   */
  queryTimeoutMs?: number;
  /** Longest a statement waits for a row lock or a concurrent idempotency key, in whole seconds (`innodb_lock_wait_timeout`). Default 5. */
  lockWaitTimeoutS?: number;
  /**
   * The server ends a connection of the store's own pool that stays idle this long, in seconds
   * (`wait_timeout`): a transaction whose client vanished mid-way gives its row locks back then.
   * The pool itself closes connections idle for a third of it, so it never hands out one the
   * server already ended. Default 60.
   */
  idleSessionTimeoutS?: number;
  /** Run the migrations on open. Default true. */
  migrate?: boolean;
  /**
   * Orders, payments, releases and extensions that arrive together share one transaction, each in
   * its own savepoint (group commit). Default true; false gives each its own transaction, for
   * comparing the two.
   */
  groupCommit?: boolean;
}

export interface ResolvedOptions {
  poolSize: number;
  connectTimeoutMs: number;
  queryTimeoutMs: number;
  lockWaitTimeoutS: number;
  idleSessionTimeoutS: number;
}

/**
 * Connections in a store's own pool unless `poolSize` says otherwise. The README explains the
 * choice: enough for orders, payments and the sweeper beside the hot product's one transaction,
 * few enough that many processes fit the server's default `max_connections` of 151.
 *
 * @example
 * const perProcess = Math.floor((maxConnections - 10) / workers); // keep the pools within the server's limit
 * await openMysqlStore({ uri, poolSize: Math.min(perProcess, DEFAULT_POOL_SIZE) });
 */
export const DEFAULT_POOL_SIZE = 10;

export function resolveOptions(options: MysqlStoreOptions): ResolvedOptions {
  const resolved: ResolvedOptions = {
    poolSize: options.poolSize ?? DEFAULT_POOL_SIZE,
    connectTimeoutMs: options.connectTimeoutMs ?? 5_000,
    queryTimeoutMs: options.queryTimeoutMs ?? 15_000,
    lockWaitTimeoutS: options.lockWaitTimeoutS ?? 5,
    idleSessionTimeoutS: options.idleSessionTimeoutS ?? 60,
  };
  for (const name of ['poolSize', 'connectTimeoutMs', 'queryTimeoutMs', 'lockWaitTimeoutS', 'idleSessionTimeoutS'] as const) {
    const value = resolved[name];
    if (!Number.isSafeInteger(value) || value <= 0) throw new RangeError(`${name} must be a positive integer, got ${value}`);
  }
  // innodb_lock_wait_timeout and wait_timeout are capped by the servers at these.
  if (resolved.lockWaitTimeoutS > 1_073_741_824) throw new RangeError('lockWaitTimeoutS must be at most 1073741824');
  if (resolved.idleSessionTimeoutS > 31_536_000) throw new RangeError('idleSessionTimeoutS must be at most 31536000');
  return resolved;
}
