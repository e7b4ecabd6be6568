import { RateLimiterMemory, RateLimiterPostgres, RLWrapperTimeouts } from 'rate-limiter-flexible';
import { assertPositiveInteger } from '../positive-integer.js';
import type { LimiterFactory, RateLimitPolicy } from './limiter.js';

/**
 * The part of a `pg.Pool` the limiter uses. Typed structurally so the server needs no `pg`
 * dependency: pass the pool your store runs on (`PostgresStore.pool`).
 */
export interface PgPoolLike {
  query(text: string): Promise<unknown>;
}

export interface PostgresLimiterOptions {
  /** A `pg.Pool`. The limiter borrows it and never ends it. */
  pool: PgPoolLike;
  /** The schema of the counters' table (it must exist: use the store's). Default `public`. */
  schema?: string;
  /** The counters' table, created when missing. Default `flashsale_rate_limits`. */
  tableName?: string;
  /**
   * How long a request waits for its count from PostgreSQL before the per-process fallback
   * decides instead. Default 1000 ms: an upsert takes well under a millisecond, so only an outage
   * or a badly overloaded server reaches it.
   */
  timeoutMs?: number;
}

/**
 * A name that needs no quoting in PostgreSQL: the PostgreSQL adapter's schema rule
 * (`@flashsale/adapter-postgres/schema-name`), stated again here because the server takes any pg
 * pool and depends on neither the adapter nor pg, and because it checks the table name too.
 */
const IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;

/**
 * A {@link LimiterFactory} whose counts live in PostgreSQL (rate-limiter-flexible's
 * `RateLimiterPostgres`), so a limit holds across every server process and host that shares the
 * database, not once per process. Resolves once the counters' table exists, so no request ever
 * meets a limiter whose table is still being created.
 *
 * One table holds every route's counters (keys are `flashsale:<route>:<client>`), one upsert per
 * request. When PostgreSQL does not answer within `timeoutMs`, or fails, the request is counted
 * in this process's memory instead (`insuranceLimiter`): limits then hold per process until the
 * database is back, rather than vanishing or stalling requests.
 *
 * @example
 * const store = await openPostgresStore({ connectionString: process.env.DATABASE_URL });
 * const createLimiter = await postgresLimiter({ pool: store.pool, schema: store.schema });
 * const app = createApp({ engine: createFlashSale({ store }), rateLimit: { createLimiter } });
 */
export async function postgresLimiter(options: PostgresLimiterOptions): Promise<LimiterFactory> {
  const schema = options.schema ?? 'public';
  const tableName = options.tableName ?? 'flashsale_rate_limits';
  const timeoutMs = options.timeoutMs ?? 1_000;
  for (const [name, value] of [['schema', schema], ['tableName', tableName]] as const) {
    // Identifiers go into SQL text (rate-limiter-flexible quotes but does not escape them).
    if (!IDENTIFIER.test(value)) throw new RangeError(`${name} must match ${IDENTIFIER}, got ${JSON.stringify(value)}`);
  }
  assertPositiveInteger('timeoutMs', timeoutMs);
  await createCountersTable(options.pool, schema, tableName);

  return (policy: RateLimitPolicy) => {
    const common = { points: policy.points, duration: policy.durationSec, keyPrefix: `flashsale:${policy.name}` };
    const shared = new RateLimiterPostgres({
      ...common,
      storeClient: options.pool,
      storeType: 'pool',
      schemaName: schema,
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
 * The schema is the store's, created by its migrations (creating it here would need CREATE on the
 * database even when it exists). `CREATE TABLE IF NOT EXISTS` is not safe against itself: two
 * processes creating the same table at once can fail with 23505 (pg_type) or 42P07. Either means
 * another process won, so the table exists.
 */
async function createCountersTable(pool: PgPoolLike, schema: string, tableName: string): Promise<void> {
  await tolerateConcurrentCreate(
    pool.query(`CREATE TABLE IF NOT EXISTS "${schema}"."${tableName}" (key varchar(255) PRIMARY KEY, points integer NOT NULL DEFAULT 0, expire bigint)`),
  );
}

async function tolerateConcurrentCreate(statement: Promise<unknown>): Promise<void> {
  try {
    await statement;
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (code !== '23505' && code !== '42P07') throw error;
  }
}
