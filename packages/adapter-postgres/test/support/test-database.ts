import { closeSync, openSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { expect } from 'vitest';
import { openPostgresStore, type PostgresStore, type PostgresStoreOptions } from '../../src/index.js';

/**
 * Shared plumbing of the PostgreSQL tests: the connection comes from FLASHSALE_TEST_PG_URL; every
 * store gets a schema of its own, dropped afterwards (kept with FLASHSALE_TEST_KEEP_SCHEMAS=1, for
 * inspecting a failure); and closing a store must leave no connection behind.
 */

export const PG_URL = process.env.FLASHSALE_TEST_PG_URL || undefined;

if (!PG_URL) announceSkipOnce();

/** Prints the how-to-enable line once per test run, however many files skip. */
function announceSkipOnce(): void {
  // Test files run in worker processes of one vitest process: its pid names the run.
  const marker = join(tmpdir(), `flashsale-pg-skip-note-${process.ppid}`);
  try {
    closeSync(openSync(marker, 'wx'));
  } catch {
    return;
  }
  console.warn(
    'PostgreSQL tests skipped: set FLASHSALE_TEST_PG_URL (e.g. FLASHSALE_TEST_PG_URL=postgres://postgres@127.0.0.1:5432/test) to run them.',
  );
}

export function freshSchemaName(): string {
  return `fs_test_${randomBytes(6).toString('hex')}`;
}

let admin: pg.Pool | undefined;

/** A small pool for the tests' own raw SQL (tampering, locking rows, killing backends). */
export function adminPool(): pg.Pool {
  if (!admin) {
    admin = new pg.Pool({ connectionString: PG_URL, max: 4, application_name: 'flashsale-test-admin' });
    admin.on('error', () => {});
  }
  return admin;
}

export async function endAdminPool(): Promise<void> {
  const pool = admin;
  admin = undefined;
  await pool?.end();
}

export async function dropSchema(schema: string): Promise<void> {
  if (process.env.FLASHSALE_TEST_KEEP_SCHEMAS === '1') return;
  await adminPool().query(`DROP SCHEMA IF EXISTS ${pg.escapeIdentifier(schema)} CASCADE`);
}

/** Connections still open under `applicationName`, once the server has caught up with closes. */
export async function openConnections(applicationName: string): Promise<number> {
  let count = 0;
  for (let i = 0; i < 50; i++) {
    const { rows } = await adminPool().query<{ n: number }>(
      'SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = $1 AND pid <> pg_backend_pid()',
      [applicationName],
    );
    count = rows[0]!.n;
    if (count === 0) return 0;
    // A backend leaves pg_stat_activity a moment after its client hung up.
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return count;
}

/** A store on a fresh schema; its connections are named after the schema so leaks can be found. */
export async function openTestStore(options: Partial<PostgresStoreOptions> = {}): Promise<PostgresStore> {
  const schema = options.schema ?? freshSchemaName();
  return openPostgresStore({ connectionString: PG_URL, schema, applicationName: schema, ...options });
}

/**
 * Closes stores (several may share a schema), then fails the test if any of their connections
 * outlive the close, then drops their schemas.
 */
export async function closeTestStores(stores: PostgresStore[], options: { keepSchema?: boolean } = {}): Promise<void> {
  for (const store of stores) await store.close();
  for (const store of stores) expect(store.pool.totalCount, 'pool clients left after close').toBe(0);
  for (const schema of new Set(stores.map((s) => s.schema))) {
    expect(await openConnections(schema), `server connections left open for ${schema}`).toBe(0);
    if (!options.keepSchema) await dropSchema(schema);
  }
}

export function closeTestStore(store: PostgresStore, options: { keepSchema?: boolean } = {}): Promise<void> {
  return closeTestStores([store], options);
}

/** Changes a product's available stock with raw SQL, behind the engine's back. */
export async function tamperAvailable(store: PostgresStore, productId: number, delta: number): Promise<void> {
  await adminPool().query(`UPDATE ${pg.escapeIdentifier(store.schema)}.products SET available = available + $1 WHERE id = $2`, [delta, productId]);
}
