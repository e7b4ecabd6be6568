import { createHash } from 'node:crypto';
import mysql, { type Connection, type Pool, type PoolConnection, type RowDataPacket } from 'mysql2/promise';
import { assertSpeaksUtf8mb4, endpointOf, storeConnectionOptions, type Endpoint } from './connection-config.js';
import { loadMigrations } from './migrations.js';
import { isConnectionError, translateMysqlError } from './mysql-errors.js';

export interface MigrateOptions {
  /** A `mysql://` URL; one connection is opened and closed for the run, and the database created when missing. */
  uri?: string;
  /** An existing pool to run on, whose connections' default database is the target; it is left open. */
  pool?: Pool;
}

export interface MigrateResult {
  database: string;
  /** Versions this run applied, in order; empty when the database was already current. */
  applied: number[];
  /** The database's version after the run. */
  version: number;
}

/** How long a migrator waits for another one to finish, in seconds. */
const LOCK_WAIT_S = 60;

/**
 * Brings a database up to date with this package's numbered migrations (`sql/000001.sql`, …).
 *
 * The whole run holds a named lock (`GET_LOCK`), one per database: processes that migrate at once
 * queue on it, and each later one finds the versions already recorded in `flashsale_migrations`
 * and skips them, so every migration is applied exactly once. The server releases the lock when
 * the session ends, so a migrator that dies holds nobody up. MySQL commits DDL statement by
 * statement, so a migration is not one transaction: its version row is written after its last
 * statement, and its statements are each safe to run again (`IF NOT EXISTS`), so a run that
 * failed half-way is completed by the next.
 *
 * @example
 * import { migrate } from '@flashsale/adapter-mysql';
 * const { applied, version } = await migrate({ uri: process.env.DATABASE_URL });
 * console.log(applied.length ? `applied ${applied.join(', ')}` : `already at version ${version}`);
 */
export async function migrate(options: MigrateOptions): Promise<MigrateResult> {
  if (options.pool) return migratePool(options.pool);
  if (!options.uri) throw new TypeError('migrate needs a uri or a pool');
  return migrateEndpoint(endpointOf(options.uri), 10_000);
}

/**
 * The latest migration version this package ships.
 *
 * @example
 * const { version } = await migrate({ uri });
 * console.log(version === latestVersion() ? 'up to date' : 'behind');
 */
export function latestVersion(): number {
  return loadMigrations().length;
}

/** Migrates over one connection of its own, creating the database first when it is missing. */
export async function migrateEndpoint(endpoint: Endpoint, connectTimeoutMs: number): Promise<MigrateResult> {
  let conn: Connection;
  try {
    conn = await mysql.createConnection(storeConnectionOptions(endpoint, connectTimeoutMs));
  } catch (err) {
    throw translateMysqlError(err);
  }
  let broken = false;
  try {
    // Checked first: CREATE DATABASE IF NOT EXISTS would still demand the CREATE privilege.
    const [found] = await conn.query<RowDataPacket[]>('SELECT 1 FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?', [endpoint.database]);
    if (found.length === 0) await conn.query(`CREATE DATABASE IF NOT EXISTS \`${endpoint.database}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`);
    await conn.query(`USE \`${endpoint.database}\``);
    // Migrations may wait for metadata locks behind long transactions; they get a generous limit.
    await conn.query(`SET SESSION lock_wait_timeout = ${LOCK_WAIT_S}`);
    return await migrateOn(conn, endpoint.database);
  } catch (err) {
    broken = isConnectionError(err);
    throw translateMysqlError(err);
  } finally {
    if (broken) conn.destroy();
    else await conn.end().catch(() => conn.destroy());
  }
}

export async function migratePool(pool: Pool): Promise<MigrateResult> {
  let conn: PoolConnection;
  try {
    conn = await pool.getConnection();
  } catch (err) {
    throw translateMysqlError(err);
  }
  let broken = false;
  try {
    assertSpeaksUtf8mb4(conn);
    const [rows] = await conn.query<RowDataPacket[]>('SELECT DATABASE() AS db');
    const database = rows[0]?.db as string | null | undefined;
    if (!database) throw new TypeError('the pool names no database: give its connections a `database`');
    return await migrateOn(conn, database);
  } catch (err) {
    broken = isConnectionError(err);
    throw translateMysqlError(err);
  } finally {
    if (broken) conn.destroy();
    else conn.release();
  }
}

async function migrateOn(conn: Connection | PoolConnection, database: string): Promise<MigrateResult> {
  const migrations = loadMigrations();
  const lock = lockName(database);
  const [got] = await conn.query<RowDataPacket[]>('SELECT GET_LOCK(?, ?) AS got', [lock, LOCK_WAIT_S]);
  if (got[0]?.got !== 1) throw new Error(`another process has been migrating database "${database}" for ${LOCK_WAIT_S} s; try again once it is done`);
  try {
    await conn.query(
      `CREATE TABLE IF NOT EXISTS flashsale_migrations (
         version    INT NOT NULL PRIMARY KEY,
         file       VARCHAR(255) NOT NULL,
         applied_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
       ) ENGINE = InnoDB`,
    );
    const [rows] = await conn.query<RowDataPacket[]>('SELECT MAX(version) AS version FROM flashsale_migrations');
    const current = Number(rows[0]?.version ?? 0);
    if (current > migrations.length) {
      throw new Error(
        `database "${database}" is at migration ${current}, newer than this @flashsale/adapter-mysql knows (${migrations.length}); upgrade the package`,
      );
    }
    const applied: number[] = [];
    for (const migration of migrations) {
      if (migration.version <= current) continue;
      for (const statement of migration.statements) await conn.query(statement);
      await conn.query('INSERT INTO flashsale_migrations (version, file) VALUES (?, ?)', [migration.version, migration.file]);
      applied.push(migration.version);
    }
    return { database, applied, version: migrations.length };
  } finally {
    await conn.query('SELECT RELEASE_LOCK(?)', [lock]).catch(() => {});
  }
}

/**
 * One lock per database, so migrations of different databases on one server do not queue on
 * each other. Lock names are at most 64 characters: a long database name is hashed.
 */
function lockName(database: string): string {
  const name = `flashsale_migrate:${database}`;
  return name.length <= 64 ? name : `flashsale_migrate:${createHash('sha1').update(database).digest('hex')}`;
}
