import type { CallbackPoolLike } from '@flashsale/core';
import { RateLimiterMemory, RateLimiterMySQL, RLWrapperTimeouts } from 'rate-limiter-flexible';
import { assertPositiveInteger } from '../positive-integer.js';
import type { LimiterFactory, RateLimitPolicy } from './limiter.js';

type Callback<T> = (error: Error | null, result?: T) => void;

/** The part of a mysql2 (callback) pool connection the limiter uses. */
export interface MysqlConnectionLike {
  query(options: { sql: string; values?: unknown[]; timeout?: number }, callback: Callback<unknown>): unknown;
  rollback(callback: (error: Error | null) => void): unknown;
  release(): void;
  destroy(): void;
}

/**
 * A mysql2 callback pool, typed as the core lends it (`store.sharedDatabase.pool` of a MySQL
 * store), so the server needs no mysql2 dependency. Its connections are mysql2's: they have the
 * members of {@link MysqlConnectionLike}.
 */
export type MysqlPoolLike = CallbackPoolLike;

export interface MysqlLimiterOptions {
  /** A mysql2 callback pool. The limiter borrows it and never ends it. */
  pool: MysqlPoolLike;
  /** The database of the counters' table (it must exist: use the store's). */
  database: string;
  /** The counters' table, created when missing. Default `flashsale_rate_limits`. */
  tableName?: string;
  /**
   * How long a request waits for its count from MySQL before the per-process fallback decides
   * instead. Default 1000 ms. A statement of the limiter's that has not answered after five times
   * that ends with its connection destroyed, so a silent network cannot pin the pool's connections.
   */
  timeoutMs?: number;
}

/** A name that needs no quoting: the MySQL adapter's database rule, and the table name too. */
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

/**
 * A {@link LimiterFactory} whose counts live in MySQL or MariaDB (rate-limiter-flexible's
 * `RateLimiterMySQL`), so a limit holds across every server process and host that shares the
 * database, not once per process. Resolves once the counters' table exists.
 *
 * One table holds every route's counters (keys are `flashsale:<route>:<client>`), one upsert per
 * request. When MySQL does not answer within `timeoutMs`, or fails, the request is counted in this
 * process's memory instead (`insuranceLimiter`): limits then hold per process until the database
 * is back, rather than vanishing or stalling requests.
 *
 * @example
 * const store = await openMysqlStore({ uri: process.env.DATABASE_URL });
 * const createLimiter = await mysqlLimiter({ pool: store.pool.pool, database: store.database }); // or store.sharedDatabase
 * const app = createApp({ engine: createFlashSale({ store }), rateLimit: { createLimiter } });
 */
export async function mysqlLimiter(options: MysqlLimiterOptions): Promise<LimiterFactory> {
  const tableName = options.tableName ?? 'flashsale_rate_limits';
  const timeoutMs = options.timeoutMs ?? 1_000;
  for (const [name, value] of [['database', options.database], ['tableName', tableName]] as const) {
    if (!IDENTIFIER.test(value)) throw new RangeError(`${name} must match ${IDENTIFIER}, got ${JSON.stringify(value)}`);
  }
  assertPositiveInteger('timeoutMs', timeoutMs);
  const storeClient = withStatementTimeout(options.pool, timeoutMs * 5);
  await createCountersTable(storeClient, options.database, tableName);

  return (policy: RateLimitPolicy) => {
    const common = { points: policy.points, duration: policy.durationSec, keyPrefix: `flashsale:${policy.name}` };
    const shared = new RateLimiterMySQL({
      ...common,
      storeClient,
      storeType: 'pool',
      dbName: options.database,
      tableName,
      // Created above, before any limiter exists: the constructor must not race to create it again.
      tableCreated: true,
      // A client past its limit is refused from memory for the rest of its window: an abusive
      // client costs no database round trip per request.
      inMemoryBlockOnConsumed: policy.points,
    });
    return new RLWrapperTimeouts({ keyPrefix: common.keyPrefix, limiter: shared, timeoutMs, insuranceLimiter: new RateLimiterMemory(common) });
  };
}

/**
 * `CREATE TABLE IF NOT EXISTS` is safe against itself on MySQL (a metadata lock serialises two
 * processes creating the table at once). The database is the store's, created by its migrations.
 */
function createCountersTable(pool: ReturnType<typeof withStatementTimeout>, database: string, tableName: string): Promise<void> {
  const sql =
    `CREATE TABLE IF NOT EXISTS \`${database}\`.\`${tableName}\` ` +
    '(`key` VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL PRIMARY KEY, `points` INT NOT NULL DEFAULT 0, `expire` BIGINT UNSIGNED) ENGINE = InnoDB';
  return new Promise((resolve, reject) => {
    pool.getConnection((error, connection) => {
      if (error || !connection) return reject(error);
      connection.query(sql, (queryError: Error | null) => {
        connection.release();
        if (queryError) reject(queryError);
        else resolve();
      });
    });
  });
}

/** A connection as RateLimiterMySQL uses one: `query(sql, cb)`, `query(sql, values, cb)`, `rollback()`, `release()`. */
interface LimiterConnection {
  query(sql: string, ...rest: unknown[]): unknown;
  rollback(done?: Callback<unknown>): unknown;
  release(): void;
}

/**
 * The pool as RateLimiterMySQL sees it, with mysql2's client-side `timeout` on every statement:
 * rate-limiter-flexible sets none, so on a silent network its queries would hold their
 * connections forever. A connection whose statement failed on the connection itself (timed out,
 * lost) is destroyed when the limiter releases it, never handed to the next request.
 */
function withStatementTimeout(pool: MysqlPoolLike, timeoutMs: number): { getConnection(callback: (error: Error | null, connection?: LimiterConnection) => void): void } {
  return {
    getConnection(callback) {
      pool.getConnection((error, lent) => {
        if (error) return callback(error);
        const connection = lent as MysqlConnectionLike;
        let broken = false;
        callback(null, {
          query(sql, ...rest) {
            const done = rest.at(-1) as Callback<unknown>;
            const values = rest.length > 1 ? (rest[0] as unknown[]) : undefined;
            return connection.query({ sql, ...(values === undefined ? {} : { values }), timeout: timeoutMs }, (queryError, result) => {
              if (queryError && isConnectionFailure(queryError)) broken = true;
              done(queryError, result);
            });
          },
          rollback: (done) => connection.rollback(done ?? (() => {})),
          release: () => (broken ? connection.destroy() : connection.release()),
        });
      });
    },
  };
}

/** mysql2 marks an error after which the connection is unusable `fatal`; its own timeout is not marked. */
function isConnectionFailure(error: Error): boolean {
  const { fatal, code } = error as { fatal?: unknown; code?: unknown };
  return fatal === true || code === 'PROTOCOL_SEQUENCE_TIMEOUT';
}
