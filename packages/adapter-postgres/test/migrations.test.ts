import pg from 'pg';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { latestVersion, migrate, openPostgresStore } from '../src/index.js';
import { adminPool, dropSchema, endAdminPool, freshSchemaName, PG_URL } from './support/test-database.js';

describe.skipIf(!PG_URL)('postgres migrations', () => {
  const schemas: string[] = [];
  const fresh = () => {
    const schema = freshSchemaName();
    schemas.push(schema);
    return schema;
  };
  afterEach(async () => {
    for (const schema of schemas.splice(0)) await dropSchema(schema);
  });
  afterAll(endAdminPool);

  const versions = async (schema: string) =>
    (await adminPool().query<{ version: number }>(`SELECT version FROM ${pg.escapeIdentifier(schema)}.flashsale_migrations ORDER BY version`)).rows.map(
      (r) => r.version,
    );

  it('creates the schema, applies every migration in order, and records each', async () => {
    const schema = fresh();
    const result = await migrate({ connectionString: PG_URL, schema });
    const all = Array.from({ length: latestVersion() }, (_, i) => i + 1);
    expect(result).toEqual({ schema, applied: all, version: latestVersion() });
    expect(await versions(schema)).toEqual(all);
    const { rows } = await adminPool().query('SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY table_name', [schema]);
    expect(rows.map((r) => r.table_name as string)).toEqual(['flashsale_migrations', 'holds', 'idempotency_records', 'orders', 'products']);
  });

  it('applies nothing the second time', async () => {
    const schema = fresh();
    await migrate({ connectionString: PG_URL, schema });
    expect(await migrate({ connectionString: PG_URL, schema })).toEqual({ schema, applied: [], version: latestVersion() });
  });

  it('refuses a schema migrated by a newer version of the package, and changes nothing', async () => {
    const schema = fresh();
    await migrate({ connectionString: PG_URL, schema });
    const future = latestVersion() + 1;
    await adminPool().query(`INSERT INTO ${pg.escapeIdentifier(schema)}.flashsale_migrations (version, file) VALUES ($1, 'future.sql')`, [future]);
    await expect(openPostgresStore({ connectionString: PG_URL, schema })).rejects.toThrow(/newer than this/);
    expect((await versions(schema)).at(-1)).toBe(future);
  });

  it('refuses a schema name that would need quoting, before touching the database', async () => {
    await expect(migrate({ connectionString: PG_URL, schema: 'Robert"; DROP TABLE x; --' })).rejects.toThrow(RangeError);
    await expect(openPostgresStore({ connectionString: PG_URL, schema: 'Has-Dash' })).rejects.toThrow(RangeError);
  });
});
