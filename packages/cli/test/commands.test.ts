import { openSqliteStore } from '@flashsale/adapter-sqlite';
import { afterEach, describe, expect, it } from 'vitest';
import { main } from '../src/main.js';
import { runCli } from './helpers/cli-process.js';
import { freshSqlite, type TestDatabase } from './helpers/databases.js';
import { memoryIo } from './helpers/memory-io.js';

const databases: TestDatabase[] = [];
afterEach(async () => {
  for (const db of databases.splice(0)) await db.dispose();
});
function tempDb() {
  const db = freshSqlite();
  databases.push(db);
  return db;
}

/** Runs `flashsale <argv>` in this process and returns its status and output. */
async function run(argv: string[]) {
  const io = memoryIo();
  const code = await main(argv, io);
  return { code, stdout: io.out(), stderr: io.err() };
}

describe('products:create', () => {
  it('prints the new product with its id, for people and as JSON', async () => {
    const { db } = tempDb();
    const human = await run(['products:create', '--db', db, '--name', 'Sneaker', '--price', '129', '--stock', '500']);
    expect(human).toEqual({ code: 0, stdout: 'created product 1: "Sneaker", price 129.00, available stock 500\n', stderr: '' });
    const json = await run(['products:create', '--db', db, '--name', 'Cap', '--price', '19.5', '--stock', '0', '--json']);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual({ id: 2, name: 'Cap', price: '19.50', available_stock: 0 });
  });

  it('refuses a blank name with exit 1 and the engine message, without a stack trace', async () => {
    const { db } = tempDb();
    const result = await run(['products:create', '--db', db, '--name', '   ', '--price', '1', '--stock', '1']);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^error: name: .+ \(invalid_input\)\n$/);
    expect((await run(['verify', '--db', db, '--json'])).stdout).toContain('"products": 0');
  });
});

describe('seed and migrate', () => {
  it('seed creates the demo product once, then reports it is already there', async () => {
    const { db } = tempDb();
    const first = await run(['seed', '--db', db, '--json']);
    expect(first.code).toBe(0);
    expect(JSON.parse(first.stdout)).toEqual({ seeded: true, product: { id: 1, name: 'Limited Edition Product', price: '99.99', available_stock: 50 } });
    const second = await run(['seed', '--db', db]);
    expect(second.code).toBe(0);
    expect(second.stdout).toBe('nothing to seed: the database already has product 1: "Limited Edition Product", price 99.99, available stock 50\n');
    expect(JSON.parse((await run(['verify', '--db', db, '--json'])).stdout)).toMatchObject({ ok: true, products: 1 });
  });

  it('migrate creates the schema of a new file, and again changes nothing', async () => {
    const { db, file } = tempDb();
    expect(await run(['migrate', '--db', db])).toEqual({ code: 0, stdout: `database ready: sqlite ${file}\n`, stderr: '' });
    expect((await run(['migrate', '--db', `sqlite:${file}`, '--json'])).stdout).toBe(`{\n  "ok": true,\n  "db": "sqlite ${file}"\n}\n`);
    const store = openSqliteStore({ filename: file });
    const tables = store.db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").pluck().all();
    await store.close();
    expect(tables).toEqual(expect.arrayContaining(['holds', 'idempotency_records', 'orders', 'products']));
  });
});

describe('restock', () => {
  it('adds stock and prints the product', async () => {
    const { db } = tempDb();
    await run(['seed', '--db', db]);
    const result = await run(['restock', '--db', db, '--product', '1', '--qty', '25', '--json']);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ id: 1, available_stock: 75 });
    expect((await run(['restock', '--db', db, '--product', '1', '--qty', '5'])).stdout).toBe(
      'restocked +5: product 1: "Limited Edition Product", price 99.99, available stock 80\n',
    );
    expect(JSON.parse((await run(['verify', '--db', db, '--json'])).stdout)).toMatchObject({ ok: true });
  });

  it('an unknown product is exit 1 with one line', async () => {
    const { db } = tempDb();
    expect(await run(['restock', '--db', db, '--product', '999', '--qty', '1'])).toEqual({
      code: 1,
      stdout: '',
      stderr: 'error: No product has that id. (product_not_found)\n',
    });
  });
});

describe('verify', () => {
  it('exits 1 and names the violation when the database was tampered with', async () => {
    const { db, file } = tempDb();
    const created = await runCli(['products:create', '--db', db, '--name', 'Drop', '--price', '5', '--stock', '10', '--json']);
    const { id } = JSON.parse(created.stdout) as { id: number };
    expect((await runCli(['verify', '--db', db])).code).toBe(0);

    // One unit appears from nowhere: conservation no longer holds.
    const store = openSqliteStore({ filename: file });
    store.db.prepare('UPDATE products SET available = available + 1 WHERE id = ?').run(id);
    await store.close();

    const json = await runCli(['verify', '--db', db, '--json']);
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout)).toEqual({
      ok: false,
      products: 1,
      violations: [
        {
          rule: 'conservation',
          product_id: id,
          detail: 'initial 10 + restocked 0 = 10, but available 11 + held 0 + pending 0 + completed 0 = 11',
        },
      ],
    });
    const human = await runCli(['verify', '--db', db]);
    expect(human.code).toBe(1);
    expect(human.stdout).toBe(`BROKEN: 1 violation in 1 products\n  conservation (product ${id}): initial 10 + restocked 0 = 10, but available 11 + held 0 + pending 0 + completed 0 = 11\n`);
  });
});

describe('storage that cannot be opened', () => {
  it('a SQLite file in a missing directory is exit 1 with one line', async () => {
    const result = await run(['verify', '--db', '/nonexistent-flashsale-dir/shop.db']);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^error: cannot open sqlite \/nonexistent-flashsale-dir\/shop\.db: [^\n]*directory does not exist[^\n]*\n$/);
  });

  it('an unreachable PostgreSQL is exit 1, and the password is never printed', async () => {
    const result = await runCli(['holds:release', '--db', 'postgres://app:Sekrit-Pa55@127.0.0.1:1/shop']);
    expect(result.code).toBe(1);
    expect(result.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(/^error: cannot open postgres:\/\/app:\*\*\*@127\.0\.0\.1:1\/shop: .*ECONNREFUSED/);
    expect(result.stdout + result.stderr).not.toContain('Sekrit-Pa55');
  });
});
