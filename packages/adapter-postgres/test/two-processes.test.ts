import { createFlashSale } from '@flashsale/core';
import pg from 'pg';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { latestVersion, type MigrateResult } from '../src/index.js';
import { loadMigrations } from '../src/migrations.js';
import { startWorker } from './support/child-process.js';
import { adminPool, closeTestStore, dropSchema, endAdminPool, freshSchemaName, openConnections, openTestStore, PG_URL } from './support/test-database.js';

describe.skipIf(!PG_URL)('postgres across separate processes', () => {
  const schemas: string[] = [];
  afterEach(async () => {
    for (const schema of schemas.splice(0)) {
      expect(await openConnections(schema), `connections left open for ${schema}`).toBe(0);
      await dropSchema(schema);
    }
  });
  afterAll(endAdminPool);

  it('grants exactly the stock when two processes race holds on one product', async () => {
    const store = await openTestStore();
    schemas.push(store.schema);
    const setup = createFlashSale({ store });
    const { id } = await setup.createProduct({ name: 'Hot sneaker', price: '120.00', stock: 600 });

    const workers = [0, 1].map(() => startWorker('race-holds.ts', [PG_URL!, store.schema, String(id), '400']));
    await Promise.all(workers.map((w) => w.ready));
    workers.forEach((w) => w.go());
    const [a, b] = (await Promise.all(workers.map((w) => w.result))) as { holdIds: number[]; refusals: string[] }[];

    expect(a!.holdIds.length + b!.holdIds.length).toBe(600);
    // Each process asks for 400 of the 600 units, so neither can sell out alone: both were granted
    // holds whichever started first, and no hold id was handed out twice.
    expect(a!.holdIds.length).toBeGreaterThanOrEqual(200);
    expect(b!.holdIds.length).toBeGreaterThanOrEqual(200);
    expect(new Set([...a!.holdIds, ...b!.holdIds]).size).toBe(600);
    expect(new Set([...a!.refusals, ...b!.refusals])).toEqual(new Set(['insufficient_stock']));
    expect((await setup.getProduct(id)).availableStock).toBe(0);
    expect(await setup.verify()).toEqual({ ok: true, products: 1, violations: [] });
    await closeTestStore(store, { keepSchema: true });
  }, 60_000);

  it('never lets one buyer past a limit of 2 when two processes each race 200 one-unit holds for it', async () => {
    const store = await openTestStore();
    schemas.push(store.schema);
    const setup = createFlashSale({ store });
    const { id } = await setup.createProduct({ name: 'Drop', price: '180.00', stock: 300, maxPerBuyer: 2 });

    const workers = [0, 1].map(() => startWorker('race-holds.ts', [PG_URL!, store.schema, String(id), '200', 'scalper']));
    await Promise.all(workers.map((w) => w.ready));
    workers.forEach((w) => w.go());
    const [a, b] = (await Promise.all(workers.map((w) => w.result))) as { holdIds: number[]; refusals: string[] }[];

    expect(a!.holdIds.length + b!.holdIds.length).toBe(2);
    expect(a!.refusals.length + b!.refusals.length).toBe(398);
    expect(new Set([...a!.refusals, ...b!.refusals])).toEqual(new Set(['buyer_limit_exceeded']));
    expect((await setup.getProduct(id)).availableStock).toBe(298);
    expect(await setup.verify()).toEqual({ ok: true, products: 1, violations: [] });
    await closeTestStore(store, { keepSchema: true });
  }, 60_000);

  it('applies each migration once when two processes migrate a fresh schema at the same moment', async () => {
    const schema = freshSchemaName();
    schemas.push(schema);
    const workers = [0, 1].map(() => startWorker('migrate.ts', [PG_URL!, schema]));
    await Promise.all(workers.map((w) => w.ready));
    workers.forEach((w) => w.go());
    const results = (await Promise.all(workers.map((w) => w.result))) as MigrateResult[];

    const all = loadMigrations().map((m) => m.version);
    expect(results.map((r) => r.version)).toEqual([latestVersion(), latestVersion()]);
    expect(results.flatMap((r) => r.applied).sort((x, y) => x - y)).toEqual(all);
    const { rows } = await adminPool().query<{ version: number }>(
      `SELECT version FROM ${pg.escapeIdentifier(schema)}.flashsale_migrations ORDER BY version`,
    );
    expect(rows.map((r) => r.version)).toEqual(all);
  }, 60_000);
});
