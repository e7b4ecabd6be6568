import { createFlashSale } from '@flashsale/core';
import type { RowDataPacket } from 'mysql2/promise';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { MysqlStore } from '../src/index.js';
import { adminPool, closeTestStores, endAdminPool, MYSQL_URL, openTestStore } from './support/test-database.js';

describe.skipIf(!MYSQL_URL)('mysql release passes racing', () => {
  const stores: MysqlStore[] = [];
  afterEach(async () => {
    await closeTestStores(stores.splice(0));
  });
  afterAll(endAdminPool);

  it('releases every due hold and order exactly once across passes on two pools (SKIP LOCKED)', async () => {
    const a = await openTestStore({ poolSize: 4 });
    const b = await openTestStore({ database: a.database, migrate: false, poolSize: 4 });
    stores.push(a, b);
    let now = 1_000_000;
    const sale = createFlashSale({ store: a, clock: () => now, holdTtlMs: 1_000, paymentTtlMs: 2_000 });
    const products = [];
    for (let i = 0; i < 3; i++) products.push((await sale.createProduct({ name: `p${i}`, price: '1.00', stock: 500 })).id);
    for (let i = 0; i < 150; i++) await sale.createHold({ productId: products[i % 3]!, qty: 1 + (i % 3) });
    for (let i = 0; i < 30; i++) {
      const hold = await sale.createHold({ productId: products[i % 3]!, qty: 2 });
      await sale.createOrder({ holdId: hold.holdId, token: hold.token });
    }
    now += 2_000;

    // Twelve passes at once, half on each pool, in small batches so they overlap.
    const passes = await Promise.all(Array.from({ length: 12 }, (_, i) => (i % 2 ? b : a).releaseExpired({ now, limit: 7 })));
    const drained = await a.releaseExpired({ now, limit: 1_000 });
    const total = [...passes, drained].reduce(
      (sum, c) => ({ holds: sum.holds + c.holds, holdUnits: sum.holdUnits + c.holdUnits, orders: sum.orders + c.orders, orderUnits: sum.orderUnits + c.orderUnits }),
      { holds: 0, holdUnits: 0, orders: 0, orderUnits: 0 },
    );
    expect(total).toEqual({ holds: 150, holdUnits: 300, orders: 30, orderUnits: 60 });
    // Several passes did real work: the race was not one pass doing everything.
    expect(passes.filter((p) => p.holds + p.orders > 0).length).toBeGreaterThan(1);

    const d = `\`${a.database}\``;
    const [rows] = await adminPool().query<RowDataPacket[]>(
      `SELECT (SELECT COUNT(*) FROM ${d}.holds WHERE status = 'active') AS active,
              (SELECT COUNT(*) FROM ${d}.orders WHERE status = 'pending') AS pending,
              (SELECT GROUP_CONCAT(available ORDER BY id) FROM ${d}.products) AS available`,
    );
    expect(rows[0]).toEqual({ active: 0, pending: 0, available: '500,500,500' });
    expect(await sale.verify()).toMatchObject({ ok: true, violations: [] });
  });
});
