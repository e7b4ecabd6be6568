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

const CLI_DIR = fileURLToPath(new URL('../../', import.meta.url));

/** A database the CLI processes of one test share, and how to throw it away. */
export interface TestDatabase {
  kind: 'sqlite' | 'postgres';
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

/** SQLite always; PostgreSQL too when FLASHSALE_TEST_PG_URL is set. */
export const DATABASE_KINDS: { kind: TestDatabase['kind']; fresh: () => TestDatabase }[] = [
  { kind: 'sqlite', fresh: freshSqlite },
  ...(PG_URL ? [{ kind: 'postgres' as const, fresh: () => freshPostgres(PG_URL) }] : []),
];
