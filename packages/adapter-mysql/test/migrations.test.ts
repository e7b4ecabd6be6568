import type { RowDataPacket } from 'mysql2/promise';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { latestVersion, migrate, openMysqlStore } from '../src/index.js';
import { splitStatements } from '../src/migrations.js';
import { adminPool, dropDatabase, endAdminPool, freshDatabaseName, MYSQL_URL, urlFor } from './support/test-database.js';

describe('migration files', () => {
  it('are split into one statement per query at the semicolons that end a line, comment lines dropped', () => {
    const text = '-- a comment; with a semicolon;\nCREATE TABLE a (\n  -- inside;\n  x INT\n);\n\nCREATE TABLE b (y INT);  \n';
    expect(splitStatements(text)).toEqual(['CREATE TABLE a (\n  x INT\n)', 'CREATE TABLE b (y INT)']);
  });
});

describe.skipIf(!MYSQL_URL)('mysql migrations', () => {
  const databases: string[] = [];
  const fresh = () => {
    const database = freshDatabaseName();
    databases.push(database);
    return database;
  };
  afterEach(async () => {
    for (const database of databases.splice(0)) await dropDatabase(database);
  });
  afterAll(endAdminPool);

  const versions = async (database: string) =>
    (await adminPool().query<RowDataPacket[]>(`SELECT version FROM \`${database}\`.flashsale_migrations ORDER BY version`))[0].map((r) => r.version as number);

  it('creates the database (utf8mb4, binary collation), applies every migration in order, and records each', async () => {
    const database = fresh();
    const result = await migrate({ uri: urlFor(database) });
    const all = Array.from({ length: latestVersion() }, (_, i) => i + 1);
    expect(result).toEqual({ database, applied: all, version: latestVersion() });
    expect(await versions(database)).toEqual(all);
    const [tables] = await adminPool().query<RowDataPacket[]>(
      'SELECT TABLE_NAME AS name, ENGINE AS engine FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? ORDER BY TABLE_NAME',
      [database],
    );
    expect(tables.map((t) => t.name as string)).toEqual(['flashsale_migrations', 'holds', 'idempotency_records', 'merchant_events', 'merchant_event_cursor', 'merchant_event_deliveries', 'merchant_event_sinks', 'orders', 'products']);
    expect(new Set(tables.map((t) => t.engine as string))).toEqual(new Set(['InnoDB']));
    const [schema] = await adminPool().query<RowDataPacket[]>('SELECT DEFAULT_CHARACTER_SET_NAME AS cs, DEFAULT_COLLATION_NAME AS co FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?', [database]);
    expect(schema[0]).toEqual({ cs: 'utf8mb4', co: 'utf8mb4_bin' });
  });

  it('applies nothing the second time', async () => {
    const database = fresh();
    await migrate({ uri: urlFor(database) });
    expect(await migrate({ uri: urlFor(database) })).toEqual({ database, applied: [], version: latestVersion() });
  });

  it('finishes a migration that stopped half-way: its statements run again, and it is recorded once', async () => {
    const database = fresh();
    await migrate({ uri: urlFor(database) });
    // As if the last run died after some of 000001's tables but before its version row.
    await adminPool().query(`DELETE FROM \`${database}\`.flashsale_migrations`);
    await adminPool().query(`DROP TABLE \`${database}\`.idempotency_records`);
    expect(await migrate({ uri: urlFor(database) })).toMatchObject({ applied: Array.from({ length: latestVersion() }, (_, i) => i + 1) });
    expect(await versions(database)).toEqual(Array.from({ length: latestVersion() }, (_, i) => i + 1));
    const [tables] = await adminPool().query<RowDataPacket[]>('SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?', [database, 'idempotency_records']);
    expect(tables).toHaveLength(1);
  });

  it('refuses a database migrated by a newer version of the package, and changes nothing', async () => {
    const database = fresh();
    await migrate({ uri: urlFor(database) });
    const future = latestVersion() + 1;
    await adminPool().query(`INSERT INTO \`${database}\`.flashsale_migrations (version, file) VALUES (?, 'future.sql')`, [future]);
    await expect(openMysqlStore({ uri: urlFor(database) })).rejects.toThrow(/newer than this/);
    expect((await versions(database)).at(-1)).toBe(future);
  });

  it('waits for another migrator holding the lock, then migrates', async () => {
    const database = fresh();
    const holder = await adminPool().getConnection();
    try {
      await holder.query('SELECT GET_LOCK(?, 1)', [`flashsale_migrate:${database}`]);
      const waiting = migrate({ uri: urlFor(database) });
      await new Promise((resolve) => setTimeout(resolve, 300));
      // Still waiting: nothing created yet.
      const [before] = await adminPool().query<RowDataPacket[]>('SELECT 1 FROM information_schema.TABLES WHERE TABLE_SCHEMA = ?', [database]);
      expect(before).toHaveLength(0);
      await holder.query('SELECT RELEASE_LOCK(?)', [`flashsale_migrate:${database}`]);
      await expect(waiting).resolves.toMatchObject({ applied: Array.from({ length: latestVersion() }, (_, i) => i + 1) });
    } finally {
      holder.release();
    }
  });

  it('refuses a database name that would need quoting, before touching the server', async () => {
    await expect(migrate({ uri: urlFor('Robert`; DROP TABLE x; --') })).rejects.toThrow(RangeError);
    await expect(openMysqlStore({ uri: urlFor('has-dash') })).rejects.toThrow(RangeError);
    await expect(openMysqlStore({ uri: 'mysql://root@127.0.0.1:3306/' })).rejects.toThrow(/names no database/);
    await expect(openMysqlStore({ uri: `${urlFor('ok_name')}?multipleStatements=true` })).rejects.toThrow(/not supported/);
  });
});
