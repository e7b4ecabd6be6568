import pg, { type Pool, type PoolClient } from 'pg';
import { loadMigrations } from './migrations.js';
import { isConnectionError, translatePgError } from './pg-errors.js';
import { assertSchemaName } from './schema-name.js';

export interface MigrateOptions {
  /** A `postgres://` URL; a short-lived pool is opened and closed for the run. */
  connectionString?: string;
  /** An existing pool to run on; it is left open. */
  pool?: Pool;
  /** Target schema, created when missing. Default `public`. */
  schema?: string;
}

export interface MigrateResult {
  schema: string;
  /** Versions this run applied, in order; empty when the schema was already current. */
  applied: number[];
  /** The schema's version after the run. */
  version: number;
}

/**
 * Brings a schema up to date with this package's numbered migrations (`sql/000001.sql`, …).
 *
 * Each migration runs in its own transaction that first inserts its row into
 * `<schema>.flashsale_migrations` and holds a transaction-level advisory lock keyed on the schema:
 * processes that migrate at once queue on the lock, and each later one finds the version row
 * already there and skips it, so every migration is applied exactly once. A failed migration
 * rolls back whole, its version row included.
 *
 * @example
 * import { migrate } from '@flashsale/adapter-postgres';
 * const { applied, version } = await migrate({ connectionString: process.env.DATABASE_URL });
 * console.log(applied.length ? `applied ${applied.join(', ')}` : `already at version ${version}`);
 */
export async function migrate(options: MigrateOptions): Promise<MigrateResult> {
  const schema = options.schema ?? 'public';
  assertSchemaName(schema);
  if (options.pool) return migratePool(options.pool, schema);
  if (!options.connectionString) throw new TypeError('migrate needs a connectionString or a pool');
  const pool = new pg.Pool({ connectionString: options.connectionString, max: 1, connectionTimeoutMillis: 10_000 });
  pool.on('error', () => {}); // an idle client's failure surfaces on the next query instead
  try {
    return await migratePool(pool, schema);
  } finally {
    await pool.end();
  }
}

/**
 * The latest migration version this package ships.
 *
 * @example
 * const { version } = await migrate({ connectionString });
 * console.log(version === latestVersion() ? 'up to date' : 'behind');
 */
export function latestVersion(): number {
  return loadMigrations().at(-1)!.version;
}

export async function migratePool(pool: Pool, schema: string): Promise<MigrateResult> {
  assertSchemaName(schema);
  const migrations = loadMigrations();
  let client: PoolClient;
  try {
    client = await pool.connect();
  } catch (err) {
    throw translatePgError(err);
  }
  let broken: Error | undefined;
  const onError = (err: Error) => {
    broken = err;
  };
  client.on('error', onError);
  const quoted = pg.escapeIdentifier(schema);
  try {
    const current = await locked(client, schema, async () => {
      const exists = await client.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [schema]);
      // Checked first: CREATE SCHEMA IF NOT EXISTS would still demand CREATE on the database.
      if (exists.rowCount === 0) await client.query(`CREATE SCHEMA ${quoted}`);
      await client.query(
        `CREATE TABLE IF NOT EXISTS ${quoted}.flashsale_migrations (
           version integer PRIMARY KEY,
           file text NOT NULL,
           applied_at timestamptz NOT NULL DEFAULT now()
         )`,
      );
      const { rows } = await client.query<{ version: number | null }>(`SELECT max(version) AS version FROM ${quoted}.flashsale_migrations`);
      return rows[0]?.version ?? 0;
    });
    const latest = latestVersion();
    if (current > latest) {
      throw new Error(`schema "${schema}" is at migration ${current}, newer than this @flashsale/adapter-postgres knows (${latest}); upgrade the package`);
    }
    const applied: number[] = [];
    for (const migration of migrations) {
      if (migration.version <= current) continue;
      await locked(client, schema, async () => {
        const claimed = await client.query(
          `INSERT INTO ${quoted}.flashsale_migrations (version, file) VALUES ($1, $2) ON CONFLICT DO NOTHING RETURNING version`,
          [migration.version, migration.file],
        );
        if (claimed.rowCount === 0) return; // another process applied it while we queued
        await client.query(migration.sql);
        applied.push(migration.version);
      });
    }
    return { schema, applied, version: latest };
  } catch (err) {
    if (isConnectionError(err)) broken ??= err as Error;
    throw translatePgError(err);
  } finally {
    client.off('error', onError);
    client.release(broken);
  }
}

/** Runs `body` in a transaction holding the schema's migration lock, with `search_path` on the schema. */
async function locked<T>(client: PoolClient, schema: string, body: () => Promise<T>): Promise<T> {
  await client.query('BEGIN');
  try {
    // Migrations may wait for locks and run long; they get their own, generous limits.
    await client.query(`SET LOCAL lock_timeout = 60000; SET LOCAL statement_timeout = 0; SET LOCAL search_path TO ${pg.escapeIdentifier(schema)}`);
    await client.query(`SELECT pg_advisory_xact_lock(hashtext('flashsale.migrate'), hashtext($1))`, [schema]);
    const result = await body();
    await client.query('COMMIT');
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    throw err;
  }
}
