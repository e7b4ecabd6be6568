import { closeSync, openSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import mysql, { type Pool, type RowDataPacket } from 'mysql2/promise';
import { expect } from 'vitest';
import { openMysqlStore, type MysqlStore, type MysqlStoreOptions } from '../../src/index.js';

/**
 * Shared plumbing of the MySQL tests: the server comes from FLASHSALE_TEST_MYSQL_URL; every store
 * gets a database of its own, dropped afterwards (kept with FLASHSALE_TEST_MYSQL_KEEP=1, for
 * inspecting a failure); and closing a store must leave no connection behind.
 */

export const MYSQL_URL = process.env.FLASHSALE_TEST_MYSQL_URL || undefined;

if (!MYSQL_URL) announceSkipOnce();

/** Prints the how-to-enable line once per test run, however many files skip. */
function announceSkipOnce(): void {
  // Test files run in worker processes of one vitest process: its pid names the run.
  const marker = join(tmpdir(), `flashsale-mysql-skip-note-${process.ppid}`);
  try {
    closeSync(openSync(marker, 'wx'));
  } catch {
    return;
  }
  console.warn(
    'MySQL tests skipped: set FLASHSALE_TEST_MYSQL_URL (e.g. FLASHSALE_TEST_MYSQL_URL=mysql://root@127.0.0.1:3306/test) to run them.',
  );
}

export function freshDatabaseName(): string {
  return `fs_${randomBytes(6).toString('hex')}`;
}

/** The test server's URL with another database in its path. */
export function urlFor(database: string, base: string = MYSQL_URL!): string {
  const url = new URL(base);
  url.pathname = `/${database}`;
  return url.toString();
}

let admin: Pool | undefined;

/** A small pool for the tests' own raw SQL (tampering, locking rows, killing connections). */
export function adminPool(): Pool {
  admin ??= mysql.createPool({ uri: MYSQL_URL, connectionLimit: 4, supportBigNumbers: true });
  return admin;
}

export async function endAdminPool(): Promise<void> {
  const pool = admin;
  admin = undefined;
  await pool?.end();
}

export async function dropDatabase(database: string): Promise<void> {
  if (process.env.FLASHSALE_TEST_MYSQL_KEEP === '1') return;
  await adminPool().query(`DROP DATABASE IF EXISTS \`${database}\``);
}

/** The server's ids of the connections whose default database is `database`. */
export async function connectionsOn(database: string): Promise<number[]> {
  const [rows] = await adminPool().query<RowDataPacket[]>('SELECT ID AS id FROM information_schema.PROCESSLIST WHERE DB = ? AND ID <> CONNECTION_ID()', [database]);
  return rows.map((r) => Number(r.id));
}

/** Connections still open on `database`, once the server has caught up with closes. */
export async function openConnections(database: string): Promise<number> {
  let count = 0;
  for (let i = 0; i < 50; i++) {
    count = (await connectionsOn(database)).length;
    if (count === 0) return 0;
    // A connection leaves the process list a moment after its client hung up.
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return count;
}

/** A store on a fresh database (created by its migrations). */
export async function openTestStore(options: Partial<MysqlStoreOptions> & { database?: string } = {}): Promise<MysqlStore> {
  const { database = freshDatabaseName(), ...rest } = options;
  return openMysqlStore({ uri: urlFor(database), ...rest });
}

/**
 * Closes stores (several may share a database), then fails the test if any of their connections
 * outlive the close, then drops their databases.
 */
export async function closeTestStores(stores: MysqlStore[], options: { keepDatabase?: boolean } = {}): Promise<void> {
  for (const store of stores) await store.close();
  for (const database of new Set(stores.map((s) => s.database))) {
    expect(await openConnections(database), `server connections left open on ${database}`).toBe(0);
    if (!options.keepDatabase) await dropDatabase(database);
  }
}

export function closeTestStore(store: MysqlStore, options: { keepDatabase?: boolean } = {}): Promise<void> {
  return closeTestStores([store], options);
}

/** Changes a product's available stock with raw SQL, behind the engine's back. */
export async function tamperAvailable(store: MysqlStore, productId: number, delta: number): Promise<void> {
  await adminPool().query(`UPDATE \`${store.database}\`.products SET available = available + ? WHERE id = ?`, [delta, productId]);
}
