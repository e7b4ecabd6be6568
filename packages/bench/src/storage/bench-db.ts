import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { FlashSaleStore } from '@flashsale/core';
import type { BenchDatabase } from '../options.js';

/** The database of one run, and whether the run made it (so removes it afterwards). */
type BenchDb =
  | { kind: 'sqlite'; filename: string; temporary: boolean }
  | { kind: 'postgres'; connectionString: string; schema: string; temporary: boolean }
  | { kind: 'mysql'; uri: string; database: string; temporary: boolean };

/**
 * The database of a run. None given: a fresh SQLite file in a temp directory. PostgreSQL: a fresh
 * schema `flashsale_bench_<random>` unless one is named. MySQL: a fresh database of that name on
 * the URL's server, unless the run stampedes a running `target` (then the URL's database is the
 * target's). Runs never mix rows with each other or with a real sale.
 *
 * @example benchDbFor({ kind: 'postgres', connectionString: 'postgres://postgres@127.0.0.1/test' }).temporary // true
 */
export function benchDbFor(database: BenchDatabase | undefined, options: { target?: boolean } = {}): BenchDb {
  if (database === undefined) {
    const dir = mkdtempSync(join(tmpdir(), 'flashsale-bench-'));
    return { kind: 'sqlite', filename: join(dir, 'bench.db'), temporary: true };
  }
  if (database.kind === 'mysql') {
    if (options.target) return { kind: 'mysql', uri: database.uri, database: database.database, temporary: false };
    const url = new URL(database.uri);
    url.pathname = `/${freshName()}`;
    return { kind: 'mysql', uri: url.toString(), database: url.pathname.slice(1), temporary: true };
  }
  if (database.kind === 'postgres') {
    const schema = database.schema ?? freshName();
    return { kind: 'postgres', connectionString: database.connectionString, schema, temporary: database.schema === undefined };
  }
  if (database.filename === ':memory:') throw new RangeError('--db :memory: cannot be shared with a server process: give a file path');
  return { kind: 'sqlite', filename: database.filename, temporary: false };
}

/** A name no other run uses: `flashsale_bench_<time>_<random>`, which needs no quoting. */
function freshName(): string {
  return `flashsale_bench_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
}

/** The `--db` string for a server process (the CLI's `?schema=` convention for PostgreSQL). */
export function dbArgument(db: BenchDb): string {
  if (db.kind === 'sqlite') return db.filename;
  if (db.kind === 'mysql') return db.uri;
  const url = new URL(db.connectionString);
  url.searchParams.set('schema', db.schema);
  return url.toString();
}

/** A printable name for reports, with any password replaced by `***`. */
export function describeBenchDb(db: BenchDb): string {
  if (db.kind === 'sqlite') return `sqlite ${db.filename}`;
  const url = new URL(db.kind === 'mysql' ? db.uri : db.connectionString);
  if (url.password !== '') url.password = '***';
  return db.kind === 'mysql' ? `mysql ${url.host} database ${db.database}` : `postgres ${url.host}${url.pathname} schema ${db.schema}`;
}

/** A store on the bench database plus the raw SQL access the audit and the baselines need. */
export interface OpenedBenchDb {
  db: BenchDb;
  store: FlashSaleStore;
  /** Runs a query and returns its rows: `sql` (`?` placeholders) on SQLite and MySQL, `postgres` (`$n`) on PostgreSQL. */
  query<T>(sql: string, postgres: string, params: unknown[]): Promise<T[]>;
  /** Closes the store and removes what the run created (temp file, fresh schema) unless `keep`. */
  close(): Promise<void>;
}

/**
 * Opens (and migrates) the bench database. Adapters load lazily, so a SQLite run never loads a network driver.
 *
 * @example const opened = await openBenchDb(benchDbFor(undefined), { synchronous: 'FULL' });
 */
export async function openBenchDb(
  db: BenchDb,
  options: { synchronous: 'FULL' | 'NORMAL'; keep: boolean; poolSize?: number; groupCommit?: boolean },
): Promise<OpenedBenchDb> {
  const remove = db.temporary && !options.keep;
  if (db.kind === 'sqlite') {
    const { openSqliteStore } = await import('@flashsale/adapter-sqlite');
    const store = openSqliteStore({ filename: db.filename, synchronous: options.synchronous, groupCommit: options.groupCommit ?? true });
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
  if (db.kind === 'mysql') {
    const { openMysqlStore } = await import('@flashsale/adapter-mysql');
    const store = await openMysqlStore({ uri: db.uri, groupCommit: options.groupCommit ?? true, ...(options.poolSize === undefined ? {} : { poolSize: options.poolSize }) });
    return {
      db,
      store,
      query: async <T>(sql: string, _pg: string, params: unknown[]) => (await store.pool.query(sql, params))[0] as T[],
      close: async () => {
        try {
          // Only a database this run named itself is dropped: a generated name, which needs no quoting.
          if (remove) await store.pool.query(`DROP DATABASE IF EXISTS \`${db.database}\``);
        } finally {
          await store.close();
        }
      },
    };
  }
  const { openPostgresStore } = await import('@flashsale/adapter-postgres');
  const store = await openPostgresStore({
    connectionString: db.connectionString,
    schema: db.schema,
    applicationName: 'flashsale-bench',
    groupCommit: options.groupCommit ?? true,
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
