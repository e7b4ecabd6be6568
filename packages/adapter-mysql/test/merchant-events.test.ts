import { createFlashSale } from '@flashsale/core';
import type { RowDataPacket } from 'mysql2/promise';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { MysqlStore } from '../src/index.js';
import { adminPool, closeTestStores, endAdminPool, MYSQL_URL, openTestStore } from './support/test-database.js';

/**
 * Positions are given in commit order, not insert order: an event whose transaction is still open
 * when a later one commits is numbered after it, so a reader polling `after` never passes it.
 */
describe.skipIf(!MYSQL_URL)('mysql merchant event positions', () => {
  const stores: MysqlStore[] = [];
  afterEach(async () => {
    await closeTestStores(stores.splice(0));
  });
  afterAll(endAdminPool);

  it('an event inserted first but committed last is read after the one committed first, never skipped', async () => {
    const store = await openTestStore();
    stores.push(store);
    const sale = createFlashSale({ store });
    const product = await sale.createProduct({ name: 'Sneaker', price: '10.00', stock: 10 });
    const hold = await sale.createHold({ productId: product.id, qty: 1 });
    const released = await sale.createHold({ productId: product.id, qty: 2 });

    const open = await adminPool().getConnection();
    try {
      await open.query('START TRANSACTION');
      // A release by hand: appends hold.released from the trigger, and keeps its transaction open.
      await open.query(`UPDATE \`${store.database}\`.holds SET status = 'released' WHERE id = ?`, [released.holdId]);
      await open.query(`UPDATE \`${store.database}\`.products SET available = available + 2 WHERE id = ?`, [product.id]);
      const order = await sale.createOrder({ holdId: hold.holdId, token: hold.token });

      const first = await sale.readEvents({ after: 0 });
      expect(first.events.map((e) => e.type)).toEqual(['order.created']);
      expect(first.events[0]!.data).toMatchObject({ orderId: order.orderId });

      await open.query('COMMIT');
      const second = await sale.readEvents({ after: first.next });
      expect(second.events).toEqual([expect.objectContaining({ type: 'hold.released', data: { holdId: released.holdId, productId: product.id, qty: 2 } })]);
      expect(second.events[0]!.position).toBeGreaterThan(first.next);
      // Inserted before the order's event, numbered after it.
      const [rows] = await adminPool().query<RowDataPacket[]>(`SELECT type FROM \`${store.database}\`.merchant_events ORDER BY seq`);
      expect(rows.map((r) => r.type as string)).toEqual(['hold.released', 'order.created']);
    } finally {
      await open.query('ROLLBACK').catch(() => {});
      open.release();
    }
  });

  it('stamps an event with its own unit time, never the one a pooled session kept from an earlier unit', async () => {
    const store = await openTestStore({ poolSize: 1 });
    stores.push(store);
    let now = 1_000_000;
    const sale = createFlashSale({ store, clock: () => now });
    const product = await sale.createProduct({ name: 'Sneaker', price: '10.00', stock: 10 });
    const hold = await sale.createHold({ productId: product.id, qty: 1 });
    await sale.releaseHold({ holdId: hold.holdId, token: hold.token });
    now = 2_000_000;
    await sale.restock({ productId: product.id, qty: 1 });
    const { events } = await sale.readEvents();
    expect(events.map(({ type, createdAt }) => ({ type, createdAt }))).toEqual([
      { type: 'hold.released', createdAt: 1_000_000 },
      { type: 'product.restocked', createdAt: 2_000_000 },
    ]);
  });
});
