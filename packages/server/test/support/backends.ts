import { randomBytes } from 'node:crypto';
import { openPostgresStore, type PostgresStore } from '@flashsale/adapter-postgres';
import { openSqliteStore, type SqliteStore } from '@flashsale/adapter-sqlite';
import type { FlashSaleStore } from '@flashsale/core';
import pg from 'pg';

/**
 * The stores the server's tests run on: SQLite in memory always, and PostgreSQL when
 * FLASHSALE_TEST_PG_URL names a database (CI sets it), each store on a schema of its own that is
 * dropped when the store is. Rows are read back with raw SQL, not through the store, so a store
 * bug cannot hide a change.
 */

export const PG_URL = process.env.FLASHSALE_TEST_PG_URL || undefined;

export interface TestBackend {
  name: 'sqlite' | 'postgres';
  /** False when its database is not configured: the tests on it are skipped. */
  available: boolean;
  open(): Promise<OpenedStore>;
}

export interface OpenedStore {
  store: FlashSaleStore;
  /** Rows of a table's query, read straight from the database. */
  rows(sql: string): Promise<unknown[]>;
  /** Closes the store and drops what it made. */
  destroy(): Promise<void>;
}

const sqlite: TestBackend = {
  name: 'sqlite',
  available: true,
  async open() {
    const store: SqliteStore = openSqliteStore({ filename: ':memory:' });
    return {
      store,
      rows: async (sql) => store.db.prepare(sql).all(),
      destroy: () => store.close(),
    };
  },
};

const postgres: TestBackend = {
  name: 'postgres',
  available: PG_URL !== undefined,
  async open() {
    const schema = `fs_test_${randomBytes(6).toString('hex')}`;
    const store: PostgresStore = await openPostgresStore({ connectionString: PG_URL, schema, applicationName: schema, poolSize: 4 });
    // The tests' own connection, for reading rows behind the store's back and dropping the schema
    // after the store (or a server holding it) has closed.
    const reader = new pg.Client({ connectionString: PG_URL, options: `-c search_path=${schema}`, application_name: 'flashsale-test-reader' });
    await reader.connect();
    return {
      store,
      rows: async (sql) => (await reader.query(sql)).rows,
      async destroy() {
        await store.close();
        if (process.env.FLASHSALE_TEST_KEEP_SCHEMAS !== '1') await reader.query(`DROP SCHEMA IF EXISTS ${pg.escapeIdentifier(schema)} CASCADE`);
        await reader.end();
      },
    };
  },
};

export const BACKENDS: readonly TestBackend[] = [sqlite, postgres];
