import { openPostgresStore } from '@flashsale/adapter-postgres';
import { createFlashSale } from '@flashsale/core';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli } from './helpers/cli-process.js';
import { freshPostgres, PG_URL, type TestDatabase } from './helpers/databases.js';

/**
 * Every one-shot command against PostgreSQL, each test in a schema of its own, as real processes.
 * (`serve` on PostgreSQL is in serve-e2e, serve-workers and postgres-outage.)
 */
describe.skipIf(!PG_URL)('commands on PostgreSQL', () => {
  const databases: (TestDatabase & { schema: string })[] = [];
  afterEach(async () => {
    for (const database of databases.splice(0)) await database.dispose();
  });

  /** A fresh schema; its URL carries a password, which trust authentication ignores and no output may show. */
  function freshSchema() {
    const url = new URL(PG_URL!);
    url.password = 'never-printed-pw';
    const database = freshPostgres(url.toString());
    databases.push(database);
    return database;
  }

  /** The engine on the same schema, in this process: to set up what no command creates. */
  async function withEngine<T>(database: { schema: string }, work: (sale: ReturnType<typeof createFlashSale>) => Promise<T>, clock?: () => number): Promise<T> {
    const store = await openPostgresStore({ connectionString: PG_URL!, schema: database.schema, poolSize: 1 });
    const sale = createFlashSale({ store, ...(clock ? { clock } : {}) });
    try {
      return await work(sale);
    } finally {
      await sale.close();
    }
  }

  /** Raw SQL on the test database, for checking and tampering behind the engine's back. */
  async function sql<Row extends object>(text: string): Promise<Row[]> {
    const store = await openPostgresStore({ connectionString: PG_URL!, poolSize: 1, migrate: false });
    try {
      return (await store.pool.query<Row>(text)).rows;
    } finally {
      await store.close();
    }
  }

  it('migrate creates the schema from --db or DATABASE_URL, again changes nothing, and never prints the password', async () => {
    const database = freshSchema();
    const shown = `postgres://${new URL(PG_URL!).username}:***@${new URL(PG_URL!).host}${new URL(PG_URL!).pathname}?schema=${database.schema}`;
    const first = await runCli(['migrate', '--db', database.db]);
    expect(first).toMatchObject({ code: 0, stdout: `database ready: ${shown}\n`, stderr: '' });
    const again = await runCli(['migrate', '--json'], { env: { DATABASE_URL: database.db } });
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout)).toEqual({ ok: true, db: shown });
    expect(first.stdout + again.stdout + again.stderr).not.toContain('never-printed-pw');

    const [versions] = await sql<{ n: number }>(`SELECT count(*)::int AS n FROM "${database.schema}".flashsale_migrations`);
    expect(versions!.n).toBeGreaterThan(0);
  });

  it('seed creates the demo product once, then reports it is already there', async () => {
    const database = freshSchema();
    const first = await runCli(['seed', '--db', database.db, '--json']);
    expect(first.code).toBe(0);
    expect(JSON.parse(first.stdout)).toEqual({ seeded: true, product: { id: 1, name: 'Limited Edition Product', price: '99.99', available_stock: 50 } });
    const second = await runCli(['seed'], { env: { DATABASE_URL: database.db } });
    expect(second).toMatchObject({ code: 0, stdout: 'nothing to seed: the database already has product 1: "Limited Edition Product", price 99.99, available stock 50\n' });
  });

  it('products:create and restock change the stock, and verify counts the restock', async () => {
    const database = freshSchema();
    const created = await runCli(['products:create', '--db', database.db, '--name', 'Sneaker', '--price', '129', '--stock', '500', '--json']);
    expect(created.code).toBe(0);
    expect(JSON.parse(created.stdout)).toEqual({ id: 1, name: 'Sneaker', price: '129.00', available_stock: 500 });
    const restocked = await runCli(['restock', '--db', database.db, '--product', '1', '--qty', '25']);
    expect(restocked).toMatchObject({ code: 0, stdout: 'restocked +25: product 1: "Sneaker", price 129.00, available stock 525\n' });
    const unknown = await runCli(['restock', '--db', database.db, '--product', '9', '--qty', '1']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/^error: .*\(product_not_found\)\n$/);
    const verified = await runCli(['verify', '--db', database.db, '--json']);
    expect(verified.code).toBe(0);
    expect(JSON.parse(verified.stdout)).toEqual({ ok: true, products: 1, violations: [] });
  });

  it('holds:release gives back exactly the holds past their expiry, once', async () => {
    const database = freshSchema();
    await runCli(['migrate', '--db', database.db]);
    // Holds taken "ten minutes ago" by an engine with a clock in the past: expired by now.
    const productId = await withEngine(
      database,
      async (sale) => {
        const product = await sale.createProduct({ name: 'Cap', price: '5', stock: 10 });
        for (const qty of [1, 2, 3]) await sale.createHold({ productId: product.id, qty });
        return product.id;
      },
      () => Date.now() - 600_000,
    );
    await withEngine(database, (sale) => sale.createHold({ productId, qty: 1 }));

    const released = await runCli(['holds:release', '--db', database.db, '--json']);
    expect(released).toMatchObject({ code: 0, stderr: '' });
    expect(JSON.parse(released.stdout)).toEqual({ holds: 3, orders: 0, units: 6, purged_idempotency: 0 });
    const again = await runCli(['holds:release', '--db', database.db, '--json']);
    expect(JSON.parse(again.stdout)).toEqual({ holds: 0, orders: 0, units: 0, purged_idempotency: 0 });
    expect(await withEngine(database, (sale) => sale.getProduct(productId))).toMatchObject({ availableStock: 9 });
  });

  it('verify exits 1 and names the product when the table was edited behind the engine', async () => {
    const database = freshSchema();
    await runCli(['seed', '--db', database.db]);
    expect((await runCli(['verify', '--db', database.db])).code).toBe(0);
    await sql(`UPDATE "${database.schema}".products SET available = available + 1 WHERE id = 1`);
    const verified = await runCli(['verify', '--db', database.db, '--json']);
    expect(verified.code).toBe(1);
    expect(JSON.parse(verified.stdout)).toMatchObject({ ok: false, violations: [{ rule: 'conservation', product_id: 1 }] });
  });
});
