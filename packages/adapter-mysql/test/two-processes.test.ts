import { createFlashSale } from '@flashsale/core';
import type { RowDataPacket } from 'mysql2/promise';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { latestVersion, type MigrateResult } from '../src/index.js';
import { startWorker } from './support/child-process.js';
import { adminPool, closeTestStore, dropDatabase, endAdminPool, freshDatabaseName, MYSQL_URL, openConnections, openTestStore, urlFor } from './support/test-database.js';

describe.skipIf(!MYSQL_URL)('mysql across separate processes', () => {
  const databases: string[] = [];
  afterEach(async () => {
    for (const database of databases.splice(0)) {
      expect(await openConnections(database), `connections left open on ${database}`).toBe(0);
      await dropDatabase(database);
    }
  });
  afterAll(endAdminPool);

  it('grants exactly the stock when two processes race holds on one product', async () => {
    const store = await openTestStore();
    databases.push(store.database);
    const setup = createFlashSale({ store });
    const { id } = await setup.createProduct({ name: 'Hot sneaker', price: '120.00', stock: 600 });

    const workers = [0, 1].map(() => startWorker('race-holds.ts', [urlFor(store.database), String(id), '400']));
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
    // Every hold id a process was given names a hold of that product in the database.
    const [rows] = await adminPool().query<RowDataPacket[]>(`SELECT id FROM \`${store.database}\`.holds WHERE product_id = ? AND qty = 1 AND status = 'active' ORDER BY id`, [id]);
    expect(rows.map((r) => Number(r.id))).toEqual([...a!.holdIds, ...b!.holdIds].sort((x, y) => x - y));
    expect(await setup.verify()).toEqual({ ok: true, products: 1, violations: [] });
    await closeTestStore(store, { keepDatabase: true });
  }, 60_000);

  it('applies each migration once when two processes migrate a fresh database at the same moment', async () => {
    const database = freshDatabaseName();
    databases.push(database);
    const workers = [0, 1].map(() => startWorker('migrate.ts', [urlFor(database)]));
    await Promise.all(workers.map((w) => w.ready));
    workers.forEach((w) => w.go());
    const results = (await Promise.all(workers.map((w) => w.result))) as MigrateResult[];

    const all = Array.from({ length: latestVersion() }, (_, i) => i + 1);
    expect(results.map((r) => r.version)).toEqual([latestVersion(), latestVersion()]);
    expect(results.flatMap((r) => r.applied).sort((x, y) => x - y)).toEqual(all);
    const [rows] = await adminPool().query<RowDataPacket[]>(`SELECT version FROM \`${database}\`.flashsale_migrations ORDER BY version`);
    expect(rows.map((r) => r.version as number)).toEqual(all);
  }, 60_000);
});
