import { createFlashSale } from '@flashsale/core';
import type { RowDataPacket } from 'mysql2/promise';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { MysqlStore } from '../src/index.js';
import { lockHoldRow } from './support/row-locks.js';
import { adminPool, closeTestStores, endAdminPool, MYSQL_URL, openTestStore } from './support/test-database.js';

describe.skipIf(!MYSQL_URL)('mysql group commit', () => {
  const stores: MysqlStore[] = [];
  afterEach(async () => {
    await closeTestStores(stores.splice(0));
  });
  afterAll(endAdminPool);

  it('a unit that fails on its own rows is undone alone; the rest of its group commits', async () => {
    const store = await openTestStore({ poolSize: 4 });
    stores.push(store);
    const sale = createFlashSale({ store });
    const product = await sale.createProduct({ name: 'p', price: '5.00', stock: 40 });
    const holds = [];
    for (let i = 0; i < 20; i++) holds.push(await sale.createHold({ productId: product.id, qty: 2 }));
    const doomed = holds[7]!;
    // The order insert for one hold fails inside the database, after that unit converted its hold.
    await adminPool().query(
      `CREATE TRIGGER \`${store.database}\`.fail_one BEFORE INSERT ON \`${store.database}\`.orders FOR EACH ROW
       BEGIN IF NEW.hold_id = ${doomed.holdId} THEN SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'injected'; END IF; END`,
    );

    const results = await Promise.allSettled(holds.map((hold) => sale.createOrder({ holdId: hold.holdId, token: hold.token })));

    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(19);
    expect(results[7]!.status).toBe('rejected');
    expect(String((results[7] as PromiseRejectedResult).reason)).toMatch(/injected/);
    expect((await sale.getHold({ holdId: doomed.holdId, token: doomed.token })).status).toBe('active');
    await adminPool().query(`DROP TRIGGER \`${store.database}\`.fail_one`);
    await expect(sale.createOrder({ holdId: doomed.holdId, token: doomed.token })).resolves.toMatchObject({ status: 'pending' });
    expect((await sale.verify()).violations).toEqual([]);
  });

  it("a unit that waits for another transaction's lock leaves its group: the units before it commit meanwhile", async () => {
    // A lock wait far longer than the test waits for the first unit: only leaving the group helps.
    const store = await openTestStore({ poolSize: 4, lockWaitTimeoutS: 60 });
    stores.push(store);
    const sale = createFlashSale({ store });
    const product = await sale.createProduct({ name: 'p', price: '5.00', stock: 10 });
    const holds = [];
    for (let i = 0; i < 3; i++) holds.push(await sale.createHold({ productId: product.id, qty: 1 }));
    const [first, blocked] = holds as [(typeof holds)[0], (typeof holds)[0]];
    const locker = await lockHoldRow(store.database, blocked.holdId);
    let blockedSettled = false;
    const orders = holds.map((hold) => sale.createOrder({ holdId: hold.holdId, token: hold.token }));
    void orders[1]!.finally(() => (blockedSettled = true));

    // The first unit's order is committed, visible to anyone, while the second still waits.
    let committed = 0;
    for (let i = 0; i < 400 && committed === 0; i++) {
      const [rows] = await adminPool().query<RowDataPacket[]>(`SELECT COUNT(*) AS n FROM \`${store.database}\`.orders WHERE hold_id = ?`, [first.holdId]);
      committed = Number(rows[0]!.n);
      if (committed === 0) await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(committed).toBe(1);
    expect(blockedSettled).toBe(false);

    await locker.release();
    const answers = await Promise.all(orders);
    expect(answers.map((order) => order.status)).toEqual(['pending', 'pending', 'pending']);
    expect((await sale.verify()).violations).toEqual([]);
  });
});
