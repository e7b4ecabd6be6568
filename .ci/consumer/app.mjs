// A plain Node program using the installed packages as any user would: no TypeScript, no
// workspace. For each adapter: product → hold → order → payment → releaseExpired → verify.
// Usage: node app.mjs <postgres-url> <mysql-url>
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createFlashSale, FlashSaleError } from '@flashsale/core';
import { openMysqlStore } from '@flashsale/adapter-mysql';
import { openPostgresStore } from '@flashsale/adapter-postgres';
import { openSqliteStore } from '@flashsale/adapter-sqlite';

const [pgUrl, mysqlUrl] = process.argv.slice(2);
assert.ok(pgUrl && mysqlUrl, 'usage: node app.mjs <postgres-url> <mysql-url>');

/** One sale from start to finish, on a clock the program moves, so expiry needs no waiting. */
async function sell(store, close) {
  let now = Date.now();
  const sale = createFlashSale({ store, clock: () => now });
  try {
    const product = await sale.createProduct({ name: 'Sneaker', price: '99.99', stock: 10 });
    const hold = await sale.createHold({ productId: product.id, qty: 2 });
    const order = await sale.createOrder({ holdId: hold.holdId, token: hold.token });
    assert.equal(order.amount, '199.98');
    const paid = await sale.applyPayment({ orderId: order.orderId, status: 'success', idempotencyKey: 'psp-evt-1' });
    assert.equal(paid.orderStatus, 'completed');
    const abandoned = await sale.createHold({ productId: product.id, qty: 3 });
    assert.equal((await sale.getProduct(product.id)).availableStock, 5);
    await assert.rejects(sale.createHold({ productId: product.id, qty: 6 }), (error) => FlashSaleError.is(error, 'insufficient_stock'));
    now += 3 * 60_000; // past the 2-minute hold
    const released = await sale.releaseExpired();
    assert.deepEqual({ holds: released.holds, units: released.units }, { holds: 1, units: abandoned.qty });
    assert.equal((await sale.getProduct(product.id)).availableStock, 8);
    const audit = await sale.verify();
    assert.ok(audit.ok, JSON.stringify(audit.violations));
  } finally {
    await close(sale);
  }
}

const dir = mkdtempSync(join(tmpdir(), 'flashsale-app-'));
try {
  await sell(openSqliteStore({ filename: join(dir, 'shop.db') }), (sale) => sale.close());
  console.log('sqlite: product → hold → order → payment → releaseExpired → verify ok');
} finally {
  rmSync(dir, { recursive: true, force: true });
}

const schema = `fs_pack_${randomBytes(6).toString('hex')}`;
const store = await openPostgresStore({ connectionString: pgUrl, schema });
await sell(store, async (sale) => {
  await store.pool.query(`DROP SCHEMA ${schema} CASCADE`);
  await sale.close();
});
console.log(`postgres (schema ${schema}): product → hold → order → payment → releaseExpired → verify ok`);

const database = `fs_pack_${randomBytes(6).toString('hex')}`;
const mysqlDb = new URL(mysqlUrl);
mysqlDb.pathname = `/${database}`;
const mysqlStore = await openMysqlStore({ uri: mysqlDb.toString() });
await sell(mysqlStore, async (sale) => {
  await mysqlStore.pool.query(`DROP DATABASE ${database}`);
  await sale.close();
});
console.log(`mysql (database ${database}): product → hold → order → payment → releaseExpired → verify ok`);
