import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

/** The PostgreSQL the tests may create schemas in; unset means the PostgreSQL cases do not run. */
export const PG_URL = process.env.FLASHSALE_TEST_PG_URL || undefined;

if (!PG_URL) {
  console.warn('cli: PostgreSQL cases not run: set FLASHSALE_TEST_PG_URL (e.g. postgres://postgres@127.0.0.1:5432/test) to run them.');
}

/** The MySQL or MariaDB server the tests may create databases on; unset means the MySQL cases do not run. */
export const MYSQL_URL = process.env.FLASHSALE_TEST_MYSQL_URL || undefined;

if (!MYSQL_URL) {
  console.warn('cli: MySQL cases not run: set FLASHSALE_TEST_MYSQL_URL (e.g. mysql://root@127.0.0.1:3306/test) to run them.');
}

const CLI_DIR = fileURLToPath(new URL('../../', import.meta.url));

/** A database the CLI processes of one test share, and how to throw it away. */
export interface TestDatabase {
  kind: 'sqlite' | 'postgres' | 'mysql';
  /** The `--db` value. */
  db: string;
  dispose(): Promise<void>;
}

/** A fresh SQLite file in a temp directory. */
export function freshSqlite(): TestDatabase & { file: string } {
  const dir = mkdtempSync(join(tmpdir(), 'flashsale-cli-'));
  const file = join(dir, 'flashsale.db');
  return { kind: 'sqlite', db: file, file, dispose: async () => rmSync(dir, { recursive: true, force: true }) };
}

/** A fresh schema on the test PostgreSQL, dropped by `dispose`. */
export function freshPostgres(url: string): TestDatabase & { schema: string } {
  const schema = `fs_cli_${randomBytes(6).toString('hex')}`;
  const db = new URL(url);
  db.searchParams.set('schema', schema);
  return {
    kind: 'postgres',
    db: db.toString(),
    schema,
    async dispose() {
      // In a child process, like every other database access of these tests: pg is then loaded
      // by plain Node, whatever resolve conditions the test runner's workers use.
      const script = [
        "import { openPostgresStore } from '@flashsale/adapter-postgres';",
        'const store = await openPostgresStore({ connectionString: process.env.PG_URL, migrate: false, poolSize: 1 });',
        'try { await store.pool.query(`DROP SCHEMA IF EXISTS "${process.env.PG_SCHEMA}" CASCADE`); } finally { await store.close(); }',
      ].join('\n');
      await promisify(execFile)(process.execPath, ['--conditions=@flashsale/source', '--import', 'tsx', '--input-type=module', '-e', script], {
        cwd: CLI_DIR,
        env: { ...process.env, PG_URL: url, PG_SCHEMA: schema },
      });
    },
  };
}

/** A fresh database on the test MySQL server (created by the first command's migrations), dropped by `dispose`. */
export function freshMysql(url: string): TestDatabase & { database: string } {
  const database = `fs_cli_${randomBytes(6).toString('hex')}`;
  const db = new URL(url);
  db.pathname = `/${database}`;
  return {
    kind: 'mysql',
    db: db.toString(),
    database,
    async dispose() {
      if (process.env.FLASHSALE_TEST_MYSQL_KEEP === '1') return;
      // In a child process, like every other database access of these tests.
      const script = [
        "import { openMysqlStore } from '@flashsale/adapter-mysql';",
        'const store = await openMysqlStore({ uri: process.env.MYSQL_URL, migrate: false, poolSize: 1 });',
        'try { await store.pool.query(`DROP DATABASE IF EXISTS \\`${process.env.MYSQL_DATABASE}\\``); } finally { await store.close(); }',
      ].join('\n');
      await promisify(execFile)(process.execPath, ['--conditions=@flashsale/source', '--import', 'tsx', '--input-type=module', '-e', script], {
        cwd: CLI_DIR,
        env: { ...process.env, MYSQL_URL: url, MYSQL_DATABASE: database },
      });
    },
  };
}

/** SQLite always; PostgreSQL and MySQL too when FLASHSALE_TEST_PG_URL and FLASHSALE_TEST_MYSQL_URL are set. */
export const DATABASE_KINDS: { kind: TestDatabase['kind']; fresh: () => TestDatabase }[] = [
  { kind: 'sqlite', fresh: freshSqlite },
  ...(PG_URL ? [{ kind: 'postgres' as const, fresh: () => freshPostgres(PG_URL) }] : []),
  ...(MYSQL_URL ? [{ kind: 'mysql' as const, fresh: () => freshMysql(MYSQL_URL) }] : []),
];
