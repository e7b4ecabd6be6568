import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { FlashSaleStore } from '@flashsale/core';
import type { BenchDatabase } from '../options.js';

/** The database of one run, and whether the run made it (so removes it afterwards). */
type BenchDb =
  | { kind: 'sqlite'; filename: string; temporary: boolean }
  | { kind: 'postgres'; connectionString: string; schema: string; temporary: boolean };

/**
 * The database of a run. None given: a fresh SQLite file in a temp directory. PostgreSQL: a fresh
 * schema `flashsale_bench_<random>` unless one is named, so runs never mix rows with each other
 * or with a real sale.
 *
 * @example benchDbFor({ kind: 'postgres', connectionString: 'postgres://postgres@127.0.0.1/test' }).temporary // true
 */
export function benchDbFor(database: BenchDatabase | undefined): BenchDb {
  if (database === undefined) {
    const dir = mkdtempSync(join(tmpdir(), 'flashsale-bench-'));
    return { kind: 'sqlite', filename: join(dir, 'bench.db'), temporary: true };
  }
  if (database.kind === 'postgres') {
    const schema = database.schema ?? `flashsale_bench_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
    return { kind: 'postgres', connectionString: database.connectionString, schema, temporary: database.schema === undefined };
  }
  if (database.filename === ':memory:') throw new RangeError('--db :memory: cannot be shared with a server process: give a file path');
  return { kind: 'sqlite', filename: database.filename, temporary: false };
}

/** The `--db` string for a server process (the CLI's `?schema=` convention for PostgreSQL). */
export function dbArgument(db: BenchDb): string {
  if (db.kind === 'sqlite') return db.filename;
  const url = new URL(db.connectionString);
  url.searchParams.set('schema', db.schema);
  return url.toString();
}

/** A printable name for reports, with any password replaced by `***`. */
export function describeBenchDb(db: BenchDb): string {
  if (db.kind === 'sqlite') return `sqlite ${db.filename}`;
  const url = new URL(db.connectionString);
  if (url.password !== '') url.password = '***';
  return `postgres ${url.host}${url.pathname} schema ${db.schema}`;
}

/** A store on the bench database plus the raw SQL access the audit and the baselines need. */
export interface OpenedBenchDb {
  db: BenchDb;
  store: FlashSaleStore;
  /** Runs a query and returns its rows (`?` placeholders on SQLite, `$n` on PostgreSQL). */
  query<T>(sqlite: string, postgres: string, params: unknown[]): Promise<T[]>;
  /** Closes the store and removes what the run created (temp file, fresh schema) unless `keep`. */
  close(): Promise<void>;
}

/**
 * Opens (and migrates) the bench database. Adapters load lazily, so a SQLite run never loads pg.
 *
 * @example const opened = await openBenchDb(benchDbFor(undefined), { synchronous: 'FULL' });
 */
export async function openBenchDb(
  db: BenchDb,
  options: { synchronous: 'FULL' | 'NORMAL'; keep: boolean; poolSize?: number },
): Promise<OpenedBenchDb> {
  const remove = db.temporary && !options.keep;
  if (db.kind === 'sqlite') {
    const { openSqliteStore } = await import('@flashsale/adapter-sqlite');
    const store = openSqliteStore({ filename: db.filename, synchronous: options.synchronous });
    return {
      db,
      store,
      query: async <T>(sql: string, _pg: string, params: unknown[]) => store.db.prepare(sql).all(...params) as T[],
      close: async () => {
        await store.close();
        if (remove) rmSync(dirname(db.filename), { recursive: true, force: true });
      },
    };
  }
  const { openPostgresStore } = await import('@flashsale/adapter-postgres');
  const store = await openPostgresStore({
    connectionString: db.connectionString,
    schema: db.schema,
    applicationName: 'flashsale-bench',
    ...(options.poolSize === undefined ? {} : { poolSize: options.poolSize }),
  });
  return {
    db,
    store,
    query: async <T>(_sqlite: string, sql: string, params: unknown[]) => (await store.pool.query(sql, params)).rows as T[],
    close: async () => {
      try {
        // Only a schema this run named itself is dropped: a generated name, which needs no quoting.
        if (remove) await store.pool.query(`DROP SCHEMA IF EXISTS ${db.schema} CASCADE`);
      } finally {
        await store.close();
      }
    },
  };
}
