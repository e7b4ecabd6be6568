import type { Pool } from 'pg';
import { assertSchemaName } from './schema-name.js';

/** Options of {@link openPostgresStore}. Give `connectionString` or `pool`. */
export interface PostgresStoreOptions {
  /** A `postgres://` URL. The store then owns its pool and ends it on `close()`. */
  connectionString?: string;
  /**
   * Your own `pg.Pool`. The store borrows it: it never ends it, and sets its search path and
   * timeouts per transaction (`SET LOCAL`) so your other connections are left as they were.
   * Listen for errors on it and on each client it connects, as the store does on its own pool:
   * an ended connection's 'error' with no listener ends the process.
   */
  pool?: Pool;
  /**
   * The schema holding the tables, created by the migrations when missing. Default `public`.
   * Lower-case letters, digits and `_`, starting with a letter or `_`, at most 63 characters.
   */
  schema?: string;
  /** Connections in the store's own pool. Default 10 (see the README for why). */
  poolSize?: number;
  /** Longest a statement may run, in ms. Default 15,000. */
  statementTimeoutMs?: number;
  /** Longest a statement waits for a row lock or a concurrent idempotency key, in ms. Default 5,000. */
  lockTimeoutMs?: number;
  /** A transaction idle this long (a stuck or vanished client) is ended by the server, in ms. Default 30,000. */
  idleInTransactionTimeoutMs?: number;
  /** Longest wait for a connection from the pool or the server, in ms. Default 5,000. */
  connectionTimeoutMs?: number;
  /** Shown in `pg_stat_activity`. Default `flashsale`. */
  applicationName?: string;
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
  schema: string;
  poolSize: number;
  statementTimeoutMs: number;
  lockTimeoutMs: number;
  idleInTransactionTimeoutMs: number;
  connectionTimeoutMs: number;
  applicationName: string;
}

/**
 * Connections in a store's own pool unless `poolSize` says otherwise. The README explains the
 * choice: enough for orders, payments and the sweeper to run beside the hot product's one
 * transaction, few enough that nine processes fit PostgreSQL's default `max_connections` of 100.
 *
 * @example
 * const perProcess = Math.floor((maxConnections - 10) / workers); // keep the pool within the server's limit
 * await openPostgresStore({ connectionString, poolSize: Math.min(perProcess, DEFAULT_POOL_SIZE) });
 */
export const DEFAULT_POOL_SIZE = 10;

export function resolveOptions(options: PostgresStoreOptions): ResolvedOptions {
  const resolved: ResolvedOptions = {
    schema: options.schema ?? 'public',
    poolSize: options.poolSize ?? DEFAULT_POOL_SIZE,
    statementTimeoutMs: options.statementTimeoutMs ?? 15_000,
    lockTimeoutMs: options.lockTimeoutMs ?? 5_000,
    idleInTransactionTimeoutMs: options.idleInTransactionTimeoutMs ?? 30_000,
    connectionTimeoutMs: options.connectionTimeoutMs ?? 5_000,
    applicationName: options.applicationName ?? 'flashsale',
  };
  assertSchemaName(resolved.schema);
  for (const name of ['poolSize', 'statementTimeoutMs', 'lockTimeoutMs', 'idleInTransactionTimeoutMs', 'connectionTimeoutMs'] as const) {
    const value = resolved[name];
    if (!Number.isSafeInteger(value) || value <= 0) throw new RangeError(`${name} must be a positive integer, got ${value}`);
  }
  if (!/^[\x20-\x7e]{1,63}$/.test(resolved.applicationName)) {
    throw new RangeError('applicationName must be 1 to 63 printable ASCII characters');
  }
  return resolved;
}
