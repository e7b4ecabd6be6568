import { createFlashSale } from '@flashsale/core';
import pg from 'pg';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openPostgresStore } from '../src/index.js';
import { dropSchema, endAdminPool, freshSchemaName, openConnections, PG_URL } from './support/test-database.js';

describe.skipIf(!PG_URL)('postgres on a pool the app owns', () => {
  let pool: pg.Pool;
  let appName: string;
  const schemas: string[] = [];
  beforeEach(() => {
    appName = freshSchemaName();
    // One connection: every store and the app share it, the hardest case for leaked settings.
    pool = new pg.Pool({ connectionString: PG_URL, max: 1, application_name: appName });
  });
  afterEach(async () => {
    await pool.end();
    expect(await openConnections(appName)).toBe(0);
    for (const schema of schemas.splice(0)) await dropSchema(schema);
  });
  afterAll(endAdminPool);

  it('leaves the pool open and its session settings untouched', async () => {
    const schema = freshSchemaName();
    schemas.push(schema);
    const before = (await pool.query('SELECT current_setting($1) AS path, current_setting($2) AS lock', ['search_path', 'lock_timeout'])).rows[0];
    const store = await openPostgresStore({ pool, schema });
    const sale = createFlashSale({ store });
    const { id } = await sale.createProduct({ name: 'Sneaker', price: '10.00', stock: 3 });
    const hold = await sale.createHold({ productId: id, qty: 2 });
    await sale.createOrder({ holdId: hold.holdId, token: hold.token });
    await sale.close();

    const after = (await pool.query('SELECT current_setting($1) AS path, current_setting($2) AS lock', ['search_path', 'lock_timeout'])).rows[0];
    expect(after).toEqual(before);
    expect(pool.totalCount).toBe(1);
    // The tables went into the named schema, not onto the app's search path.
    const { rows } = await pool.query('SELECT table_schema FROM information_schema.tables WHERE table_name = $1 AND table_schema = ANY($2)', [
      'holds',
      [schema, 'public'],
    ]);
    expect(rows.map((r) => r.table_schema as string).includes(schema)).toBe(true);
  });

  it('keeps two stores in two schemas apart, even on one shared connection', async () => {
    const [first, second] = [freshSchemaName(), freshSchemaName()];
    schemas.push(first, second);
    const a = createFlashSale({ store: await openPostgresStore({ pool, schema: first }) });
    const b = createFlashSale({ store: await openPostgresStore({ pool, schema: second }) });
    const pa = await a.createProduct({ name: 'In A', price: '1.00', stock: 1 });
    const pb = await b.createProduct({ name: 'In B', price: '2.00', stock: 2 });
    expect([pa.id, pb.id]).toEqual([1, 1]);
    // Interleaved on one connection: each store's prepared statements must stay on its own schema.
    for (let i = 0; i < 3; i++) {
      expect((await a.getProduct(1)).name).toBe('In A');
      expect((await b.getProduct(1)).name).toBe('In B');
    }
    await a.createHold({ productId: 1, qty: 1 });
    await expect(b.createHold({ productId: 1, qty: 2 })).resolves.toMatchObject({ qty: 2 });
    expect((await a.getProduct(1)).availableStock).toBe(0);
    expect((await b.getProduct(1)).availableStock).toBe(0);
    await a.close();
    await b.close();
  });
});
