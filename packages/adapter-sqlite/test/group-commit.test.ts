import { createFlashSale } from '@flashsale/core';
import { afterEach, describe, expect, it } from 'vitest';
import { openSqliteStore, type SqliteStore } from '../src/index.js';
import { tempDatabase } from './temp-db.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function open(): SqliteStore {
  const db = tempDatabase();
  const store = openSqliteStore({ filename: db.filename });
  cleanups.push(db.remove, () => store.close());
  return store;
}

describe('sqlite group commit', () => {
  it('a unit that fails on its own rows is undone alone; the rest of its batch commits', async () => {
    const store = open();
    const sale = createFlashSale({ store });
    const product = await sale.createProduct({ name: 'p', price: '5.00', stock: 40 });
    const holds = [];
    for (let i = 0; i < 20; i++) holds.push(await sale.createHold({ productId: product.id, qty: 2 }));
    const doomed = holds[7]!;
    // The order insert for one hold fails inside the database, after that unit converted its hold.
    store.db.exec(`CREATE TEMP TRIGGER fail_one BEFORE INSERT ON orders WHEN NEW.hold_id = ${doomed.holdId} BEGIN SELECT RAISE(ABORT, 'injected'); END`);

    const results = await Promise.allSettled(holds.map((hold) => sale.createOrder({ holdId: hold.holdId, token: hold.token })));

    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(19);
    const failed = results[7]!;
    expect(failed.status).toBe('rejected');
    expect(String((failed as PromiseRejectedResult).reason)).toMatch(/injected/);
    // Its conversion was rolled back with it: the hold is still active and can still be ordered.
    expect((await sale.getHold({ holdId: doomed.holdId, token: doomed.token })).status).toBe('active');
    store.db.exec('DROP TRIGGER fail_one');
    await expect(sale.createOrder({ holdId: doomed.holdId, token: doomed.token })).resolves.toMatchObject({ status: 'pending' });
    expect((await sale.verify()).violations).toEqual([]);
    await sale.close();
  });

  it('writes of one turn from every grouped use case commit together and are all durable', async () => {
    const filename = tempDatabase();
    cleanups.push(filename.remove);
    const store = openSqliteStore({ filename: filename.filename });
    const sale = createFlashSale({ store });
    const product = await sale.createProduct({ name: 'p', price: '5.00', stock: 60 });
    const holds = [];
    for (let i = 0; i < 30; i++) holds.push(await sale.createHold({ productId: product.id, qty: 1 }));
    const orders = [];
    for (const hold of holds.slice(0, 10)) orders.push(await sale.createOrder({ holdId: hold.holdId, token: hold.token }));

    await Promise.all([
      ...orders.map((order, i) => sale.applyPayment({ orderId: order.orderId, status: i % 2 ? 'failed' : 'success', idempotencyKey: `pay-${i}` })),
      ...holds.slice(10, 20).map((hold) => sale.createOrder({ holdId: hold.holdId, token: hold.token })),
      ...holds.slice(20, 25).map((hold) => sale.releaseHold({ holdId: hold.holdId, token: hold.token })),
      ...holds.slice(25, 30).map((hold) => sale.extendHold({ holdId: hold.holdId, token: hold.token })),
    ]);
    await sale.close();

    // Another connection, opened after the first closed, sees every unit of the batch.
    const reopened = openSqliteStore({ filename: filename.filename });
    const again = createFlashSale({ store: reopened });
    // 60 - 30 held + 5 failed payments + 5 releases.
    expect((await again.getProduct(product.id)).availableStock).toBe(40);
    const statuses = await Promise.all(holds.map((hold) => again.getHold({ holdId: hold.holdId, token: hold.token }).then((h) => h.status)));
    expect(statuses).toEqual([...Array(20).fill('converted'), ...Array(5).fill('released'), ...Array(5).fill('active')]);
    expect((await again.verify()).violations).toEqual([]);
    await again.close();
  });
});
