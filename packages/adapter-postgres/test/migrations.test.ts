import pg from 'pg';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { latestVersion, migrate, openPostgresStore } from '../src/index.js';
import { loadMigrations } from '../src/migrations.js';
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
    const all = loadMigrations().map((m) => m.version);
    expect(result).toEqual({ schema, applied: all, version: latestVersion() });
    expect(await versions(schema)).toEqual(all);
    const { rows } = await adminPool().query('SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY table_name', [schema]);
    expect(rows.map((r) => r.table_name as string)).toEqual(['flashsale_migrations', 'holds', 'idempotency_records', 'merchant_event_cursor', 'merchant_event_deliveries', 'merchant_event_sinks', 'merchant_events', 'orders', 'products']);
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

  // Hold lifecycle: migration 4 lets a hold be released.
  describe('migration 4 (hold lifecycle)', () => {
    /** A schema migrated up to `version` (and `more`), as the migrator would have left it. */
    const schemaAt = async (version: number, more: string) => {
      const schema = fresh();
      const client = await adminPool().connect();
      try {
        await client.query(`CREATE SCHEMA ${pg.escapeIdentifier(schema)}; SET search_path TO ${pg.escapeIdentifier(schema)}`);
        await client.query('CREATE TABLE flashsale_migrations (version integer PRIMARY KEY, file text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())');
        for (const migration of loadMigrations().filter((m) => m.version <= version)) {
          await client.query(migration.sql);
          await client.query('INSERT INTO flashsale_migrations (version, file) VALUES ($1, $2)', [migration.version, migration.file]);
        }
        await client.query(more);
      } finally {
        await client.query('RESET search_path');
        client.release();
      }
      return schema;
    };
    const ROWS = `
      INSERT INTO products (id, name, price_cents, initial_stock, available) VALUES (1, 'Shoe', 1000, 10, 4);
      INSERT INTO holds (id, product_id, qty, status, token_hash, created_at, expires_at) VALUES
        (1, 1, 2, 'converted', 'h1', 100, 200), (2, 1, 3, 'expired', 'h2', 110, 210), (3, 1, 4, 'active', 'h3', 120, 220);`;

    it('allows released and nothing new besides, keeping every row', async () => {
      const schema = await schemaAt(3, ROWS);
      const holds = `${pg.escapeIdentifier(schema)}.holds`;
      const before = (await adminPool().query(`SELECT * FROM ${holds} ORDER BY id`)).rows;
      expect((await migrate({ connectionString: PG_URL, schema })).applied).toEqual(loadMigrations().filter((m) => m.version > 3).map((m) => m.version));
      expect((await adminPool().query(`SELECT * FROM ${holds} ORDER BY id`)).rows).toEqual(before);
      await adminPool().query(`UPDATE ${holds} SET status = 'released' WHERE id = 3`);
      await expect(adminPool().query(`UPDATE ${holds} SET status = 'lost' WHERE id = 3`)).rejects.toThrow(/holds_status_check/);
    });

    it('keeps columns and indexes another migration added to holds', async () => {
      const schema = await schemaAt(3, `${ROWS}
        ALTER TABLE holds ADD COLUMN added_elsewhere text;
        CREATE INDEX holds_added_elsewhere_idx ON holds (product_id, added_elsewhere) WHERE status = 'active';
        UPDATE holds SET added_elsewhere = 'buyer-' || id;`);
      await migrate({ connectionString: PG_URL, schema });
      const { rows } = await adminPool().query(`SELECT id, added_elsewhere FROM ${pg.escapeIdentifier(schema)}.holds ORDER BY id`);
      expect(rows).toEqual([1, 2, 3].map((id) => ({ id: String(id), added_elsewhere: `buyer-${id}` })));
      const indexes = await adminPool().query('SELECT indexname FROM pg_indexes WHERE schemaname = $1 AND tablename = $2 ORDER BY indexname', [schema, 'holds']);
      expect(indexes.rows.map((r) => r.indexname as string)).toEqual(expect.arrayContaining(['holds_active_expiry_idx', 'holds_added_elsewhere_idx', 'holds_pkey']));
    });
  });

  it('refuses a schema name that would need quoting, before touching the database', async () => {
    await expect(migrate({ connectionString: PG_URL, schema: 'Robert"; DROP TABLE x; --' })).rejects.toThrow(RangeError);
    await expect(openPostgresStore({ connectionString: PG_URL, schema: 'Has-Dash' })).rejects.toThrow(RangeError);
  });
});
