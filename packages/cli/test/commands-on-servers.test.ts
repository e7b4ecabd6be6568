import type { MysqlStore } from '@flashsale/adapter-mysql';
import type { PostgresStore } from '@flashsale/adapter-postgres';
import { createFlashSale, type FlashSaleStore } from '@flashsale/core';
import { afterEach, describe, expect, it } from 'vitest';
import { openStore, parseDbTarget } from '../src/open-store.js';
import { runCli } from './helpers/cli-process.js';
import { DATABASE_KINDS, type TestDatabase } from './helpers/databases.js';

/**
 * Every one-shot command against each database server that is configured (PostgreSQL, MySQL),
 * each test on a schema or database of its own, as real processes. (`serve` on them is in
 * serve-e2e, serve-workers and server-outage.)
 */
const SERVERS = DATABASE_KINDS.filter((k) => k.kind !== 'sqlite');
// With none configured, one skipped case says so (a file without tests would fail the run).
const CASES: { kind: string; fresh: () => TestDatabase }[] = SERVERS.length > 0 ? SERVERS : [{ kind: 'none configured', fresh: () => ({ kind: 'sqlite', db: '', dispose: async () => {} }) }];

/** Raw SQL on the store's own connection, whose default schema or database is the test's. */
async function rawSql(store: FlashSaleStore, text: string): Promise<unknown[]> {
  if (store.kind === 'postgres') return (await (store as PostgresStore).pool.query(text)).rows;
  return (await (store as MysqlStore).pool.query(text))[0] as unknown[];
}

describe.skipIf(SERVERS.length === 0).each(CASES)('commands on $kind', ({ fresh }) => {
  const databases: TestDatabase[] = [];
  afterEach(async () => {
    for (const database of databases.splice(0)) await database.dispose();
  });

  function freshDatabase(): TestDatabase {
    const database = fresh();
    databases.push(database);
    return database;
  }

  /** The engine on the same database, in this process (as the CLI opens it): to set up what no command creates. */
  async function withEngine<T>(database: TestDatabase, work: (sale: ReturnType<typeof createFlashSale>, store: FlashSaleStore) => Promise<T>, clock?: () => number): Promise<T> {
    const store = await openStore(parseDbTarget(database.db), { poolSize: 1 });
    const sale = createFlashSale({ store, ...(clock ? { clock } : {}) });
    try {
      return await work(sale, store);
    } finally {
      await sale.close();
    }
  }

  it('migrate creates the database from --db or DATABASE_URL, again changes nothing, and never prints a password', async () => {
    const database = freshDatabase();
    const first = await runCli(['migrate', '--db', database.db]);
    expect(first).toMatchObject({ code: 0, stdout: `database ready: ${database.db}\n`, stderr: '' });
    const again = await runCli(['migrate', '--json'], { env: { DATABASE_URL: database.db } });
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout)).toEqual({ ok: true, db: database.db });
    const [versions] = (await withEngine(database, (_sale, store) => rawSql(store, 'SELECT COUNT(*) AS n FROM flashsale_migrations'))) as { n: number | string }[];
    expect(Number(versions!.n)).toBeGreaterThan(0);

    // The test servers need no password (PostgreSQL trusts it, MySQL's root refuses one): either
    // way the database is named with the password masked, and never shown.
    const url = new URL(database.db);
    url.password = 'never-printed-pw';
    const withPassword = url.toString();
    url.password = '***';
    const masked = await runCli(['migrate', '--db', withPassword]);
    expect(masked.stdout + masked.stderr).toContain(url.toString());
    expect(masked.stdout + masked.stderr).not.toContain('never-printed-pw');
  });

  it('seed creates the demo product once, then reports it is already there', async () => {
    const database = freshDatabase();
    const first = await runCli(['seed', '--db', database.db, '--json']);
    expect(first.code).toBe(0);
    expect(JSON.parse(first.stdout)).toEqual({ seeded: true, product: { id: 1, name: 'Limited Edition Product', price: '99.99', available_stock: 50, sale_starts_at: null, sale_ends_at: null, max_per_buyer: null, sale_status: 'live' } });
    const second = await runCli(['seed'], { env: { DATABASE_URL: database.db } });
    expect(second).toMatchObject({ code: 0, stdout: 'nothing to seed: the database already has product 1: "Limited Edition Product", price 99.99, available stock 50\n' });
  });

  it('products:create and restock change the stock, and verify counts the restock', async () => {
    const database = freshDatabase();
    const created = await runCli(['products:create', '--db', database.db, '--name', 'Sneaker', '--price', '129', '--stock', '500', '--json']);
    expect(created.code).toBe(0);
    expect(JSON.parse(created.stdout)).toEqual({ id: 1, name: 'Sneaker', price: '129.00', available_stock: 500, sale_starts_at: null, sale_ends_at: null, max_per_buyer: null, sale_status: 'live' });
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
    const database = freshDatabase();
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
    expect(JSON.parse(released.stdout)).toEqual({ holds: 3, orders: 0, units: 6, purged_idempotency: 0, purged_events: 0 });
    const again = await runCli(['holds:release', '--db', database.db, '--json']);
    expect(JSON.parse(again.stdout)).toEqual({ holds: 0, orders: 0, units: 0, purged_idempotency: 0, purged_events: 0 });
    expect(await withEngine(database, (sale) => sale.getProduct(productId))).toMatchObject({ availableStock: 9 });
  });

  it('verify exits 1 and names the product when the table was edited behind the engine', async () => {
    const database = freshDatabase();
    await runCli(['seed', '--db', database.db]);
    expect((await runCli(['verify', '--db', database.db])).code).toBe(0);
    await withEngine(database, (_sale, store) => rawSql(store, 'UPDATE products SET available = available + 1 WHERE id = 1'));
    const verified = await runCli(['verify', '--db', database.db, '--json']);
    expect(verified.code).toBe(1);
    expect(JSON.parse(verified.stdout)).toMatchObject({ ok: false, violations: [{ rule: 'conservation', product_id: 1 }] });
  });
});
