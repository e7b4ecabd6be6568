import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The PostgreSQL the tests may create schemas in; unset means the PostgreSQL cases do not run. */
export const PG_URL = process.env.FLASHSALE_TEST_PG_URL || undefined;

if (!PG_URL) {
  console.warn('cli: PostgreSQL cases not run: set FLASHSALE_TEST_PG_URL (e.g. postgres://postgres@127.0.0.1:5432/test) to run them.');
}

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
      const { openPostgresStore } = await import('@flashsale/adapter-postgres');
      const store = await openPostgresStore({ connectionString: url, migrate: false, poolSize: 1 });
      try {
        await store.pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      } finally {
        await store.close();
      }
    },
  };
}

/** SQLite always; PostgreSQL too when FLASHSALE_TEST_PG_URL is set. */
export const DATABASE_KINDS: { kind: TestDatabase['kind']; fresh: () => TestDatabase }[] = [
  { kind: 'sqlite', fresh: freshSqlite },
  ...(PG_URL ? [{ kind: 'postgres' as const, fresh: () => freshPostgres(PG_URL) }] : []),
];
