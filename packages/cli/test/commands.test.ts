import { openSqliteStore } from '@flashsale/adapter-sqlite';
import { afterEach, describe, expect, it } from 'vitest';
import { main } from '../src/main.js';
import { launchCli, runCli } from './helpers/cli-process.js';
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
    expect(JSON.parse(json.stdout)).toEqual({ id: 2, name: 'Cap', price: '19.50', available_stock: 0, sale_starts_at: null, sale_ends_at: null, max_per_buyer: null, sale_status: 'live' });
  });

  it('refuses a blank name with exit 1 and the engine message, without a stack trace', async () => {
    const { db } = tempDb();
    const result = await run(['products:create', '--db', db, '--name', '   ', '--price', '1', '--stock', '1']);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^error: name: .+ \(invalid_input\)\n$/);
    expect((await run(['verify', '--db', db, '--json'])).stdout).toContain('"products": 0');
  });
});

describe('products:create and products:update for drops', () => {
  it('creates a product with a window and a limit, and prints them for people and as JSON', async () => {
    const { db } = tempDb();
    const human = await run(['products:create', '--db', db, '--name', 'Drop', '--price', '180', '--stock', '300', '--starts-at', '2030-01-01T10:00:00+01:00', '--ends-at', '2030-01-01T10:00:00Z', '--max-per-buyer', '2']);
    expect(human).toEqual({
      code: 0,
      stdout: 'created product 1: "Drop", price 180.00, available stock 300, sale from 2030-01-01T09:00:00.000Z until 2030-01-01T10:00:00.000Z (scheduled) at most 2 per buyer\n',
      stderr: '',
    });
    const json = await run(['products:create', '--db', db, '--name', 'Drop 2', '--price', '5', '--stock', '1', '--max-per-buyer', '1', '--json']);
    expect(JSON.parse(json.stdout)).toEqual({ id: 2, name: 'Drop 2', price: '5.00', available_stock: 1, sale_starts_at: null, sale_ends_at: null, max_per_buyer: 1, sale_status: 'live' });
  });

  it('refuses bad drop flags with exit 2, naming the flag', async () => {
    const { db } = tempDb();
    const base = ['products:create', '--db', db, '--name', 'X', '--price', '1', '--stock', '1'];
    for (const [flags, message] of [
      [['--starts-at', '2030-01-01'], /'--starts-at <iso>' argument '2030-01-01' is invalid\. expected an ISO-8601 date and time with a zone/],
      [['--starts-at', 'none'], /'--starts-at <iso>' argument 'none' is invalid/],
      [['--max-per-buyer', '0'], /'--max-per-buyer <n>' argument '0' is invalid/],
      [['--starts-at', '2030-01-01T10:00:00Z', '--ends-at', '2030-01-01T10:00:00Z'], /^error: --ends-at must be after --starts-at$/m],
    ] as const) {
      const result = await run([...base, ...flags]);
      expect(result.code, result.stderr).toBe(2);
      expect(result.stderr).toMatch(message);
    }
    expect((await run(['verify', '--db', db, '--json'])).stdout).toContain('"products": 0');
  });

  it('changes only what it is given, clears with none, and refuses a merged window that ends before it starts', async () => {
    const { db } = tempDb();
    await run(['products:create', '--db', db, '--name', 'Drop', '--price', '10', '--stock', '5', '--starts-at', '2030-01-01T09:00:00Z', '--max-per-buyer', '2']);
    const renamed = await run(['products:update', '--db', db, '--product', '1', '--name', 'Drop 7', '--price', '12.5', '--json']);
    expect(JSON.parse(renamed.stdout)).toMatchObject({ name: 'Drop 7', price: '12.50', sale_starts_at: '2030-01-01T09:00:00.000Z', max_per_buyer: 2 });
    const cleared = await run(['products:update', '--db', db, '--product', '1', '--starts-at', 'none', '--max-per-buyer', 'none', '--ends-at', '2031-01-01T00:00:00Z']);
    expect(cleared).toEqual({ code: 0, stdout: 'updated product 1: "Drop 7", price 12.50, available stock 5, until 2031-01-01T00:00:00.000Z (live)\n', stderr: '' });
    const refused = await run(['products:update', '--db', db, '--product', '1', '--starts-at', '2032-01-01T00:00:00Z']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toBe('error: The sale must end after it starts. (invalid_sale_window)\n');
    expect(JSON.parse((await run(['products:update', '--db', db, '--product', '1', '--name', 'Drop 7', '--json'])).stdout)).toMatchObject({ sale_starts_at: null, sale_ends_at: '2031-01-01T00:00:00.000Z' });
  });

  it('refuses an update with nothing to change (exit 2) and an unknown product (exit 1)', async () => {
    const { db } = tempDb();
    const nothing = await run(['products:update', '--db', db, '--product', '1']);
    expect(nothing.code).toBe(2);
    expect(nothing.stderr).toMatch(/^error: products:update needs something to change/);
    const unknown = await run(['products:update', '--db', db, '--product', '9', '--name', 'X']);
    expect(unknown).toMatchObject({ code: 1, stderr: 'error: No product has that id. (product_not_found)\n' });
  });
});

describe('seed and migrate', () => {
  it('seed creates the demo product once, then reports it is already there', async () => {
    const { db } = tempDb();
    const first = await run(['seed', '--db', db, '--json']);
    expect(first.code).toBe(0);
    expect(JSON.parse(first.stdout)).toEqual({ seeded: true, product: { id: 1, name: 'Limited Edition Product', price: '99.99', available_stock: 50, sale_starts_at: null, sale_ends_at: null, max_per_buyer: null, sale_status: 'live' } });
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

describe('events:tail', () => {
  it('prints the events after a position, as text lines or one JSON object per line', async () => {
    const { db } = tempDb();
    const store = openSqliteStore({ filename: db });
    const { createFlashSale } = await import('@flashsale/core');
    const sale = createFlashSale({ store, clock: () => Date.UTC(2030, 0, 1, 9) });
    const product = await sale.createProduct({ name: 'Sneaker', price: '12.50', stock: 2 });
    const hold = await sale.createHold({ productId: product.id, qty: 2 });
    const order = await sale.createOrder({ holdId: hold.holdId, token: hold.token });
    await sale.restock({ productId: product.id, qty: 3 });
    await sale.close();

    const text = await run(['events:tail', '--db', db]);
    expect(text).toEqual({
      code: 0,
      stdout: [
        '1 2030-01-01T09:00:00.000Z product.sold_out product_id=1',
        `2 2030-01-01T09:00:00.000Z order.created order_id=${order.orderId} hold_id=${hold.holdId} product_id=1 qty=2 amount=25.00 status=pending`,
        '3 2030-01-01T09:00:00.000Z product.restocked product_id=1 qty=3 available_stock=3',
        '',
      ].join('\n'),
      stderr: '',
    });
    const json = await run(['events:tail', '--db', db, '--after', '1', '--limit', '1', '--json']);
    expect(json.code).toBe(0);
    const lines = json.stdout.trimEnd().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines).toEqual([
      {
        id: expect.stringMatching(/^evt_[0-9a-f]{32}$/),
        type: 'order.created',
        created_at: '2030-01-01T09:00:00.000Z',
        position: 2,
        data: { order_id: order.orderId, hold_id: hold.holdId, product_id: 1, qty: 2, amount: '25.00', status: 'pending' },
      },
    ]);
    expect(json.stdout).not.toContain(hold.token);
  });

  it('--follow prints events committed later by another process, and ends cleanly on SIGINT', async () => {
    const { db } = tempDb();
    const { createFlashSale } = await import('@flashsale/core');
    const sale = createFlashSale({ store: openSqliteStore({ filename: db }) });
    const product = await sale.createProduct({ name: 'Sneaker', price: '1.00', stock: 5 });
    await sale.restock({ productId: product.id, qty: 1 });
    const tail = launchCli(['events:tail', '--db', db, '--follow', '--json', '--interval', '50ms']);
    const lines = async (n: number) => {
      for (let waited = 0; waited < 20_000; waited += 50) {
        const got = tail.output().stdout.split('\n').filter(Boolean);
        if (got.length >= n) return got.map((line) => JSON.parse(line) as { type: string; position: number });
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      throw new Error(`events:tail --follow printed ${JSON.stringify(tail.output())}`);
    };
    try {
      expect((await lines(1)).map((e) => e.type)).toEqual(['product.restocked']);
      await sale.restock({ productId: product.id, qty: 2 });
      expect((await lines(2)).map((e) => [e.type, e.position])).toEqual([['product.restocked', 1], ['product.restocked', 2]]);
    } finally {
      tail.child.kill('SIGINT');
      await sale.close();
    }
    expect(await tail.exited).toEqual({ code: 0, signal: null });
    expect(tail.output().stderr).toBe('');
  });

  it('refuses a negative position as a usage error', async () => {
    const { db } = tempDb();
    expect((await run(['events:tail', '--db', db, '--after', '-1'])).code).toBe(2);
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
